"""Fakes the gateways talk to: a Telegram Bot API server and a core, both real servers on port 0.

The gateways run unmodified against them (aiogram over HTTP, the SDK over gRPC), so the tests see
what a user would: the messages a bot sent, the calls the core received.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import grpc
from aiohttp import web

from sdk.billinghub.v1 import (
    bot_settings_pb2,
    bot_settings_service_pb2,
    bot_settings_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    user_pb2,
    user_service_pb2,
    user_service_pb2_grpc,
)

GATEWAY_KEY = "bh_gateway_0123abcd_s3cr3t"
BOT_USERNAME = "hub_test_bot"


class FakeTelegram:
    """Just enough of the Bot API for polling bots: getMe, deleteWebhook, getUpdates, sendMessage."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []  # (token, method)
        self._updates: dict[str, list[dict[str, Any]]] = {}
        self._message_ids = itertools.count(1000)
        self._sent_changed = asyncio.Condition()
        self.url = ""

    def queue_update(self, token: str, update: dict[str, Any]) -> None:
        """Serve `update` to the bot of `token` until it confirms it (getUpdates offset)."""
        self._updates.setdefault(token, []).append(update)

    async def wait_sent(self, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        """The sent messages once there are at least `count` of them."""
        async with asyncio.timeout(within), self._sent_changed:
            await self._sent_changed.wait_for(lambda: len(self.sent) >= count)
        return self.sent

    def polls(self, token: str) -> int:
        """How many getUpdates calls the bot of `token` made."""
        return sum(1 for t, method in self.calls if t == token and method == "getupdates")

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"].lower()
        payload = dict(await request.post())
        self.calls.append((token, method))
        bot_id = int(token.split(":")[0])
        result: Any
        if method == "getme":
            result = {"id": bot_id, "is_bot": True, "first_name": "Hub Test", "username": BOT_USERNAME}
        elif method == "deletewebhook":
            result = True
        elif method == "getupdates":
            offset = int(str(payload.get("offset") or 0))
            result = [u for u in self._updates.get(token, []) if u["update_id"] >= offset]
            if not result:  # a long poll that ends early, so stopping the bot is quick
                await asyncio.sleep(min(float(str(payload.get("timeout") or 0)), 0.2))
        elif method == "sendmessage":
            async with self._sent_changed:
                self.sent.append({"token": token, **payload})
                self._sent_changed.notify_all()
            result = {
                "message_id": next(self._message_ids),
                "date": 1_700_000_000,
                "chat": {"id": int(str(payload["chat_id"])), "type": "private"},
                "text": payload["text"],
            }
        else:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": result})


@dataclass
class RegisterCall:
    """One RegisterUser the fake core received, with the call's metadata."""

    request: user_service_pb2.RegisterUserRequest
    metadata: dict[str, str]


@dataclass
class FakeCore:
    """The core as the bot gateway sees it; tests set `bot_tenants` and read `register_calls`."""

    target: str = ""
    bot_tenants: list[gateway_service_pb2.BotTenant] = field(default_factory=list)
    register_calls: list[RegisterCall] = field(default_factory=list)
    list_metadata: list[dict[str, str]] = field(default_factory=list)


class FakeGatewayService(gateway_service_pb2_grpc.GatewayServiceServicer):
    def __init__(self, core: FakeCore) -> None:
        self._core = core

    async def ListBotTenants(
        self, request: gateway_service_pb2.ListBotTenantsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> gateway_service_pb2.ListBotTenantsResponse:
        self._core.list_metadata.append(_metadata(context))
        return gateway_service_pb2.ListBotTenantsResponse(bot_tenants=self._core.bot_tenants)


class FakeBotSettingsService(bot_settings_service_pb2_grpc.BotSettingsServiceServicer):
    """Every bot in polling mode, as a tenant's settings are until someone changes them."""

    async def GetBotSettings(
        self, request: bot_settings_service_pb2.GetBotSettingsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> bot_settings_service_pb2.GetBotSettingsResponse:
        settings = bot_settings_pb2.BotSettings(mode=bot_settings_pb2.BOT_MODE_POLLING)
        return bot_settings_service_pb2.GetBotSettingsResponse(bot_settings=settings)


class FakeUserService(user_service_pb2_grpc.UserServiceServicer):
    def __init__(self, core: FakeCore) -> None:
        self._core = core

    async def RegisterUser(
        self, request: user_service_pb2.RegisterUserRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> user_service_pb2.RegisterUserResponse:
        self._core.register_calls.append(RegisterCall(request, _metadata(context)))
        user = user_pb2.User(
            id="user-1",
            platform=request.platform,
            external_id=request.external_id,
            first_name=request.first_name,
            referral_code="own123",
        )
        return user_service_pb2.RegisterUserResponse(
            user=user, created=True, referrer_attributed=request.referral_code == "abc"
        )


def _metadata(context: grpc.aio.ServicerContext[Any, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in context.invocation_metadata() or ()}
