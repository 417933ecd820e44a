"""Fixtures of the bot tests: the fake Bot API server, and tenant bots closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from tests.bots.harness import TenantBot, new_tenant_bot, shared_exports
from tests.bots.telegram import FakeBotApi
from tests.hub import Hub

NewBot = Callable[..., Awaitable[TenantBot]]


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()


@pytest.fixture
async def tenant_bot(hub: Hub, bot_api: FakeBotApi) -> AsyncIterator[NewBot]:
    """Makes tenant bots (`await tenant_bot("Shop A", default_locale="ru", time_zone="Asia/Kolkata")`),
    closed at the end."""
    made: list[TenantBot] = []

    async def make(name: str, default_locale: str = "en", time_zone: str = "UTC") -> TenantBot:
        bot = await new_tenant_bot(hub, bot_api, name, default_locale, time_zone)
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await shared_exports().stop(bot.bot.id)  # an export a test left running, before its session closes
        await bot.bot.session.close()
