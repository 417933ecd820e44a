"""Paying for packages beyond the wallet: through a payment provider (an order and its pay link),
and Stars or Premium for a @username (quantity and recipient typed, the core's price, then the
wallet). Two shops run in every story; another user's order or payment id is never acted on.
"""

from __future__ import annotations

import asyncio

from bot_gateway.callbacks import OrderPayCallback, PackageCallback, ProviderPayCallback
from sdk.billinghub.v1 import order_pb2, package_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, new_user
from tests.bots.test_buy import customer, orders_of, token_shop
from tests.bots.test_topup import payments_of, rub_shop, url_buttons
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit
from tests.money import assert_ledger_ok, balance, fund
from tests.payments.shop import set_testpay
from tests.payments.testpay import PROVIDER


async def test_a_package_paid_through_a_provider_is_delivered_after_check_payment(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    await rub_shop(shop)
    pack = await token_shop(shop)
    await token_shop(other)  # no provider in shop B: its details offer none
    ann, ann_id = await customer(shop, "en")
    ivan, _ = await customer(other, "ru")

    (details, _) = await shop.press(ann, PackageCallback(package_id=pack.id).pack())
    (opened, _) = await shop.press(ann, details.button("Pay with Test pay (RUB)"))
    (order,) = await orders_of(shop, ann_id)
    (payment,) = await payments_of(shop, ann_id)
    PROVIDER.pay(payment.provider_ref)
    (forged, _) = await other.press(ivan, opened.button("Check payment"))
    (paid, _) = await shop.press(ann, opened.button("Check payment"))

    assert (
        details.button("Pay with Test pay (RUB)")
        == ProviderPayCallback(package_id=pack.id, asset="RUB", provider="testpay").pack()
    )
    assert "XTR)" not in str(details.buttons())  # no provider takes XTR here
    assert opened.text.startswith("Payment of 199.00 RUB via Test pay is open.")
    assert url_buttons(opened) == [("💳 Pay", f"https://testpay.invalid/pay/{payment.provider_ref}")]
    assert payment.order_id == order.id and order.total == price(19900, "RUB")
    assert forged.text == "Платёж не найден."
    assert paid.text == "Payment of 199.00 RUB received. Your order is paid, thank you!"
    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_FULFILLED and order.paid_via == "provider:testpay"
    assert (await balance(shop.tenant.admin, ann_id, "TOKEN")).posted.amount_minor == 100
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop.tenant)


async def test_a_provider_that_refuses_leaves_no_pending_order(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop)
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en")
    await set_testpay(shop.tenant, enabled=False)  # switched off after the details were shown

    (refused, _) = await shop.press(
        ann, ProviderPayCallback(package_id=pack.id, asset="RUB", provider="testpay").pack()
    )

    assert refused.text == "This payment method can't take this payment now."
    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_CANCELLED
    assert await payments_of(shop, ann_id) == []


