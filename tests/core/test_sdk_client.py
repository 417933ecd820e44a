"""The SDK client's promises: one request id per logical call across retries, UNAVAILABLE retried
with backoff within the caller's one deadline, typed exceptions once retries run out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from sdk import BillingHubClient, BillingHubError, DeadlineExceeded, Unavailable
from sdk.billinghub.v1 import platform_service_pb2 as pb
from sdk.billinghub.v1 import platform_service_pb2_grpc, tenant_pb2
from sdk.interceptors import RetryPolicy


class FlakyPlatform(platform_service_pb2_grpc.PlatformServiceServicer):
    """Answers UNAVAILABLE `failures` times, then succeeds; records what it saw."""

    def __init__(self, failures: int, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.request_ids: list[str] = []
        self.metadata: list[dict[str, str]] = []

    async def CreateTenant(
        self, request: pb.CreateTenantRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CreateTenantResponse:
        self.request_ids.append(request.request_id)
        self.metadata.append({k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)})
        if len(self.request_ids) <= self.failures:
            await asyncio.sleep(self.delay)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "try later")
        return pb.CreateTenantResponse(tenant=tenant_pb2.Tenant(id="t1", name=request.name))


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[str, FlakyPlatform]]:
    servicer = FlakyPlatform(failures=2)
    server = grpc.aio.server()
    platform_service_pb2_grpc.add_PlatformServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}", servicer
    await server.stop(0)


async def test_unavailable_is_retried_with_the_same_request_id(flaky: tuple[str, FlakyPlatform]) -> None:
    target, servicer = flaky
    async with BillingHubClient(target, "bh_platform_x_y", retry=RetryPolicy(attempts=3, initial_backoff=0.01)) as hub:
        response = await hub.platform.CreateTenant(pb.CreateTenantRequest(name="Acme"))
    assert response.tenant.name == "Acme"
    assert len(servicer.request_ids) == 3
    assert len(set(servicer.request_ids)) == 1 and len(servicer.request_ids[0]) == 32
    assert servicer.metadata[0]["authorization"] == "Bearer bh_platform_x_y"


async def test_a_caller_chosen_request_id_is_kept(flaky: tuple[str, FlakyPlatform]) -> None:
    target, servicer = flaky
    async with BillingHubClient(target, "k", retry=RetryPolicy(attempts=3, initial_backoff=0.01)) as hub:
        await hub.platform.CreateTenant(pb.CreateTenantRequest(name="Acme", request_id="order-42"))
    assert servicer.request_ids == ["order-42"] * 3


async def test_retries_run_out_into_a_typed_error(flaky: tuple[str, FlakyPlatform]) -> None:
    target, servicer = flaky
    async with BillingHubClient(target, "k", retry=RetryPolicy(attempts=2, initial_backoff=0.01)) as hub:
        with pytest.raises(Unavailable) as caught:
            await hub.platform.CreateTenant(pb.CreateTenantRequest(name="Acme"))
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert len(servicer.request_ids) == 2


async def test_tenant_views_send_their_tenant_and_share_the_channel(flaky: tuple[str, FlakyPlatform]) -> None:
    target, servicer = flaky
    servicer.failures = 0
    async with BillingHubClient(target, "k", tenant_id="parent", retry=RetryPolicy(attempts=1)) as hub:
        await hub.platform.CreateTenant(pb.CreateTenantRequest(name="a"))
        await hub.for_tenant("child").platform.CreateTenant(pb.CreateTenantRequest(name="b"))
        await hub.platform.CreateTenant(pb.CreateTenantRequest(name="c"))
    assert [m["x-tenant-id"] for m in servicer.metadata] == ["parent", "child", "parent"]


class FixedBackoff(RetryPolicy):
    """A backoff without jitter, so the test knows how long the client would sleep."""

    def delay(self, attempt: int) -> float:
        return self.initial_backoff


async def _elapsed_until_failure(target: str, retry: RetryPolicy, deadline: float) -> tuple[float, BillingHubError]:
    loop = asyncio.get_running_loop()
    async with BillingHubClient(target, "k", retry=retry) as hub:
        started = loop.time()
        with pytest.raises(BillingHubError) as caught:
            await hub.platform.CreateTenant(pb.CreateTenantRequest(name="Acme"), timeout=deadline)
        return loop.time() - started, caught.value


# Not a speed check: the deadline is the contract. The old loop gave each of 5 attempts the whole
# second (about 3 s here); one deadline for all attempts ends at about 1 s.
async def test_retries_share_the_callers_one_deadline(flaky: tuple[str, FlakyPlatform]) -> None:
    target, servicer = flaky
    servicer.failures, servicer.delay = 100, 0.6  # each attempt answers UNAVAILABLE after 0.6 s
    elapsed, error = await _elapsed_until_failure(target, RetryPolicy(attempts=5, initial_backoff=0.01), 1.0)
    assert isinstance(error, DeadlineExceeded)
    assert error.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert elapsed < 2.0
    assert len(servicer.request_ids) == 2


async def test_a_backoff_never_sleeps_past_the_deadline(flaky: tuple[str, FlakyPlatform]) -> None:
    target, servicer = flaky
    servicer.failures = 100
    elapsed, error = await _elapsed_until_failure(target, FixedBackoff(attempts=5, initial_backoff=5.0), 1.0)
    assert isinstance(error, DeadlineExceeded)
    assert error.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert elapsed < 2.0
    assert len(servicer.request_ids) == 1  # no attempt starts after the deadline
