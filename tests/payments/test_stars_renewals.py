"""No double renewal: a plan Telegram renews (a Stars subscription, every charge of which extends
it through ConfirmTelegramPayment) is never renewed from the wallet by the renewal worker, however
many Stars the wallet holds; a plan bought any other way still is. The plan stops being Telegram's
when it is cancelled, when it ends, or when a renewal charge renews nothing (the charge, credited
to the wallet, then pays the worker's renewal)."""

from __future__ import annotations

import datetime as dt
import json

from google.protobuf import field_mask_pb2

from core_server.domain.clock import FrozenClock
from core_server.domain.entitlements.renewal import RenewalService
from core_server.domain.subscriptions.plans import PROVIDER_RENEWAL_GRACE
from sdk import BillingHubClient
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import order_pb2, package_pb2, payment_pb2, subscription_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import payment_service_pb2 as payments_pb
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order
from tests.commerce.promos import settled_events
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund
from tests.payments.stars import MONTH, confirm, invoice, stars_shop, user_payments
from tests.providers.fakes.telegram import FakeTelegramBotApi

S = subscription_pb2
DAY = dt.timedelta(days=1)


async def _plan(shop: TenantHandle, stars: int = 100) -> package_pb2.Package:
    return await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(stars, "XTR"), plan_code="pro", period_days=30
    )


async def _subscription(shop: TenantHandle, user: str) -> S.Subscription:
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest(user_id=user))
    [subscription] = listed.subscriptions
    found: S.Subscription = subscription
    return found


def _end(subscription: S.Subscription) -> dt.datetime:
    return subscription.end_time.ToDatetime(tzinfo=dt.UTC)


async def _orders(shop: TenantHandle, user: str) -> list[order_pb2.Order]:
    return list((await shop.admin.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=user))).orders)


async def _set_price(shop: TenantHandle, plan: package_pb2.Package, stars: int) -> None:
    await shop.admin.catalog.UpdatePackage(
        catalog_pb.UpdatePackageRequest(
            package=package_pb2.Package(id=plan.id, price=price(stars, "XTR")),
            update_mask=field_mask_pb2.FieldMask(paths=["price"]),
        )
    )


async def _subscribe_with_telegram(
    shop: TenantHandle, user: str, bot: BillingHubClient, bot_api: FakeTelegramBotApi, plan: package_pb2.Package
) -> str:
    """The buyer takes a Telegram Stars subscription to the plan; the invoice payload."""
    order = await create_order(shop, user, plan.id)
    payload = (await invoice(bot, user, order=order.id, subscription_period=MONTH)).invoice.payload
    charge = bot_api.pay(payload, 100, period=MONTH)
    await confirm(bot, user, payload, 100, charge, is_recurring=True, is_first_recurring=True)
    return payload


