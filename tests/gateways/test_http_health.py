"""A load balancer asks the HTTP gateway whether it can take traffic: only if the core can.

The app runs through Quart's test client; the core is a real grpc.aio server that runs only the
standard health service (SERVING or NOT_SERVING), or nothing at all (a closed port).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from http_gateway.app import create_app
from sdk.client import BillingHubClient
from sdk.interceptors import NO_RETRY

KEY = "bh_gateway_0123abcd_s3cr3t"


@pytest.fixture
async def health_server() -> AsyncIterator[tuple[str, health.aio.HealthServicer]]:
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}", servicer
    await server.stop(None)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_healthz_is_ok_when_core_serves(health_server: tuple[str, health.aio.HealthServicer]) -> None:
    target, servicer = health_server
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    async with BillingHubClient(target, KEY, retry=NO_RETRY) as client:
        response = await create_app(client).test_client().get("/healthz")

    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok", "core": "SERVING"}


async def test_healthz_is_unavailable_when_core_is_not_serving(
    health_server: tuple[str, health.aio.HealthServicer],
) -> None:
    target, servicer = health_server
    await servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    async with BillingHubClient(target, KEY, retry=NO_RETRY) as client:
        response = await create_app(client).test_client().get("/healthz")

    assert response.status_code == 503
    assert await response.get_json() == {"status": "unavailable", "core": "NOT_SERVING"}


async def test_healthz_is_unavailable_when_core_is_down() -> None:
    async with BillingHubClient(f"127.0.0.1:{closed_port()}", KEY, retry=NO_RETRY) as client:
        response = await create_app(client).test_client().get("/healthz")

    assert response.status_code == 503
    assert await response.get_json() == {"status": "unavailable", "core": "UNAVAILABLE"}
