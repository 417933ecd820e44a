"""The core's Prometheus metrics, scraped from its metrics server as Prometheus would: every RPC
by method and status code with its duration, and the families other parts of the core count."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core_server.metrics import CoreMetrics, serve_metrics
from sdk import NotFound
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.hub import Hub
from tests.money import new_user

GET_USER = "/billinghub.v1.UserService/GetUser"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def count(metrics: CoreMetrics, method: str, code: str) -> float:
    key = ("billinghub_rpc_requests_total", frozenset({("method", method), ("code", code)}))
    return samples(metrics.exposition().decode()).get(key, 0.0)


async def test_an_rpc_shows_up_by_method_and_status_code(hub: Hub) -> None:
    shop = await hub.new_tenant("Metrics")
    user = await new_user(shop)
    metrics = hub.deps.metrics
    ok_before, missing_before = count(metrics, GET_USER, "OK"), count(metrics, GET_USER, "NOT_FOUND")

    await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id=user))
    await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id=user))
    with pytest.raises(NotFound):
        await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id="00000000-0000-7000-8000-000000000000"))

    server = serve_metrics("127.0.0.1:0", metrics)
    try:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
    assert response.status_code == 200
    scraped = samples(response.text)
    method = frozenset({("method", GET_USER)})
    assert scraped[("billinghub_rpc_requests_total", method | {("code", "OK")})] == ok_before + 2
    assert scraped[("billinghub_rpc_requests_total", method | {("code", "NOT_FOUND")})] == missing_before + 1
    assert scraped[("billinghub_rpc_duration_seconds_count", method)] >= 3
    assert scraped[("billinghub_rpc_duration_seconds_sum", method)] > 0


async def test_the_families_other_parts_count_are_exported() -> None:
    metrics = CoreMetrics()
    metrics.webhook_deliveries.labels("delivered").inc()
    metrics.rate_limited.labels("partner").inc(2)

    scraped = samples(metrics.exposition().decode())

    assert scraped[("billinghub_webhook_deliveries_total", frozenset({("outcome", "delivered")}))] == 1
    assert scraped[("billinghub_rate_limited_total", frozenset({("role", "partner")}))] == 2
    assert CoreMetrics().exposition() != metrics.exposition()  # each core has its own registry
