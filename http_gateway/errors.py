"""One place that turns failures into HTTP answers: `{"error": {"code", "message", "details"}}`.

The core speaks gRPC status codes (raised by the SDK as typed exceptions); web clients expect
HTTP statuses. The mapping:

| gRPC status          | HTTP |
|----------------------|------|
| INVALID_ARGUMENT     | 400  |
| UNAUTHENTICATED      | 401  |
| PERMISSION_DENIED    | 403  |
| NOT_FOUND            | 404  |
| ALREADY_EXISTS       | 409  |
| FAILED_PRECONDITION  | 409  |
| RESOURCE_EXHAUSTED   | 429  |
| (INVALID_ARGUMENT with reason IDEMPOTENCY_KEY_REUSED) | 409 |
| UNAVAILABLE          | 503  |
| anything else        | 500  |

A reused idempotency key is 409 too: the request is fine, the key already names another one.
FAILED_PRECONDITION is 409 rather than 422: the request itself is well-formed, it conflicts with
the current state of a resource (insufficient funds, an expired order). 422 would tell clients to
fix the request; 409 tells them the state must change first. `code` disambiguates from
ALREADY_EXISTS: it is the core's `ErrorInfo.reason` (`INSUFFICIENT_FUNDS`, ...) when there is
one, else the gRPC status name; `reason` repeats it (null when the core gave none) and
`request_id` names the call in the core's logs. `details` always has `status` (the gRPC status
name) and `request_id`; `reason`, `field_violations` and `metadata` appear when the core sent
them.

A 429 (the caller's key spent its rate limit in the core, reason RATE_LIMITED) carries a
`Retry-After` header: the core's retry delay in whole seconds, rounded up, at least 1 (HTTP has no
fractions there, and 0 would invite an immediate retry); `details.retry_after` keeps the exact
delay in seconds.

No stack trace reaches a client: an unexpected error is logged with a request id, and the
client gets a 500 naming that id.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import grpc
import structlog
from pydantic import BaseModel
from quart import Quart, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from sdk.errors import BillingHubError

log = structlog.get_logger(__name__)

HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
}


IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
API_PREFIX = "/api/"
MAX_API_BODY = 64 * 1024  # no REST request needs more; larger bodies are refused before parsing
BODY_TOO_LARGE = f"is larger than {MAX_API_BODY} bytes"


class ErrorDetail(BaseModel):
    code: str
    message: str
    reason: str | None
    request_id: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """Every error answer of the gateway."""

    error: ErrorDetail


class RequestInvalid(Exception):
    """Input the gateway refuses before calling the core (400, with the fields named)."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in violations))
        self.violations = violations


class CallerRefused(Exception):
    """A request without a usable key (401) or with a key of a role the API does not serve (403)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def http_status(code: grpc.StatusCode, reason: str = "") -> int:
    """The HTTP status of a gRPC status code (500 for any code not in the table)."""
    if reason == IDEMPOTENCY_KEY_REUSED:
        return 409
    return HTTP_STATUS.get(code, 500)


def error_response(status: int, code: str, message: str, details: dict[str, Any]) -> Response:
    """The one JSON error shape every endpoint answers with."""
    body = {
        "code": code,
        "message": message,
        "reason": details.get("reason"),
        "request_id": details["request_id"],
        "details": details,
    }
    response = jsonify({"error": body})
    response.status_code = status
    return response


async def handle_hub_error(error: BillingHubError) -> Response:
    """A failed call to the core, answered with its mapped status."""
    status = http_status(error.code, error.reason)
    request_id = error.request_id or uuid.uuid4().hex
    details: dict[str, Any] = {"status": error.code.name, "request_id": request_id}
    if error.reason:
        details["reason"] = error.reason
    if error.field_violations:
        details["field_violations"] = [{"field": v.field, "description": v.description} for v in error.field_violations]
    if error.metadata:
        details["metadata"] = error.metadata
    if error.retry_after is not None:
        details["retry_after"] = error.retry_after
    if status == 503:
        # the transport's message names addresses and sockets: not for clients
        message = "the billing core is unavailable, try again later"
    elif error.reason == IDEMPOTENCY_KEY_REUSED:
        message = "this Idempotency-Key was already used for a different request"
        details["field_violations"] = [{"field": "Idempotency-Key", "description": message}]
    elif status == 500:
        log.error("core call failed", status=error.code.name, reason=error.reason, request_id=request_id)
        message = "internal error"
    else:
        message = error.message
    response = error_response(status, error.reason or error.code.name, message, details)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if status == 429:
        response.headers["Retry-After"] = str(retry_after_header(error.retry_after))
    return response


async def handle_request_invalid(error: RequestInvalid) -> Response:
    """Input refused by the gateway itself, in the shape of the core's INVALID_ARGUMENT."""
    violations = [{"field": field, "description": problem} for field, problem in error.violations]
    details = {"status": "INVALID_ARGUMENT", "request_id": uuid.uuid4().hex, "field_violations": violations}
    return error_response(400, "INVALID_ARGUMENT", str(error), details)


async def handle_caller_refused(error: CallerRefused) -> Response:
    details = {"status": error.code, "request_id": uuid.uuid4().hex}
    response = error_response(error.status, error.code, error.message, details)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def retry_after_header(seconds: float | None) -> int:
    """The Retry-After of a 429: whole seconds, rounded up, at least 1 (also when the core gave none)."""
    return max(1, math.ceil(seconds or 0.0))


async def handle_http_exception(error: HTTPException) -> Response:
    """Routing and protocol errors (unknown path, wrong method) in the same JSON shape.

    A REST body past the server's size limit is a 400 naming the body, as one past the API's own
    (smaller) limit is: to a REST client both are the same bad input, and one answer is simpler
    to handle than two."""
    if error.code == 413 and request.path.startswith(API_PREFIX):
        return await handle_request_invalid(RequestInvalid([("body", BODY_TOO_LARGE)]))
    status = error.code or 500
    code = (error.name or "error").upper().replace(" ", "_")
    return error_response(status, code, error.description or code, {"request_id": uuid.uuid4().hex})


async def handle_unexpected(error: Exception) -> Response:
    """Anything else: logged with its traceback and a request id; the client sees only the id."""
    request_id = uuid.uuid4().hex
    log.error("unhandled error", request_id=request_id, exc_info=error)
    return error_response(500, "INTERNAL", "internal error", {"request_id": request_id})


def register_error_handlers(app: Quart) -> None:
    """Install the handlers; the most specific class wins, so order does not matter."""
    app.register_error_handler(BillingHubError, handle_hub_error)
    app.register_error_handler(RequestInvalid, handle_request_invalid)
    app.register_error_handler(CallerRefused, handle_caller_refused)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
