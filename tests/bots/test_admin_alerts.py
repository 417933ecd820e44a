"""Alerts to a tenant's admin chat: besides new paid orders, an underpaid payment, a failed delivery
(an order's, a service post's), a new top-up or payout request and a finished broadcast each arrive
once, in the tenant's default locale, in the forum topic when one is set; a shop without an alert
chat hears of none, and the users' own notices stay as they were.

Each story runs through the core's public RPCs (a provider's webhook, a fulfillment processor, a
gateway reporting a broadcast) while the shops' notifiers run as the runner starts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from bot_gateway.formatting import short_id
from bot_gateway.i18n import SUPPORTED_LOCALES
from bot_gateway.notification_texts import ADMIN_EVENT_TYPES, NOTIFIED_TYPES, USER_EVENT_TYPES, admin_notice
from sdk.billinghub.v1 import (
    broadcast_pb2,
    fulfillment_service_pb2,
    order_service_pb2,
    package_pb2,
    referral_service_pb2,
    topup_pb2,
    topup_service_pb2,
)
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, shared_i18n
from tests.bots.telegram import BotRequest
from tests.bots.test_bot_settings import configure
from tests.bots.test_buy import customer
from tests.bots.test_notifications import notifier, sent
from tests.bots.test_service_tasks import bought_service
from tests.broadcasts.broadcasts import SENT, lease, report, started
from tests.commerce.catalog import ensure_rub, stars_per_unit
from tests.commerce.orders import create_order, pay
from tests.commerce.referrals import buy, join, set_program
from tests.hub import Hub
from tests.money import fund, money
from tests.payments.shop import deliver, invoice_of, open_topup, set_testpay
from tests.payments.testpay import PROVIDER
from tests.waiting import until

ALERT_CHAT = -100700
AFFILIATE = 71  # the Telegram id of a user who blocked the bot when the broadcasts reach them
STARS = package_pb2.PACKAGE_KIND_TELEGRAM_STARS
SERVICE = package_pb2.PACKAGE_KIND_SERVICE


def alerts(shop: TenantBot) -> list[BotRequest]:
    """Whatever the shop's bot sent to any group chat (an alert chat's id is negative)."""
    return [r for r in shop.api.of(shop.token) if r.method == "sendmessage" and (r.chat_id or 0) < 0]


async def topup_request(shop: TenantBot, amount: int) -> None:
    _payer, payer_id = await customer(shop, "en")
    method = topup_pb2.TopupMethod(code="card", title={"en": "Card"}, active=True)
    await shop.tenant.admin.topups.SetTopupMethods(topup_service_pb2.SetTopupMethodsRequest(methods=[method]))
    await shop.tenant.admin.topups.CreateTopupRequest(
        topup_service_pb2.CreateTopupRequestRequest(
            user_id=payer_id, method_code="card", amount=money(amount, "RUB"), receipt="https://example.com/r.jpg"
        )
    )


async def payout_request(shop: TenantBot) -> str:
    """An affiliate earns 100 XTR on a 1000 XTR sale and asks for 30 of it; the sale's order id."""
    await set_program(shop.tenant, level_rates_bps=[1000], payout_asset="XTR", min_payout_minor=5)
    affiliate, code = await join(shop.tenant, str(AFFILIATE))
    buyer, _ = await join(shop.tenant, "72", code)
    sale = await buy(shop.tenant, buyer, 1000)
    await shop.tenant.admin.referrals.CreatePayoutRequest(
        referral_service_pb2.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=30, destination="bc1qexample")
    )
    return sale


async def underpaid(hub: Hub, shop: TenantBot, user_id: str) -> None:
    """A 500.00 RUB top-up at the provider, of which 300.00 arrive."""
    await set_testpay(shop.tenant)
    payment = await open_topup(shop.tenant, user_id, 50_000)
    PROVIDER.pay(payment.provider_ref, amount=30_000)
    await deliver(hub, shop.tenant, invoice_of(payment))


