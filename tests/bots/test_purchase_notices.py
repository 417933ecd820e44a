"""A purchase the user paid from the wallet in the bot is answered once, in the chat ("Paid …
Order …"): its order.fulfilled notice would repeat it and is not sent. An order delivered later,
or bought for the user by someone else (an admin), is still told. Two shops."""

from __future__ import annotations

import asyncio
import json

from bot_gateway.callbacks import PayCallback
from bot_gateway.formatting import short_id
from bot_gateway.notification_texts import user_notice
from sdk.billinghub.v1 import event_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.test_buy import customer, orders_of, token_shop
from tests.bots.test_notifications import buy, notifier, sent
from tests.waiting import until


async def test_a_wallet_purchase_in_the_bot_is_answered_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    other = await tenant_bot("Shop B")
    pack, other_pack = await token_shop(shop), await token_shop(other)
    ivan, ivan_id = await customer(shop, "ru", rub=19900)
    ann, ann_id = await customer(other, "en", rub=19900)

    (paid, _) = await shop.press(ivan, PayCallback(package_id=pack.id, asset="RUB").pack())
    (anns_paid, _) = await other.press(ann, PayCallback(package_id=other_pack.id, asset="RUB").pack())
    (in_bot,) = await orders_of(shop, ivan_id)
    by_admin = await buy(shop, ivan_id, pack.id)  # an admin's purchase for Ivan: news to his chat
    async with notifier(shop), notifier(other):
        await until(lambda: len(sent(shop, ivan.id)) == 1)
        await asyncio.sleep(0.3)  # the in-bot orders' notices would show by now

    assert paid.text.startswith("Оплачено: 199.00 RUB.") and short_id(in_bot.id) in paid.text
    assert anns_paid.text.startswith("Paid: 199.00 RUB.")
    assert [r.text for r in sent(shop, ivan.id)] == [f"Ваш заказ #{short_id(by_admin.id)} выполнен."]
    assert sent(other, ann.id) == []
    (anns_order,) = await orders_of(other, ann_id)
    listed = await other.hub.events.ListEvents(event_service_pb2.ListEventsRequest(types=["order.fulfilled"]))
    (event,) = [json.loads(e.data) for e in listed.events]
    assert event["order_id"] == anns_order.id and event["paid_via"] == "wallet" and event["paid_by"] == "gateway"
    assert event["paid_at"] == event["fulfilled_at"] and event["paid_at"].endswith("Z")


def test_only_a_delivery_in_the_moment_of_a_bots_wallet_payment_is_left_untold() -> None:
    now, later = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"
    in_chat = {"user_id": "u", "order_id": "o", "paid_via": "wallet", "paid_by": "gateway"}
    assert user_notice("order.fulfilled", {**in_chat, "paid_at": now, "fulfilled_at": now}, {}) is None
    for told in (
        {**in_chat, "paid_at": now, "fulfilled_at": later},  # a Stars or Premium task delivered it later
        {**in_chat, "paid_by": "tenant_admin", "paid_at": now, "fulfilled_at": now},
        {**in_chat, "paid_via": "provider:yookassa", "paid_by": "", "paid_at": now, "fulfilled_at": now},
        {"user_id": "u", "order_id": "o"},  # an event of before these fields
    ):
        assert user_notice("order.fulfilled", told, {}) is not None, told