async def test_stars_for_a_username_ask_quantity_and_recipient_then_pay_from_the_wallet(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    stars = await stars_per_unit(shop.tenant)
    other_stars = await stars_per_unit(other.tenant)
    ann, ann_id = await customer(shop, "en", rub=10000)
    ivan, _ = await customer(other, "ru")
    mallory, mallory_id = await customer(shop, "en", rub=100000)

    (details, _) = await shop.press(ann, PackageCallback(package_id=stars.id).pack())
    (asked, _) = await shop.press(ann, details.button("pay in RUB"))
    (ivan_asked, _) = await other.press(ivan, f"rcp:{other_stars.id}:RUB")
    (too_few,) = await shop.send(ann, "10")
    (not_number,) = await shop.send(ann, "many")
    (recipient_asked,) = await shop.send(ann, "100")
    (bad_name,) = await shop.send(ann, "ab")
    (priced,) = await shop.send(ann, "@durov_fan")
    (order,) = await orders_of(shop, ann_id)
    (forged, _) = await shop.press(mallory, OrderPayCallback(order_id=order.id).pack())
    (short, _) = await shop.press(ann, priced.button("from balance"))
    await fund(shop.tenant, ann_id, 8000, "RUB")
    (paid, _) = await shop.press(ann, priced.button("from balance"))

    assert [label for label, _ in details.buttons()] == ["Buy for a @username, pay in RUB", "⬅️ Back"]
    assert asked.text == "How many Stars? Send a number from 50 to 1000000."
    assert ivan_asked.text == "Сколько звёзд? Отправьте число от 50 до 1000000."
    assert too_few.text == not_number.text == "Send a whole number from 50 to 1000000."
    assert recipient_asked.text == "Send the @username of the person who gets it (it may be yours)."
    assert bad_name.text == "That is not a Telegram username: 5 to 32 letters, digits or _, like @durov."
    assert priced.text == "Package for @durov_fan\nStars: 100\nTotal: 180.00 RUB"
    assert forged.text == "This order can no longer be paid."
    assert (await balance(shop.tenant.admin, mallory_id, "RUB")).posted.amount_minor == 100000
    assert short.text.startswith("Not enough funds: the price is 180.00 RUB.")
    assert paid.text.startswith("Paid: 180.00 RUB. @durov_fan will receive it shortly.")
    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_PAID and order.recipient == "durov_fan" and order.quantity == 100
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_premium_asks_only_the_recipient(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="uk")
    await tenant_bot("Shop B")
    await ensure_rub(shop.tenant)
    premium = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM, premium_months=3,
        price=price(99900, "RUB"), category="premium", title={"en": "Premium 3 months", "uk": "Premium 3 місяці"},
    )  # fmt: skip
    olga, olga_id = await customer(shop, "uk", rub=99900)
    late = new_user(language_code="uk")
    await shop.send(late, "/start")

    (asked, _) = await shop.press(olga, f"rcp:{premium.id}:RUB")
    (priced,) = await shop.send(olga, "olga_friend")
    (paid, _) = await shop.press(olga, priced.button("з балансу"))

    assert asked.text == "Надішліть @username отримувача (можна свій)."
    assert priced.text == "Premium 3 місяці для @olga_friend\nРазом: 999.00 RUB"
    assert paid.text.startswith("Сплачено: 999.00 RUB. @olga_friend незабаром отримає покупку.")
    (order,) = await orders_of(shop, olga_id)
    assert order.recipient == "olga_friend" and order.status == order_pb2.ORDER_STATUS_PAID
    await assert_ledger_ok(shop.tenant)


def answers_since(shop: TenantBot, start: int) -> list[str]:
    """The texts the shop's bot sent or edited since request number `start`."""
    made = shop.api.requests[start:]
    return [r.text for r in made if r.token == shop.token and r.method in ("sendmessage", "editmessagetext") and r.text]


async def test_concurrent_presses_pay_an_order_once_and_credit_a_payment_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop)
    stars = await stars_per_unit(shop.tenant)
    ann, ann_id = await customer(shop, "en", rub=100000)
    bob, bob_id = await customer(shop, "en")
    await shop.press(ann, f"rcp:{stars.id}:RUB")
    await shop.send(ann, "100")
    (priced,) = await shop.send(ann, "durov_fan")
    await shop.press(bob, "m:topup")
    await shop.press(bob, "tua:RUB")
    (methods, _) = await shop.press(bob, "tuv:50000")
    (opened, _) = await shop.press(bob, methods.button("Test pay"))
    (payment,) = await payments_of(shop, bob_id)
    PROVIDER.pay(payment.provider_ref)

    # three separate presses each (different callback ids), all at once
    start = len(shop.api.requests)
    await asyncio.gather(*(shop.press(ann, priced.button("from balance")) for _ in range(3)))
    paying = answers_since(shop, start)
    start = len(shop.api.requests)
    await asyncio.gather(*(shop.press(bob, opened.button("Check payment")) for _ in range(3)))
    checking = answers_since(shop, start)

    # presses fed at once answer in any order (the fake records every request in one list), so the
    # answers are judged together, not as the first request each press's slice happens to hold
    assert len(paying) == 3 and any(text.startswith("Paid: 180.00 RUB.") for text in paying), paying
    assert all(text.startswith("Paid: 180.00 RUB.") or text == "This order can no longer be paid." for text in paying)
    assert set(checking) == {"Payment of 500.00 RUB received and credited to your balance."}, checking
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 100000 - 18000
    assert (await balance(shop.tenant.admin, bob_id, "RUB")).posted.amount_minor == 50000
    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_PAID
    await assert_ledger_ok(shop.tenant)