async def failed_stars_order(shop: TenantBot, user_id: str) -> str:
    """50 Stars for a @username (90.00 RUB), whose delivery fails for good; the order id."""
    stars = await stars_per_unit(shop.tenant)
    await fund(shop.tenant, user_id, 9_000, "RUB")
    order = await create_order(shop.tenant, user_id, stars.id, quantity=50, recipient="gift_target")
    await pay(shop.tenant, order.id)
    fulfillment = shop.tenant.admin.fulfillment
    (task,) = (await fulfillment.LeaseTasks(fulfillment_service_pb2.LeaseTasksRequest(kind=STARS))).tasks
    await fulfillment.FailTask(fulfillment_service_pb2.FailTaskRequest(task_id=task.id, reason="USERNAME_NOT_FOUND"))
    return order.id


async def failed_post(shop: TenantBot, user_id: str) -> str:
    """A service order (99.99 RUB) whose one post fails; the order id."""
    await fund(shop.tenant, user_id, 9_999, "RUB")
    order = await bought_service(shop, user_id)
    await shop.tenant.admin.orders.SubmitServiceInput(
        order_service_pb2.SubmitServiceInputRequest(order_id=order, url="https://t.me/c/1", platform="telegram")
    )
    fulfillment = shop.tenant.admin.fulfillment
    (task,) = (await fulfillment.LeaseTasks(fulfillment_service_pb2.LeaseTasksRequest(kind=SERVICE))).tasks
    await fulfillment.FailTask(fulfillment_service_pb2.FailTaskRequest(task_id=task.id, reason="post deleted"))
    return order


async def finished_broadcast(shop: TenantBot, blocked: Collection[int] = ()) -> int:
    """A broadcast to every user, sent by the gateway: the users of chats `blocked` blocked the bot
    (and are marked so); the audience."""
    broadcast = await started(shop.tenant.admin)
    leased = await lease(shop.hub, broadcast.id, 100)
    recipients = list(leased.recipients)
    outcomes = [
        broadcast_pb2.BroadcastResult(
            recipient_id=r.recipient_id,
            outcome=broadcast_pb2.BROADCAST_OUTCOME_BLOCKED if r.chat_id in blocked else SENT,
        )
        for r in recipients
    ]
    await report(shop.hub, broadcast.id, outcomes)
    return len(recipients)


async def test_each_alert_arrives_once_in_the_topic_and_not_where_no_chat_is_set(hub: Hub, tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="uk")
    quiet = await tenant_bot("Shop B")
    await configure(shop, alert_chat_id=ALERT_CHAT, alert_topic_id=9)
    for each in (shop, quiet):
        await ensure_rub(each.tenant)
    buyer, buyer_id = await customer(shop, "uk")
    quiet_buyer, quiet_buyer_id = await customer(quiet, "en")

    await topup_request(shop, 10_000)
    sale = await payout_request(shop)
    await underpaid(hub, shop, buyer_id)
    stars = await failed_stars_order(shop, buyer_id)
    service = await failed_post(shop, (await customer(shop, "en"))[1])  # a user with no other order
    audience = await finished_broadcast(shop, blocked={AFFILIATE})
    # the same in the shop without an alert chat
    await topup_request(quiet, 10_000)
    await failed_stars_order(quiet, quiet_buyer_id)
    await finished_broadcast(quiet)

    expected = [
        ("📥 Нова заявка на поповнення: 100.00 RUB (card). Дивіться /admin.", "9"),
        (f"Нове оплачене замовлення #{short_id(sale)}: 1000 XTR.", "9"),
        ("📤 Нова заявка на виплату: 30 XTR на bc1qexample. Дивіться /admin.", "9"),
        ("⚠️ Недоплата: очікувалося 500.00 RUB, отримано 300.00 RUB, зараховано на баланс.", "9"),
        (f"Нове оплачене замовлення #{short_id(stars)}: 90.00 RUB.", "9"),
        (f"❗ Замовлення #{short_id(stars)} не вдалося виконати: USERNAME_NOT_FOUND", "9"),
        (f"Нове оплачене замовлення #{short_id(service)}: 99.99 RUB.", "9"),
        (f"❗ Пост за замовленням послуги #{short_id(service)} не виконано: post deleted", "9"),
        (f"📣 Розсилку завершено. Доставлено: {audience - 1}, заблокували бота: 1, помилок: 0 з {audience}.", "9"),
    ]
    async with notifier(shop), notifier(quiet):
        await until(lambda: len(alerts(shop)) >= len(expected))
        await until(lambda: any("could not be completed" in r.text for r in sent(quiet, quiet_buyer.id)))
        await asyncio.sleep(0.3)  # anything repeated would show by now

    assert audience >= 4
    got = [(r.text, r.params.get("message_thread_id")) for r in alerts(shop)]
    assert got == expected
    assert {r.chat_id for r in alerts(shop)} == {ALERT_CHAT}
    assert alerts(quiet) == []  # no alert chat: nothing sent anywhere but to the users
    # the buyer's own notice of the failed order is the one it always was
    assert f"Ваше замовлення #{short_id(stars)} не вдалося виконати." in [r.text for r in sent(shop, buyer.id)]


