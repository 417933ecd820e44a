"""Forged buttons: a user of the same shop presses a button naming another user's order or plan.

A modified Telegram client sends any callback data, so Bob can pack Ann's order id into the bot's
"pay" button or Ann's subscription id into "turn off renewal". The bot names its user in every
such call (PayOrderFromWallet, CancelSubscription with user_id), the core answers NOT_FOUND for
another user's object, and Bob sees a plain "not found" answer in his language while Ann's order
stays pending, unpaid, and her plan keeps renewing."""

from __future__ import annotations

from bot_gateway.callbacks import OrderPayCallback, SubscriptionCancelCallback
from sdk.billinghub.v1 import order_pb2, order_service_pb2, package_pb2, subscription_pb2
from tests.bots.conftest import NewBot
from tests.bots.test_account_flows import subscriptions
from tests.bots.test_buy import customer, orders_of
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.money import assert_ledger_ok, balance


async def test_a_forged_pay_button_naming_another_users_order_pays_nothing(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await ensure_rub(shop.tenant)
    pack = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(5_000, "RUB"), delivers=price(10, "TOKEN")
    )
    ann, ann_id = await customer(shop, "en", rub=10_000)
    forgers = [await customer(shop, language, rub=10_000) for language in ("en", "ru", "uk")]
    created = await shop.tenant.admin.orders.CreateOrder(
        order_service_pb2.CreateOrderRequest(user_id=ann_id, package_id=pack.id)
    )
    forged = OrderPayCallback(order_id=created.order.id).pack()

    answers = [(await shop.press(forger, forged))[0].text for forger, _ in forgers]

    assert answers == [
        "This order can no longer be paid.",
        "Этот заказ больше нельзя оплатить.",
        "Це замовлення більше не можна сплатити.",
    ]
    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_PENDING
    for user_id in [ann_id] + [forger_id for _, forger_id in forgers]:
        assert (await balance(shop.tenant.admin, user_id, "RUB")).posted.amount_minor == 10_000
        assert await orders_of(shop, user_id) == ([order] if user_id == ann_id else [])
    (own, _) = await shop.press(ann, forged)
    assert own.text.startswith("Paid")
    await assert_ledger_ok(shop.tenant)


async def test_a_forged_renewal_button_naming_another_users_plan_leaves_it_renewing(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await ensure_rub(shop.tenant)
    plan = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(1_000, "RUB"), plan_code="vip",
        period_days=30, title={"en": "VIP month"},
    )  # fmt: skip
    ann, ann_id = await customer(shop, "en", rub=1_000)
    bob, bob_id = await customer(shop, "en", rub=1_000)  # has a plan of his own: his screen lists it
    olga, _ = await customer(shop, "ru")
    taras, _ = await customer(shop, "uk")
    for user_id in (ann_id, bob_id):
        await shop.tenant.admin.orders.PurchaseFromWallet(
            order_service_pb2.PurchaseFromWalletRequest(user_id=user_id, package_id=plan.id, pay_asset="RUB")
        )
    (ann_plan,) = await subscriptions(shop, ann_id)
    forged = SubscriptionCancelCallback(subscription_id=ann_plan.id).pack()

    answers = [(await shop.press(forger, forged))[0].text for forger in (bob, olga, taras)]

    assert answers[0].startswith("This subscription was not found.\n\nYour subscriptions:\nvip: active until")
    assert answers[0].endswith("renewal on")
    assert answers[1:] == ["У вас нет подписки.", "У вас немає підписки."]
    for user_id in (ann_id, bob_id):
        (kept,) = await subscriptions(shop, user_id)
        assert kept.status == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    (own, _) = await shop.press(ann, forged)
    assert own.text.startswith("Renewal is off.")
