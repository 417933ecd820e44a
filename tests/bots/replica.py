"""`python -m tests.bots.replica < job.json`: one bot gateway replica, in a process of its own.

It builds the gateway's dispatcher with the shared state of `BILLING_HUB_REDIS_URL`-style
settings (`build_state`), feeds the updates of the job to the tenant bots named in it, and exits:
nothing survives in its memory, so whatever the next replica knows came through Redis (or the core).

The job: {"core", "redis_url", "prefix", "api_url",
          "bots": [{"tenant_id", "gateway_key", "token"}], "updates": [{"token", "update"}]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from bot_gateway.dispatcher import build_dispatcher
from bot_gateway.middlewares.tenant import BOT_TENANT_KEY, HUB_KEY
from bot_gateway.redis_state import build_state
from bot_gateway.session import BotSession
from sdk.billinghub.v1 import gateway_service_pb2
from sdk.client import BillingHubClient


async def run(job: dict[str, Any]) -> None:
    state = build_state(job["redis_url"], prefix=job["prefix"])
    dispatcher = build_dispatcher(state.storage, limiter=state.limiter)
    contexts: dict[str, tuple[Bot, dict[str, Any]]] = {}
    clients: list[BillingHubClient] = []
    try:
        for spec in job["bots"]:
            client = BillingHubClient(job["core"], spec["gateway_key"])
            clients.append(client)
            listed: gateway_service_pb2.ListBotTenantsResponse = await client.gateway.ListBotTenants(
                gateway_service_pb2.ListBotTenantsRequest()
            )
            (tenant,) = [bot for bot in listed.bot_tenants if bot.tenant_id == spec["tenant_id"]]
            bot = Bot(spec["token"], session=BotSession(api=TelegramAPIServer.from_base(job["api_url"])))
            contexts[spec["token"]] = (bot, {BOT_TENANT_KEY: tenant, HUB_KEY: client.for_tenant(tenant.tenant_id)})
        for item in job["updates"]:
            bot, context = contexts[item["token"]]
            await dispatcher.feed_update(bot, Update.model_validate(item["update"], context={"bot": bot}), **context)
    finally:
        for bot, _ in contexts.values():
            await bot.session.close()
        for client in clients:
            await client.close()
        await state.close()


if __name__ == "__main__":
    asyncio.run(run(json.load(sys.stdin)))
