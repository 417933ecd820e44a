"""Typed exceptions for the core's gRPC status codes and their `google.rpc` details.

The core answers every failure with a status code, an `ErrorInfo` whose UPPER_SNAKE `reason`
tells callers what happened (`INSUFFICIENT_FUNDS`, `TENANT_SUSPENDED`, ...), `BadRequest` field
violations for invalid input, a `RequestInfo` carrying the request id the core logged and, when a
key's rate limit is reached (RESOURCE_EXHAUSTED, reason RATE_LIMITED), a `RetryInfo` saying when the
next call is admitted (`retry_after`, seconds). Callers catch the class for the status and branch
on `reason` for the specifics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One invalid field of a request: its path in the request message and what is wrong."""

    field: str
    description: str


@dataclass
class BillingHubError(Exception):
    """A failed call to the core. Subclasses name the status code."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    request_id: str = ""
    # seconds to wait before trying again, when the core said (RetryInfo of a RATE_LIMITED refusal)
    retry_after: float | None = None

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.reason:
            text += f" [{self.reason}]"
        for violation in self.field_violations:
            text += f"\n  {violation.field}: {violation.description}"
        return text


class InvalidArgument(BillingHubError):
    """The request was malformed; `field_violations` says which fields."""


class Unauthenticated(BillingHubError):
    """The API key is missing, malformed, unknown or revoked."""


class PermissionDenied(BillingHubError):
    """The key's role may not make this call, or its tenant is suspended."""


class NotFound(BillingHubError):
    """The object does not exist in the caller's tenant."""


class AlreadyExists(BillingHubError):
    """An object with the same unique key exists."""


class FailedPrecondition(BillingHubError):
    """The call is valid but the state forbids it; `reason` says which rule."""


class ResourceExhausted(BillingHubError):
    """A rate limit was reached (reason RATE_LIMITED): try again after `retry_after` seconds. The
    SDK never retries it by itself: the budget is the key's, shared with its other callers, and
    only the caller knows whether the call is still worth making later."""


class Unavailable(BillingHubError):
    """The core could not be reached, even after retries."""


class DeadlineExceeded(BillingHubError):
    """The call's deadline passed (retries included) before the core answered; whether a mutation
    took effect is unknown, so retry it with the same request_id."""


class InternalError(BillingHubError):
    """The core failed unexpectedly; quote `request_id` when reporting it."""


_BY_CODE: dict[grpc.StatusCode, type[BillingHubError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def error_from_rpc(error: grpc.aio.AioRpcError) -> BillingHubError:
    """Turn a failed call into the typed exception of its status, with the details unpacked."""
    code = error.code()
    cls = _BY_CODE.get(code, InternalError)
    result = cls(code=code, message=error.details() or "")
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            _unpack_details(result, value)
    return result


def _unpack_details(result: BillingHubError, raw: bytes) -> None:
    status = status_pb2.Status.FromString(raw)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            result.reason = info.reason
            result.metadata = dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            result.field_violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RequestInfo.DESCRIPTOR):
            info_r = error_details_pb2.RequestInfo()
            detail.Unpack(info_r)
            result.request_id = info_r.request_id
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            result.retry_after = retry.retry_delay.ToNanoseconds() / 1e9
