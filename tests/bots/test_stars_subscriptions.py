"""Telegram Stars subscriptions in the bot: a 30-day plan priced in XTR is sold by an invoice link
the core makes with createInvoiceLink and subscription_period 2592000 (sendInvoice takes none);
the first charge activates the plan, each renewal charge (is_recurring) extends it once, and
turning its renewal off tells Telegram (editUserStarSubscription) and the user. Two shops in
every story; a plan of another length is paid by a plain invoice.
"""

from __future__ import annotations

from bot_gateway.callbacks import MenuCallback, PackageCallback, Screen
from sdk.billinghub.v1 import order_pb2, package_pb2, subscription_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot
from tests.bots.telegram import BotRequest
from tests.bots.test_account_flows import subscriptions
from tests.bots.test_buy import customer, orders_of
from tests.bots.test_stars_topup import take_stars
from tests.bots.test_topup import url_buttons
from tests.commerce.catalog import create_package, price
from tests.money import assert_ledger_ok, balance

SUBSCRIPTION = MenuCallback(screen=Screen.SUBSCRIPTION).pack()


async def plan_shop(shop: TenantBot, days: int = 30, stars: int = 300) -> package_pb2.Package:
    """A VIP plan of `days` days for `stars` Stars."""
    await take_stars(shop)
    return await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(stars, "XTR"), plan_code="vip",
        period_days=days, category="plans", title={"en": "VIP month", "ru": "VIP месяц"},
    )  # fmt: skip


def details_label(details: BotRequest) -> str:
    """The first button of a package's details: its Stars button."""
    return details.buttons()[0][0]


async def test_a_stars_subscription_is_sold_by_link_and_each_renewal_extends_it_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    plan = await plan_shop(shop)
    other_plan = await plan_shop(other, stars=1)
    ann, ann_id = await customer(shop, "en")
    ivan, ivan_id = await customer(other, "ru")

    (details, _) = await shop.press(ann, PackageCallback(package_id=plan.id).pack())
    (link, shown, _) = await shop.press(ann, details.button("Subscribe"))
    payload = link.params["payload"]
    (ivan_details, _) = await other.press(ivan, PackageCallback(package_id=other_plan.id).pack())
    (ivan_link, ivan_shown, _) = await other.press(ivan, ivan_details.button("Подписка"))
    (wrong_shop,) = await other.pre_checkout(ivan, payload, 300)  # shop A's invoice in shop B's bot
    (accepted,) = await shop.pre_checkout(ann, payload, 300)
    (thanks,) = await shop.successful_payment(ann, payload, 300, "sub-1", recurring=True, first_recurring=True)
    (first,) = await subscriptions(shop, ann_id)
    (renewed,) = await shop.successful_payment(ann, payload, 300, "sub-2", recurring=True)
    again = await shop.successful_payment(ann, payload, 300, "sub-2", recurring=True)
    (after,) = await subscriptions(shop, ann_id)
    (twice, _) = await shop.press(ann, details.button("Subscribe"))  # a second Telegram subscription: refused

    assert details_label(details) == "⭐ Subscribe for 300 Stars every 30 days"
    assert link.method == "createinvoicelink" and link.token == shop.token
    assert link.params["subscription_period"] == 2_592_000 and link.params["currency"] == "XTR"
    assert link.params["prices"][0]["amount"] == 300 and link.params["provider_token"] == ""
    assert shown.method == "editmessagetext"
    assert shown.text.startswith("VIP month: 300 XTR every 30 days, paid with Telegram Stars.")
    assert url_buttons(shown) == [("⭐ Subscribe", f"https://t.me/$invoice-{payload}")]
    assert [request.method for request in shop.api.of(shop.token)].count("sendinvoice") == 0
    assert details_label(ivan_details) == "⭐ Подписка за 1 звезду каждые 30 дней"
    assert ivan_link.method == "createinvoicelink" and ivan_link.params["subscription_period"] == 2_592_000
    assert ivan_shown.text.startswith("VIP месяц: 1 XTR каждые 30 дней")
    assert wrong_shop.params["ok"] == "false" and accepted.params["ok"] == "true"
    assert thanks.text == "Payment received: 300 XTR. Thank you!"
    assert renewed.text == "Payment received: 300 XTR. Your subscription is renewed. Thank you!"
    assert again == []  # the same renewal charge again: nothing bought, nothing said
    assert twice.text == "Your plan vip already renews with Telegram Stars every 30 days."

    assert first.renewed_by == "telegram_stars" and first.status == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    assert (first.end_time.ToDatetime() - first.start_time.ToDatetime()).days == 30
    assert (after.end_time.ToDatetime() - after.start_time.ToDatetime()).days == 60  # one renewal: one period
    orders = await orders_of(shop, ann_id)
    assert [order.status for order in orders] == [order_pb2.ORDER_STATUS_FULFILLED] * 2
    assert (await balance(shop.tenant.admin, ann_id, "XTR")).posted.amount_minor == 0
    assert await subscriptions(other, ivan_id) == []  # shop B's user only opened a link
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_the_subscription_screen_says_telegram_renews_and_cancelling_tells_telegram(
    tenant_bot: NewBot,
) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    plan = await plan_shop(shop)
    ann, ann_id = await customer(shop, "en")
    ivan, _ = await customer(other, "ru")
    (details, _) = await shop.press(ann, PackageCallback(package_id=plan.id).pack())
    (link, _, _) = await shop.press(ann, details.button("Subscribe"))
    await shop.successful_payment(ann, link.params["payload"], 300, "sub-1", recurring=True, first_recurring=True)
    (sub,) = await subscriptions(shop, ann_id)
    until = sub.end_time.ToDatetime().strftime("%Y-%m-%d")

    (screen, _) = await shop.press(ann, SUBSCRIPTION)
    (forged, _) = await other.press(ivan, screen.button("Turn off renewal"))
    cancelling = await shop.press(ann, screen.button("Turn off renewal"))

    assert screen.text == (
        f"Your subscriptions:\nvip: active until {until}, renews with Telegram Stars\n\n"
        "Telegram renews a plan paid with Stars every 30 days. To stop it, turn off its renewal here "
        "or cancel it in Telegram: Settings → My Stars → Subscriptions."
    )
    assert forged.text == "У вас нет подписки."  # shop B's user: shop A's plan is not theirs
    (told, cancelled, _) = cancelling
    assert told.method == "edituserstarsubscription" and told.token == shop.token
    assert told.params == {"user_id": ann.id, "telegram_payment_charge_id": "sub-1", "is_canceled": True}
    assert cancelled.text == (
        "Renewal is off: Telegram will not charge you for this plan again. The plan stays until its end.\n\n"
        f"Your subscriptions:\nvip: active until {until}, renewal off"
    )
    (sub,) = await subscriptions(shop, ann_id)
    assert sub.status == subscription_pb2.SUBSCRIPTION_STATUS_CANCELLED
    await assert_ledger_ok(shop.tenant)