async def test_a_plan_telegram_renews_is_never_renewed_from_the_wallet(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Telegram renews")
    plan = await _plan(shop)
    payload = await _subscribe_with_telegram(shop, user, bot, bot_api, plan)
    first = await _subscription(shop, user)
    assert (first.status, first.renewed_by) == (S.SUBSCRIPTION_STATUS_ACTIVE, "telegram_stars")
    await fund(shop, user, 500, "XTR")  # plenty for a renewal from the wallet
    worker = RenewalService(clocked_hub.deps)

    clock.advance(30 * DAY + dt.timedelta(minutes=5))  # past the end: Telegram's charge is late
    await worker.run_due()
    waiting = await _subscription(shop, user)
    assert (waiting.status, _end(waiting), waiting.renewed_by) == (
        S.SUBSCRIPTION_STATUS_ACTIVE,
        _end(first),
        "telegram_stars",
    )
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 500
    assert len(await _orders(shop, user)) == 1

    renewal = bot_api.pay(payload, 100, period=MONTH)  # the late charge arrives: it buys the period
    renewed = await confirm(bot, user, payload, 100, renewal, is_recurring=True)
    assert renewed.payment.status == payment_pb2.PAYMENT_STATUS_SUCCEEDED
    extended = await _subscription(shop, user)
    assert (extended.status, extended.renewed_by) == (S.SUBSCRIPTION_STATUS_ACTIVE, "telegram_stars")
    assert _end(extended) == clock.now() + 30 * DAY
    await worker.run_due()
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 500
    assert len(await _orders(shop, user)) == 2

    clock.advance(30 * DAY + PROVIDER_RENEWAL_GRACE - dt.timedelta(seconds=1))  # no charge this time
    await worker.run_due()
    assert (await _subscription(shop, user)).status == S.SUBSCRIPTION_STATUS_ACTIVE  # still waiting
    clock.advance(dt.timedelta(seconds=1))
    await worker.run_due()
    expired = await _subscription(shop, user)
    assert (expired.status, expired.renewed_by) == (S.SUBSCRIPTION_STATUS_EXPIRED, "")
    [ended] = await settled_events(shop, "subscription.expired")
    data = json.loads(ended.data)
    assert (data["reason"], data["renewed_by"]) == ("not_renewed_by_provider", "telegram_stars")
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 500  # never charged
    assert len(await _orders(shop, user)) == 2
    await assert_ledger_ok(shop)


async def test_a_plan_paid_once_with_stars_or_from_the_wallet_still_renews_from_the_wallet(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Wallet renews")
    plan = await _plan(shop)
    order = await create_order(shop, user, plan.id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload  # a one-time invoice
    await confirm(bot, user, payload, 100, bot_api.pay(payload, 100))
    first = await _subscription(shop, user)
    assert first.renewed_by == ""
    await fund(shop, user, 500, "XTR")

    clock.advance(30 * DAY)
    await RenewalService(clocked_hub.deps).run_due()
    renewed = await _subscription(shop, user)
    assert (renewed.status, _end(renewed), renewed.renewed_by) == (
        S.SUBSCRIPTION_STATUS_ACTIVE,
        _end(first) + 30 * DAY,
        "",
    )
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 400
    assert [o.paid_via for o in await _orders(shop, user)] == ["wallet", "provider:telegram_stars"]
    await assert_ledger_ok(shop)


async def test_cancelling_or_a_renewal_that_buys_nothing_leaves_the_plan_to_the_wallet(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Back to the wallet")
    plan = await _plan(shop)
    payload = await _subscribe_with_telegram(shop, user, bot, bot_api, plan)
    await _set_price(shop, plan, 150)  # the plan costs more now: Telegram still charges 100
    clock.advance(30 * DAY - dt.timedelta(minutes=1))
    short = await confirm(bot, user, payload, 100, bot_api.pay(payload, 100, period=MONTH), is_recurring=True)
    assert short.payment.status == payment_pb2.PAYMENT_STATUS_UNDERPAID  # the renewal order stays pending
    subscription = await _subscription(shop, user)
    assert subscription.renewed_by == ""  # the wallet renews it now, with the Stars the charge credited
    await fund(shop, user, 50, "XTR")
    clock.advance(dt.timedelta(minutes=1))
    await RenewalService(clocked_hub.deps).run_due()
    renewed = await _subscription(shop, user)
    assert (renewed.status, _end(renewed)) == (S.SUBSCRIPTION_STATUS_ACTIVE, _end(subscription) + 30 * DAY)
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0

    await _set_price(shop, plan, 100)
    again = await confirm(bot, user, payload, 100, bot_api.pay(payload, 100, period=MONTH), is_recurring=True)
    assert again.payment.status == payment_pb2.PAYMENT_STATUS_SUCCEEDED
    assert (await _subscription(shop, user)).renewed_by == "telegram_stars"  # Telegram's again
    cancelled = await shop.admin.subscriptions.CancelSubscription(
        subscriptions_pb.CancelSubscriptionRequest(subscription_id=subscription.id)
    )
    assert (cancelled.subscription.status, cancelled.subscription.renewed_by) == (
        S.SUBSCRIPTION_STATUS_CANCELLED,
        "",
    )
    await assert_ledger_ok(shop)


async def test_a_lost_first_charge_found_by_check_payment_makes_the_plan_telegrams(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Lost subscription update")
    order = await create_order(shop, user, (await _plan(shop)).id)
    payload = (await invoice(bot, user, order=order.id, subscription_period=MONTH)).invoice.payload
    bot_api.pay(payload, 100, period=MONTH)  # successful_payment never reached the gateway
    checked = await bot.payments.CheckPayment(payments_pb.CheckPaymentRequest(payment_id=payload, user_id=user))
    assert checked.payment.status == payment_pb2.PAYMENT_STATUS_SUCCEEDED
    assert (await _subscription(shop, user)).renewed_by == "telegram_stars"


async def test_a_renewal_charge_whose_update_was_lost_renews_the_plan_instead_of_it_expiring(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    """Telegram charged the subscriber but the update never reached the gateway (down for over a
    day): before the plan expires, the worker finds the charge in getStarTransactions and applies
    it as ConfirmTelegramPayment would have; the update arriving after all is a duplicate."""
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Lost renewal")
    payload = await _subscribe_with_telegram(shop, user, bot, bot_api, await _plan(shop))
    worker = RenewalService(clocked_hub.deps)
    clock.advance(30 * DAY)
    charge = bot_api.pay(payload, 100, period=MONTH)  # the renewal; its update is lost
    bot_api.noise(3)
    clock.advance(PROVIDER_RENEWAL_GRACE + dt.timedelta(minutes=1))

    await worker.run_due()

    renewed = await _subscription(shop, user)
    assert (renewed.status, renewed.renewed_by) == (S.SUBSCRIPTION_STATUS_ACTIVE, "telegram_stars")
    assert _end(renewed) > clock.now() + 28 * DAY
    held = [p for p in await user_payments(shop, user) if p.provider_ref == charge]
    assert [(p.status, bool(p.order_id)) for p in held] == [(payment_pb2.PAYMENT_STATUS_SUCCEEDED, True)]
    assert [o.paid_via for o in await _orders(shop, user)] == ["provider:telegram_stars"] * 2
    await worker.run_due()
    late = await confirm(bot, user, payload, 100, charge, is_recurring=True)
    assert late.duplicate
    assert len(await _orders(shop, user)) == 2
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_a_plan_waits_while_telegram_cannot_be_asked_and_another_users_charge_renews_nothing(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Telegram down at the end")
    payload = await _subscribe_with_telegram(shop, user, bot, bot_api, await _plan(shop))
    worker = RenewalService(clocked_hub.deps)
    bot_api.pay(payload, 100, user=2, period=MONTH)  # someone else's charge under the same payload
    clock.advance(30 * DAY + PROVIDER_RENEWAL_GRACE + dt.timedelta(minutes=1))
    bot_api.misbehaviour.fail_next(502)

    await worker.run_due()  # Telegram does not answer: the plan is not expired on a guess
    assert (await _subscription(shop, user)).status == S.SUBSCRIPTION_STATUS_ACTIVE
    await worker.run_due()  # asked again: no charge of this subscriber
    expired = await _subscription(shop, user)
    assert (expired.status, expired.renewed_by) == (S.SUBSCRIPTION_STATUS_EXPIRED, "")
    [ended] = await settled_events(shop, "subscription.expired")
    assert json.loads(ended.data)["reason"] == "not_renewed_by_provider"
    assert len(await _orders(shop, user)) == 1
    await assert_ledger_ok(shop)
