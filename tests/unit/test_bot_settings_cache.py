"""The bot settings cache drops a tenant's copy on a change (the notifier's `invalidate`): the next
read goes to the core, and a read that was under way when the change came is not trusted as fresh
(it may predate the change), so the read after it goes to the core again."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot_gateway.bot_settings import BotSettingsCache
from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2
from sdk.client import BillingHubClient


class FakeSettings:
    """GetBotSettings answering the current support text, optionally held until `release` is set."""

    def __init__(self) -> None:
        self.support_text = "one"
        self.reads = 0
        self.release: asyncio.Event | None = None

    async def GetBotSettings(self, request: Any) -> bot_settings_service_pb2.GetBotSettingsResponse:
        self.reads += 1
        text = self.support_text
        if self.release is not None:
            await self.release.wait()
        return bot_settings_service_pb2.GetBotSettingsResponse(
            bot_settings=bot_settings_pb2.BotSettings(support_text=text)
        )

    async def ListTextOverrides(self, request: Any) -> bot_settings_service_pb2.ListTextOverridesResponse:
        return bot_settings_service_pb2.ListTextOverridesResponse()


class FakeHub:
    def __init__(self) -> None:
        self.bot_settings = FakeSettings()


def hub_of(fake: FakeHub) -> BillingHubClient:
    return cast(BillingHubClient, fake)


async def test_a_change_makes_the_next_read_go_to_the_core() -> None:
    cache, fake = BotSettingsCache(refresh_seconds=60.0, clock=lambda: 0.0), FakeHub()
    assert (await cache.get(hub_of(fake), "t1")).settings.support_text == "one"
    assert (await cache.get(hub_of(fake), "t1")).settings.support_text == "one"
    fake.bot_settings.support_text = "two"
    cache.invalidate("t1")
    cache.invalidate("t2")  # a tenant never loaded: nothing to drop

    copy = cache.cached("t1")
    assert copy is not None and copy.settings.support_text == "one"  # usable until the next read
    assert (await cache.get(hub_of(fake), "t1")).settings.support_text == "two"
    assert (await cache.get(hub_of(fake), "t1")).settings.support_text == "two"
    assert fake.bot_settings.reads == 2


async def test_a_read_under_way_when_the_change_comes_is_read_again() -> None:
    cache, fake = BotSettingsCache(refresh_seconds=60.0, clock=lambda: 0.0), FakeHub()
    fake.bot_settings.release = asyncio.Event()
    reading = asyncio.create_task(cache.get(hub_of(fake), "t1"))
    while fake.bot_settings.reads == 0:  # noqa: ASYNC110  # the fake has no event for "read began"
        await asyncio.sleep(0)
    fake.bot_settings.support_text = "two"  # the change commits after the read saw "one"
    cache.invalidate("t1")
    fake.bot_settings.release.set()

    assert (await reading).settings.support_text == "one"
    assert (await cache.get(hub_of(fake), "t1")).settings.support_text == "two"
    assert fake.bot_settings.reads == 2
