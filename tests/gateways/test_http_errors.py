"""Every failure reaches a web client as `{"error": {"code", "message", "details"}}` with the right status.

A throwaway blueprint raises what future views will meet (typed SDK errors, bugs, unknown
paths); the app's registered handlers answer, seen through Quart's test client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from quart import Blueprint, Quart

from http_gateway.app import create_app
from sdk.client import BillingHubClient
from sdk.errors import (
    AlreadyExists,
    BillingHubError,
    FailedPrecondition,
    FieldViolation,
    InternalError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from sdk.interceptors import NO_RETRY

RAISED: dict[str, Exception] = {
    "invalid": InvalidArgument(
        code=grpc.StatusCode.INVALID_ARGUMENT,
        message="name: is required",
        field_violations=[FieldViolation("name", "is required")],
        request_id="req-1",
    ),
    "unauthenticated": Unauthenticated(code=grpc.StatusCode.UNAUTHENTICATED, message="unknown key"),
    "denied": PermissionDenied(code=grpc.StatusCode.PERMISSION_DENIED, message="suspended", reason="TENANT_SUSPENDED"),
    "missing": NotFound(code=grpc.StatusCode.NOT_FOUND, message="user not found"),
    "exists": AlreadyExists(code=grpc.StatusCode.ALREADY_EXISTS, message="already exists"),
    "broke": FailedPrecondition(
        code=grpc.StatusCode.FAILED_PRECONDITION,
        message="not enough RUB",
        reason="INSUFFICIENT_FUNDS",
        metadata={"asset": "RUB"},
    ),
    "limited": ResourceExhausted(code=grpc.StatusCode.RESOURCE_EXHAUSTED, message="slow down"),
    "down": Unavailable(code=grpc.StatusCode.UNAVAILABLE, message="failed to connect to all addresses; ipv4:10.0.0.7"),
    "core-bug": InternalError(code=grpc.StatusCode.INTERNAL, message="boom at line 7", request_id="req-9"),
    "our-bug": RuntimeError("secret detail that must not leak"),
}


@pytest.fixture
async def app() -> AsyncIterator[Quart]:
    # the client is never called: the views raise before any call
    async with BillingHubClient("127.0.0.1:1", "unused", retry=NO_RETRY) as client:
        app = create_app(client)
        failing = Blueprint("failing", __name__)

        @failing.get("/fail/<name>")
        async def fail(name: str) -> str:
            raise RAISED[name]

        app.register_blueprint(failing)
        yield app


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("invalid", 400, "INVALID_ARGUMENT"),
        ("unauthenticated", 401, "UNAUTHENTICATED"),
        ("denied", 403, "TENANT_SUSPENDED"),
        ("missing", 404, "NOT_FOUND"),
        ("exists", 409, "ALREADY_EXISTS"),
        ("broke", 409, "INSUFFICIENT_FUNDS"),
        ("limited", 429, "RESOURCE_EXHAUSTED"),
        ("down", 503, "UNAVAILABLE"),
        ("core-bug", 500, "INTERNAL"),
    ],
)
async def test_core_errors_map_to_http_statuses(app: Quart, name: str, status: int, code: str) -> None:
    response = await app.test_client().get(f"/fail/{name}")

    assert response.status_code == status
    error = (await response.get_json())["error"]
    assert error["code"] == code
    raised = RAISED[name]
    assert isinstance(raised, BillingHubError)
    assert error["details"]["status"] == raised.code.name
    assert error["details"]["request_id"]


async def test_invalid_argument_lists_field_violations(app: Quart) -> None:
    error = (await (await app.test_client().get("/fail/invalid")).get_json())["error"]

    assert error["message"] == "name: is required"
    assert error["details"]["field_violations"] == [{"field": "name", "description": "is required"}]
    assert error["details"]["request_id"] == "req-1"


async def test_failed_precondition_carries_reason_and_metadata(app: Quart) -> None:
    error = (await (await app.test_client().get("/fail/broke")).get_json())["error"]

    assert error["details"]["reason"] == "INSUFFICIENT_FUNDS"
    assert error["details"]["metadata"] == {"asset": "RUB"}


@pytest.mark.parametrize("name", ["down", "core-bug", "our-bug"])
async def test_internal_details_never_reach_the_client(app: Quart, name: str) -> None:
    response = await app.test_client().get(f"/fail/{name}")
    body = await response.get_data(as_text=True)

    assert "10.0.0.7" not in body
    assert "line 7" not in body
    assert "secret detail" not in body
    assert "Traceback" not in body


async def test_unexpected_error_is_500_with_a_request_id(app: Quart) -> None:
    response = await app.test_client().get("/fail/our-bug")

    assert response.status_code == 500
    error = (await response.get_json())["error"]
    assert error["code"] == "INTERNAL"
    assert len(error["details"]["request_id"]) == 32


async def test_unknown_path_is_json_404(app: Quart) -> None:
    response = await app.test_client().get("/no/such/page")

    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "NOT_FOUND"
