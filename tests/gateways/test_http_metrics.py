"""`GET /metrics` of the HTTP gateway, read the way Prometheus reads it: requests by URL rule (never
the raw path), their durations, webhook notifications by the outcome the core answered, and 429s
when the core refuses the caller's key with RATE_LIMITED (with `Retry-After`).

The core is a fake PaymentService on a real gRPC server: it answers by provider name.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from prometheus_client.parser import text_string_to_metric_families
from quart import Quart

from http_gateway.app import create_app
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import payment_service_pb2_grpc
from sdk.client import BillingHubClient
from sdk.interceptors import NO_RETRY

TENANT = str(uuid.UUID(int=7))


def _packed(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


class FakePayments(payment_service_pb2_grpc.PaymentServiceServicer):
    """`testpay` notifications apply; `throttled` is refused as a spent rate limit (2.2 s to wait);
    any other provider is refused as not configured."""

    async def IngestProviderWebhook(
        self, request: pb.IngestProviderWebhookRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.IngestProviderWebhookResponse:
        if request.provider == "throttled":
            delay = duration_pb2.Duration(seconds=2, nanos=200_000_000)
            details = [
                _packed(error_details_pb2.ErrorInfo(reason="RATE_LIMITED", domain="billinghub.v1")),
                _packed(error_details_pb2.RetryInfo(retry_delay=delay)),
            ]
            status = rpc_status.to_status(
                status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="rate limit", details=details)
            )
            await context.abort(status.code, status.details, status.trailing_metadata)
        if request.provider == "testpay":
            return pb.IngestProviderWebhookResponse(
                outcome=pb.WEBHOOK_OUTCOME_APPLIED, http_status=200, body=b"OK", content_type="text/plain"
            )
        return pb.IngestProviderWebhookResponse(outcome=pb.WEBHOOK_OUTCOME_REFUSED, http_status=401, body=b"no")


@pytest.fixture
async def app() -> AsyncIterator[Quart]:
    server = grpc.aio.server()
    payment_service_pb2_grpc.add_PaymentServiceServicer_to_server(FakePayments(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with BillingHubClient(f"127.0.0.1:{port}", "bh_gateway_x_y", retry=NO_RETRY) as client:
        yield create_app(client)
    await server.stop(None)


async def scrape(app: Quart) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of `GET /metrics`: (name, labels) -> value."""
    response = await app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = await response.get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


async def test_a_request_is_counted_and_timed_by_its_url_rule(app: Quart) -> None:
    http = app.test_client()
    for _ in range(2):
        assert (await http.post(f"/webhooks/{TENANT}/testpay", data=b"{}")).status_code == 200

    samples = await scrape(app)

    route = "/webhooks/<tenant_id>/<provider>"
    assert samples[("billinghub_http_requests_total", labels(route=route, method="POST", status="200"))] == 2
    assert samples[("billinghub_http_request_duration_seconds_count", labels(route=route, method="POST"))] == 2
    assert samples[("billinghub_http_request_duration_seconds_sum", labels(route=route, method="POST"))] > 0
    assert not [key for key in samples if TENANT in str(key)]  # never the raw path


async def test_webhooks_are_counted_by_the_outcome_the_core_answered(app: Quart) -> None:
    http = app.test_client()
    await http.post(f"/webhooks/{TENANT}/testpay", data=b"{}")
    for provider in ("made_up_one", "made_up_two", "testpay2"):
        assert (await http.post(f"/webhooks/{TENANT}/{provider}", data=b"{}")).status_code == 401

    samples = await scrape(app)

    assert samples[("billinghub_webhook_ingest_total", labels(provider="testpay", outcome="applied"))] == 1
    # names no tenant has configured do not become labels: clients choose them
    assert samples[("billinghub_webhook_ingest_total", labels(provider="<unverified>", outcome="refused"))] == 3
    assert not [key for key in samples if "made_up" in str(key)]


async def test_an_unknown_path_is_labelled_by_a_bounded_value(app: Quart) -> None:
    http = app.test_client()
    for path in ("/no/such/page", "/another/random/path", f"/webhooks/{TENANT}"):
        assert (await http.get(path)).status_code == 404

    samples = await scrape(app)

    assert samples[("billinghub_http_requests_total", labels(route="<unmatched>", method="GET", status="404"))] == 3
    assert not [key for key in samples if "such" in str(key) or "random" in str(key)]


async def test_a_rate_limited_call_is_429_with_retry_after_and_counted(app: Quart) -> None:
    response = await app.test_client().post(f"/webhooks/{TENANT}/throttled", data=b"{}")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"  # 2.2 s, rounded up
    error = (await response.get_json())["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["retry_after"] == pytest.approx(2.2)
    samples = await scrape(app)
    route = "/webhooks/<tenant_id>/<provider>"
    assert samples[("billinghub_http_rate_limited_total", labels(route=route))] == 1
    assert samples[("billinghub_webhook_ingest_total", labels(provider="<unverified>", outcome="error"))] == 1


async def test_two_apps_count_apart(app: Quart) -> None:
    await app.test_client().get("/no/such/page")
    async with BillingHubClient("127.0.0.1:1", "unused", retry=NO_RETRY) as client:
        other = create_app(client)
        samples = await scrape(other)
    assert ("billinghub_http_requests_total", labels(route="<unmatched>", method="GET", status="404")) not in samples
