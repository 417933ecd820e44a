"""Notifications from the event stream: a user hears that their order was delivered or refunded,
in their language, exactly once across a gateway restart; the tenant's alert chat hears of new
paid orders; a user who blocked the bot is marked once and cleared when they write again.

Each shop's notifier runs as the runner starts it (a task reading WatchEvents with the durable
consumer cursor); the story is driven through the core's public RPCs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot_gateway.formatting import short_id
from bot_gateway.i18n import SUPPORTED_LOCALES
from bot_gateway.notification_texts import USER_EVENT_TYPES, user_notice
from bot_gateway.notifier import CONSUMER, Notifier
from sdk.billinghub.v1 import event_service_pb2, order_pb2, order_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import (
    TenantBot,
    polling_runner,
    shared_i18n,
    shared_registry,
    shared_settings,
)
from tests.bots.telegram import BotRequest
from tests.bots.test_bot_settings import configure
from tests.bots.test_buy import customer, token_shop
from tests.money import fund
from tests.waiting import until


@contextlib.asynccontextmanager
async def notifier(shop: TenantBot) -> AsyncIterator[asyncio.Task[None]]:
    """The shop's notifier running, as the runner starts it beside the bot; stopped on exit."""
    running = Notifier(shop.hub, shop.bot, shop.tenant.id, shared_settings(), shared_i18n(), shared_registry())
    task = asyncio.create_task(running.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def sent(shop: TenantBot, chat_id: int) -> list[BotRequest]:
    """The notices sent to a chat (what the bot answered to commands is left out)."""
    requests = shop.api.of(shop.token)
    return [r for r in requests if r.method == "sendmessage" and r.chat_id == chat_id and not r.buttons()]


async def buy(shop: TenantBot, user_id: str, package_id: str) -> order_pb2.Order:
    await fund(shop.tenant, user_id, 19900, "RUB")
    response: order_service_pb2.PurchaseFromWalletResponse = await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(user_id=user_id, package_id=package_id, pay_asset="RUB")
    )
    return response.order


async def refund(shop: TenantBot, order_id: str) -> None:
    await shop.tenant.admin.orders.RefundOrder(
        order_service_pb2.RefundOrderRequest(order_id=order_id, reason="asked for", actor="ann")
    )


async def cursor(shop: TenantBot) -> int:
    response: event_service_pb2.GetEventCursorResponse = await shop.hub.events.GetEventCursor(
        event_service_pb2.GetEventCursorRequest(consumer=CONSUMER)
    )
    return response.cursor.event_id