async def test_alerts_without_a_topic_speak_the_shops_language(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="en")
    await configure(shop, alert_chat_id=ALERT_CHAT)
    await ensure_rub(shop.tenant)
    await topup_request(shop, 25_050)
    await join(shop.tenant, str(AFFILIATE))
    audience = await finished_broadcast(shop, blocked={AFFILIATE})

    async with notifier(shop):
        await until(lambda: len(alerts(shop)) >= 2)
        await asyncio.sleep(0.3)

    assert [(r.text, r.params.get("message_thread_id")) for r in alerts(shop)] == [
        ("📥 New top-up request: 250.50 RUB (card). See /admin.", None),
        (f"📣 Broadcast finished. Sent: {audience - 1}, blocked: 1, failed: 0 of {audience}.", None),
    ]


SAMPLES = {
    "order.paid": {"order_id": "01234567-89ab-cdef-0123-456789abcdef", "asset": "RUB", "total_minor": 100},
    "payment.underpaid": dict(asset="RUB", amount_minor=50000, received_asset="RUB", received_minor=30000),
    "order.failed": {"order_id": "01234567-89ab-cdef-0123-456789abcdef", "reason": "x" * 300},
    "task.failed": {"order_id": "01234567-89ab-cdef-0123-456789abcdef", "kind": "service", "last_error": "gone"},
    "topup_request.created": {"asset": "RUB", "amount_minor": 100, "method_code": "card"},
    "referral.payout_requested": {"asset": "RUB", "amount_minor": 100, "destination": "4111"},
    "broadcast.finished": {"sent": 5, "blocked": 1, "failed": 2, "audience": 8},
}


def test_every_alert_reads_well_in_every_locale() -> None:
    i18n = shared_i18n()
    assert set(SAMPLES) == set(ADMIN_EVENT_TYPES)
    assert set(NOTIFIED_TYPES) == set(USER_EVENT_TYPES) | set(ADMIN_EVENT_TYPES)
    assert len(NOTIFIED_TYPES) == len(set(NOTIFIED_TYPES))  # each type watched once
    rendered = {}
    for event_type, data in SAMPLES.items():
        notice = admin_notice(event_type, data, {"RUB": 2})
        assert notice is not None and notice.user_id == "", event_type
        for locale in SUPPORTED_LOCALES:
            text = i18n.gettext(notice.text, locale=locale).format(**notice.values)
            assert "{" not in text and (locale == "en" or text != notice.text), (event_type, locale, text)
            rendered[event_type, locale] = text
    assert rendered["payment.underpaid", "ru"] == (
        "⚠️ Недоплата: ожидалось 500.00 RUB, получено 300.00 RUB, ничего не зачислено."
    )
    assert rendered["broadcast.finished", "ru"] == (
        "📣 Рассылка завершена. Доставлено: 5, заблокировали бота: 1, ошибок: 2 из 8."
    )
    assert rendered["order.failed", "en"] == f"❗ Delivery of order #89abcdef failed: {'x' * 199}…"
    # a task of a Stars or Premium order is told by its order's failure, not twice
    assert admin_notice("task.failed", {**SAMPLES["task.failed"], "kind": "telegram_stars"}, {}) is None
    assert admin_notice("wallet.credited", {}, {}) is None
