"""A tenant's change of its bot settings or texts reaches its running bot at once: the bot's
notifier sees `bot_settings.updated` on the tenant's event stream, the next update reads the new
settings (no 60 s wait: the settings clock never moves here), and nobody is told anything. Another
tenant's bot keeps its copy. A changed mode makes the runner let go of the bot at once, long
before its next sync of the tenant list.

With two replicas of the gateway serving one tenant, only the one whose notifier holds the tenant's
event lease sees the event; the other reads the change when its copy is older than the refresh
period (60 s of its settings clock, moved by the test, never slept)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot_gateway.bot_settings import BotSettingsCache
from bot_gateway.runner import BotRunner
from sdk.billinghub.v1 import bot_settings_pb2, event_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import (
    SETTINGS_CLOCK,
    TenantBot,
    TgUser,
    new_user,
    polling_runner,
    shared_dispatcher,
    shared_exports,
    shared_i18n,
    shared_registry,
    shared_settings,
)
from tests.bots.telegram import BotRequest
from tests.bots.test_bot_settings import configure, override
from tests.bots.test_notifications import cursor, notifier
from tests.hub import Hub

WITHIN = 2.0  # seconds a change may take to reach the bot


async def last_change(shop: TenantBot) -> int:
    """The id of the tenant's latest `bot_settings.updated` event."""
    listed: event_service_pb2.ListEventsResponse = await shop.tenant.admin.events.ListEvents(
        event_service_pb2.ListEventsRequest(types=["bot_settings.updated"], page_size=1000)
    )
    return listed.events[-1].id


async def taken(hub: Hub, shop: TenantBot) -> None:
    """Wait until the shop's notifier has handled (and committed) its latest settings change: at
    most WITHIN seconds from when the event can be read (on PostgreSQL, once every older transaction
    of the shared server has ended)."""
    await hub.events_settled()
    change = await last_change(shop)

    async def committed() -> bool:
        return await cursor(shop) >= change

    await soon(committed)


async def soon(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until `check` holds, WITHIN seconds at most."""
    async with asyncio.timeout(WITHIN):
        while not await check():  # noqa: ASYNC110  # polled: the core's cursor, the runner's bots
            await asyncio.sleep(0.02)


async def test_a_changed_text_reaches_the_running_bot_at_once_and_only_its_own(hub: Hub, tenant_bot: NewBot) -> None:
    shop, other = await tenant_bot("Shop A"), await tenant_bot("Shop B")
    ann, bob, carl = new_user("Ann", "en"), new_user("Bob", "en"), new_user("Carl", "en")
    async with notifier(shop), notifier(other):
        await shop.send(ann, "/start")
        await other.send(bob, "/start")
        other_copy = shared_settings().cached(other.tenant.id)
        other_cursor = await cursor(other)

        await override(shop, "en", "menu.balance", "👛 Wallet")
        await taken(hub, shop)
        (worded,) = await shop.send(ann, "/start")
        await configure(shop, welcome_text="Shop A, renewed.")
        await taken(hub, shop)
        (welcomed,) = await shop.send(carl, "/start")  # the welcome text greets a newcomer
        (untouched,) = await other.send(bob, "/start")

    assert worded.buttons()[0][0] == "👛 Wallet"
    assert welcomed.text.startswith("Shop A, renewed.")
    assert untouched.text.startswith("Welcome back, Bob!") and untouched.buttons()[0][0] == "💰 Balance"
    assert shared_settings().cached(other.tenant.id) is other_copy  # B's copy never re-read
    assert await cursor(other) == other_cursor  # B's stream never saw A's changes
    told = [r for r in shop.api.of(shop.token) if r.method == "sendmessage" and r.chat_id == ann.id]
    assert len(told) == 2  # her two /start answers: the changes told her nothing


async def test_a_mode_switch_stops_the_polled_bot_before_the_next_sync(hub: Hub, tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    runner = polling_runner(
        shop, poll_tenants_seconds=3600
    )  # the tenant list is read once: only the event can stop the bot
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:

        async def running() -> bool:
            return shop.tenant.id in runner.running_tenants

        async def stopped() -> bool:
            return not await running()

        await soon(running)
        await configure(shop, support_text="@shop_a_support")  # not the mode: the bot keeps running
        await taken(hub, shop)
        still_running = await running()

        await configure(shop, mode=bot_settings_pb2.BOT_MODE_WEBHOOK)
        await hub.events_settled()
        await soon(stopped)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)

    assert still_running
    assert runner.running_tenants == set()


async def test_a_replica_without_the_event_lease_sees_a_new_admin_after_its_refresh(
    hub: Hub, tenant_bot: NewBot
) -> None:
    shop = await tenant_bot("Shop A")
    ada = new_user("Ada", "en")
    holder_clock = [0.0]  # never moves: the holder's copy changes by the event alone
    holder_settings = BotSettingsCache(refresh_seconds=60.0, clock=lambda: holder_clock[0])
    holder = BotRunner(
        shop.hub,
        shared_dispatcher(),
        poll_tenants_seconds=3600,
        polling_timeout=1,
        telegram_api_url=shop.api.url,
        settings=holder_settings,
        registry=shared_registry(),
        i18n=shared_i18n(),
        exports=shared_exports(),
    )
    other = polling_runner(shop, poll_tenants_seconds=3600)  # its updates: the shared dispatcher's
    stop = asyncio.Event()
    tasks = [asyncio.create_task(holder.run(stop))]
    try:
        await soon(lambda: _running(holder, shop))
        await configure(shop, support_text="@shop_a_support")
        await taken(hub, shop)  # only a lease holder commits: the first replica holds it
        tasks.append(asyncio.create_task(other.run(stop)))
        await soon(lambda: _running(other, shop))
        await shop.send(ada, "/start")
        before = await said(shop, ada, "/admin")  # the second replica's copy, read now

        admins = [bot_settings_pb2.BotAdmin(telegram_id=ada.id, permissions=[bot_settings_pb2.ADMIN_PERMISSION_STATS])]
        await configure(shop, admins=admins)
        await taken(hub, shop)
        holder_copy = await holder_settings.get(shop.hub, shop.tenant.id)
        stale = await said(shop, ada, "/admin")
        SETTINGS_CLOCK[0] += 61  # past the second replica's refresh period
        fresh = await said(shop, ada, "/admin")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)

    assert ada.id in holder_copy.admin_ids  # the holder took the event at once
    assert "⬅️ Menu" not in [label for label, _ in before.buttons()]
    assert stale.text == before.text  # within its refresh period the other replica still says no
    assert [label for label, _ in fresh.buttons()] == ["📊 Stats", "🩺 Health", "⬅️ Menu"]


async def said(shop: TenantBot, user: TgUser, text: str) -> BotRequest:
    """The bot's one answer to `text` (the runners' own calls, their polls, left out)."""
    (answer,) = [r for r in await shop.send(user, text) if r.method == "sendmessage"]
    return answer


async def _running(runner: BotRunner, shop: TenantBot) -> bool:
    return shop.tenant.id in runner.running_tenants