async def test_each_notice_arrives_once_across_a_restart_in_the_users_language(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A", default_locale="ru")
    shop_b = await tenant_bot("Shop B")
    await configure(shop_a, alert_chat_id=-100500, alert_topic_id=7)
    pack_a, pack_b = await token_shop(shop_a), await token_shop(shop_b)
    ivan, ivan_id = await customer(shop_a, "ru")
    ann, ann_id = await customer(shop_b, "en")
    first = await buy(shop_a, ivan_id, pack_a.id)
    anns = await buy(shop_b, ann_id, pack_b.id)

    async with notifier(shop_a), notifier(shop_b):
        # stopped the moment the notice is out: its commit may still be under way
        await until(lambda: len(sent(shop_a, ivan.id)) == 1 and len(sent(shop_b, ann.id)) == 1)
    # the gateway is down while more happens
    second = await buy(shop_a, ivan_id, pack_a.id)
    await refund(shop_a, first.id)
    async with notifier(shop_a):
        await until(lambda: any("возвращено" in r.text for r in sent(shop_a, ivan.id)))
        await asyncio.sleep(0.3)  # anything repeated would show by now

    short = [short_id(order.id) for order in (first, second)]
    assert [r.text for r in sent(shop_a, ivan.id)] == [
        f"Ваш заказ #{short[0]} выполнен.",
        f"Ваш заказ #{short[1]} выполнен.",
        f"По заказу #{short[0]} возвращено: 199.00 RUB.",
    ]
    assert [r.text for r in sent(shop_b, ann.id)] == [f"Your order #{short_id(anns.id)} has been delivered."]
    alerts = sent(shop_a, -100500)
    assert [(r.text, r.params.get("message_thread_id")) for r in alerts] == [
        (f"Новый оплаченный заказ #{short[0]}: 199.00 RUB.", "7"),
        (f"Новый оплаченный заказ #{short[1]}: 199.00 RUB.", "7"),
    ]
    assert not sent(shop_b, -100500)  # B has no alert chat
    listed = await shop_a.hub.events.ListEvents(event_service_pb2.ListEventsRequest(consumer=CONSUMER))
    assert [e.type for e in listed.events if e.type.startswith("order.")] == []  # all committed
    assert await cursor(shop_b) > 0


async def test_a_user_who_blocked_the_bot_is_marked_once_and_cleared_when_back(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    pack, other_pack = await token_shop(shop), await token_shop(other)
    ann, ann_id = await customer(shop, "en")
    bob, bob_id = await customer(other, "en")
    shop.api.blocked_by.add(ann.id)
    await buy(shop, ann_id, pack.id)
    await buy(shop, ann_id, pack.id)
    await buy(other, bob_id, other_pack.id)

    async with notifier(shop), notifier(other):
        await until(lambda: len(sent(other, bob.id)) == 1)
        await until(lambda: len(sent(shop, ann.id)) >= 1)
        await asyncio.sleep(0.3)
    marked = await shop.core_user(ann)
    shop.api.blocked_by.discard(ann.id)
    (greeting,) = await shop.send(ann, "/start")
    back = await shop.core_user(ann)

    assert marked.bot_blocked and marked.HasField("bot_blocked_time")
    assert len(sent(shop, ann.id)) == 1  # refused once, never retried; the next notice skipped
    assert not (await other.core_user(bob)).bot_blocked
    assert greeting.text.startswith("Welcome back, Ann!")
    assert not back.bot_blocked and not back.HasField("bot_blocked_time")


SAMPLES: dict[str, dict[str, Any]] = {
    "payment.succeeded": {"user_id": "u", "asset": "RUB", "amount_minor": 19900, "provider": "yookassa"},
    "order.fulfilled": {"user_id": "u", "order_id": "abcdef0123"},
    "order.failed": {"user_id": "u", "order_id": "abcdef0123", "reason": "x"},
    "order.refunded": {"user_id": "u", "order_id": "abcdef0123", "asset": "RUB", "refunded_minor": 100},
    "subscription.expiring": {"user_id": "u", "plan_code": "pro", "end_time": "2026-12-01T00:00:00+00:00"},
    "subscription.expired": {"user_id": "u", "plan_code": "pro"},
    "referral.commission": {"referrer_id": "u", "buyer_id": "b", "asset": "RUB", "amount": 250},
    "topup_request.approved": {"user_id": "u", "asset": "RUB", "amount_minor": 50000},
    "topup_request.rejected": {"user_id": "u", "asset": "RUB", "amount_minor": 50000, "reason": "No receipt."},
    "referral.payout_paid": {"user_id": "u", "asset": "RUB", "amount_minor": 100000},
    "referral.payout_rejected": {"user_id": "u", "asset": "RUB", "amount_minor": 100000, "reason": ""},
}


def test_every_notified_event_reads_well_in_every_locale() -> None:
    i18n = shared_i18n()
    assert set(SAMPLES) == set(USER_EVENT_TYPES)
    for event_type, data in SAMPLES.items():
        notice = user_notice(event_type, data, {"RUB": 2})
        assert notice is not None and notice.user_id == "u", event_type
        for locale in SUPPORTED_LOCALES:
            text = i18n.gettext(notice.text, locale=locale).format(**notice.values)
            assert "{" not in text and (locale == "en" or text != notice.text), (event_type, locale, text)
    expiring = user_notice("subscription.expiring", SAMPLES["subscription.expiring"], {})
    assert expiring is not None and expiring.values == {"plan": "pro", "date": "2026-12-01"}
    refunded = user_notice("order.refunded", SAMPLES["order.refunded"], {"RUB": 2})
    assert refunded is not None and refunded.values == {"order": "#cdef0123", "amount": "1.00 RUB"}
    stars = {**SAMPLES["payment.succeeded"], "provider": "telegram_stars"}
    assert user_notice("payment.succeeded", stars, {}) is None  # thanked for in the chat already
    assert user_notice("wallet.credited", {"user_id": "u"}, {}) is None


async def test_the_runner_runs_a_notifier_beside_each_bot_and_stops_it_with_the_bot(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en")
    order = await buy(shop, ann_id, pack.id)
    runner = polling_runner(shop, poll_tenants_seconds=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await until(lambda: len(sent(shop, ann.id)) == 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)

    assert [r.text for r in sent(shop, ann.id)] == [f"Your order #{short_id(order.id)} has been delivered."]
    assert await cursor(shop) > 0