async def test_a_plan_of_another_length_is_paid_by_a_plain_invoice(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    week = await plan_shop(shop, days=7)
    ann, _ = await customer(shop, "en")

    (details, _) = await shop.press(ann, PackageCallback(package_id=week.id).pack())
    (invoice, _) = await shop.press(ann, details.button("Telegram Stars"))

    assert details_label(details) == "⭐ Pay 300 with Telegram Stars"
    assert invoice.method == "sendinvoice" and "subscription_period" not in invoice.params
    assert invoice.params["prices"][0]["amount"] == 300


async def test_telegram_down_changes_nothing_and_says_to_try_again(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    plan = await plan_shop(shop)
    other_plan = await plan_shop(other)
    ann, ann_id = await customer(shop, "en")
    bob, bob_id = await customer(other, "en")
    (details, _) = await shop.press(ann, PackageCallback(package_id=plan.id).pack())
    (link, _, _) = await shop.press(ann, details.button("Subscribe"))
    await shop.successful_payment(ann, link.params["payload"], 300, "sub-1", recurring=True, first_recurring=True)
    (screen, _) = await shop.press(ann, SUBSCRIPTION)
    shop.api.down |= {"edituserstarsubscription", "createinvoicelink"}

    (_, kept, _) = await shop.press(ann, screen.button("Turn off renewal"))
    (bob_details, _) = await other.press(bob, PackageCallback(package_id=other_plan.id).pack())
    (_, unreachable, _) = await other.press(bob, bob_details.button("Subscribe"))

    assert kept.text.startswith(
        "Telegram can't be reached now, so the plan still renews. Please try again in a minute.\n\n"
    )
    (sub,) = await subscriptions(shop, ann_id)
    assert sub.status == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE and sub.renewed_by == "telegram_stars"
    assert unreachable.text == "Telegram can't be reached now. Please try again in a minute."
    (order,) = await orders_of(other, bob_id)
    assert order.status == order_pb2.ORDER_STATUS_CANCELLED  # no pending order left behind
