"""Fixtures that start the fakes of `tests.gateways.fakes` for one test and stop them after it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from aiohttp import web

from sdk.billinghub.v1 import bot_settings_service_pb2_grpc, gateway_service_pb2_grpc, user_service_pb2_grpc
from sdk.client import BillingHubClient
from sdk.interceptors import NO_RETRY
from tests.gateways.fakes import (
    GATEWAY_KEY,
    FakeBotSettingsService,
    FakeCore,
    FakeGatewayService,
    FakeTelegram,
    FakeUserService,
)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


@pytest.fixture
async def core() -> AsyncIterator[FakeCore]:
    fake = FakeCore()
    server = grpc.aio.server()
    gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(FakeGatewayService(fake), server)
    user_service_pb2_grpc.add_UserServiceServicer_to_server(FakeUserService(fake), server)
    bot_settings_service_pb2_grpc.add_BotSettingsServiceServicer_to_server(FakeBotSettingsService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    fake.target = f"127.0.0.1:{port}"
    yield fake
    await server.stop(None)


@pytest.fixture
async def gateway_client(core: FakeCore) -> AsyncIterator[BillingHubClient]:
    async with BillingHubClient(core.target, GATEWAY_KEY, retry=NO_RETRY) as client:
        yield client
