"""Cancelling a plan Telegram renews tells Telegram to stop charging (editUserStarSubscription,
is_canceled): otherwise the subscriber keeps paying Stars every month for a plan the shop says
is cancelled. Telegram not answering changes nothing (ask again); Telegram refusing (the user
cancelled it in Telegram already, say) still cancels the plan here, and the event says so."""

from __future__ import annotations

import asyncio
import json

import pytest

from sdk import BillingHubClient, FailedPrecondition, Unavailable
from sdk.billinghub.v1 import common_pb2, package_pb2, subscription_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order
from tests.commerce.promos import settled_events
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, fund
from tests.payments.stars import MONTH, confirm, invoice, stars_shop
from tests.providers.fakes.telegram import TOKEN, FakeTelegramBotApi

S = subscription_pb2
TELEGRAM_ID = 424242


async def _subscribed(hub: Hub, bot_api: FakeTelegramBotApi, name: str) -> tuple[TenantHandle, str, str]:
    """A shop, a subscriber whose plan Telegram renews, and the charge of its subscription."""
    shop, _, bot = await stars_shop(hub, bot_api, name)
    user = await _telegram_user(shop)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="pro", period_days=30
    )
    charge = await _subscribe(bot, bot_api, shop, user, plan.id)
    return shop, user, charge


async def _telegram_user(shop: TenantHandle) -> str:
    request = users_pb.RegisterUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(TELEGRAM_ID))
    return str((await shop.admin.users.RegisterUser(request)).user.id)


async def _subscribe(
    bot: BillingHubClient, bot_api: FakeTelegramBotApi, shop: TenantHandle, user: str, plan: str
) -> str:
    order = await create_order(shop, user, plan)
    payload = (await invoice(bot, user, order=order.id, subscription_period=MONTH)).invoice.payload
    charge = bot_api.pay(payload, 100, user=TELEGRAM_ID, period=MONTH)
    await confirm(bot, user, payload, 100, charge, is_recurring=True, is_first_recurring=True)
    return charge


async def _subscription(shop: TenantHandle, user: str) -> S.Subscription:
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest(user_id=user))
    [subscription] = listed.subscriptions
    found: S.Subscription = subscription
    return found


async def _cancel(shop: TenantHandle, subscription_id: str) -> S.Subscription:
    request = subscriptions_pb.CancelSubscriptionRequest(subscription_id=subscription_id)
    cancelled: S.Subscription = (await shop.admin.subscriptions.CancelSubscription(request)).subscription
    return cancelled


async def _cancel_events(shop: TenantHandle) -> list[dict[str, object]]:
    return [json.loads(e.data) for e in await settled_events(shop, "subscription.cancelled")]


async def test_cancelling_a_plan_telegram_renews_stops_telegrams_charges(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, charge = await _subscribed(hub, bot_api, "Stop charging")
    subscription = await _subscription(shop, user)
    assert subscription.renewed_by == "telegram_stars"

    cancelled = await _cancel(shop, subscription.id)

    assert (cancelled.status, cancelled.renewed_by) == (S.SUBSCRIPTION_STATUS_CANCELLED, "")
    assert bot_api.calls("editUserStarSubscription") == [
        {"user_id": TELEGRAM_ID, "telegram_payment_charge_id": charge, "is_canceled": True}
    ]
    assert bot_api.renewal_cancelled == {charge: True}
    [event] = await _cancel_events(shop)
    assert event["provider_renewal"] == "cancelled"
    await assert_ledger_ok(shop)


async def test_telegram_not_answering_changes_nothing_and_asking_again_cancels(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, charge = await _subscribed(hub, bot_api, "Telegram down")
    subscription = await _subscription(shop, user)
    bot_api.misbehaviour.fail_next(502)

    with pytest.raises(Unavailable) as caught:
        await _cancel(shop, subscription.id)

    assert caught.value.reason == "PROVIDER_UNAVAILABLE"
    unchanged = await _subscription(shop, user)
    assert (unchanged.status, unchanged.renewed_by) == (S.SUBSCRIPTION_STATUS_ACTIVE, "telegram_stars")
    assert await _cancel_events(shop) == []
    assert (await _cancel(shop, subscription.id)).status == S.SUBSCRIPTION_STATUS_CANCELLED
    assert bot_api.renewal_cancelled == {charge: True}


async def test_a_refusal_by_telegram_still_cancels_the_plan_and_says_why(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, charge = await _subscribed(hub, bot_api, "Cancelled in Telegram")
    bot_api.renewal_cancelled[charge] = True  # the subscriber cancelled it in Telegram already
    subscription = await _subscription(shop, user)

    cancelled = await _cancel(shop, subscription.id)

    assert cancelled.status == S.SUBSCRIPTION_STATUS_CANCELLED
    [event] = await _cancel_events(shop)
    assert event["provider_renewal"] == "refused"
    assert "SUBSCRIPTION_NOT_MODIFIED" in str(event["provider_refusal"])
    assert TOKEN not in str(event["provider_refusal"])


async def test_a_plan_the_wallet_renews_is_cancelled_without_asking_telegram(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, _, _ = await stars_shop(hub, bot_api, "Wallet plan")
    user = await _telegram_user(shop)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="pro", period_days=30
    )
    await fund(shop, user, 100, "XTR")
    order = await create_order(shop, user, plan.id)
    await shop.admin.orders.PayOrderFromWallet(orders_pb.PayOrderFromWalletRequest(order_id=order.id))

    cancelled = await _cancel(shop, (await _subscription(shop, user)).id)

    assert cancelled.status == S.SUBSCRIPTION_STATUS_CANCELLED
    assert bot_api.calls("editUserStarSubscription") == []
    [event] = await _cancel_events(shop)
    assert "provider_renewal" not in event


async def test_cancelling_twice_at_once_asks_telegram_and_cancels_once_each(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, charge = await _subscribed(hub, bot_api, "Twice")
    subscription = await _subscription(shop, user)

    outcomes = await asyncio.gather(*(_cancel(shop, subscription.id) for _ in range(5)), return_exceptions=True)

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, FailedPrecondition) and o.reason == "SUBSCRIPTION_NOT_ACTIVE" for o in refused)
    assert (await _subscription(shop, user)).status == S.SUBSCRIPTION_STATUS_CANCELLED
    assert bot_api.renewal_cancelled == {charge: True}
    assert len(await _cancel_events(shop)) == 1
