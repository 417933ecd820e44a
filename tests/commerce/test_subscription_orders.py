"""Subscription packages paid from the wallet: the plan starts, renewals stack on the current end,
and a full refund takes back the period it added (seen through the events the changes write), and
buying a cancelled plan again while it runs extends it and resumes renewal."""

from __future__ import annotations

import datetime as dt
import json

from core_server.domain.clock import FrozenClock
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import package_pb2, subscription_pb2
from sdk.billinghub.v1 import subscription_service_pb2 as subs_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_events
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, fund, new_user


async def subscription_events(shop: TenantHandle) -> list[tuple[str, dict[str, object]]]:
    """Every subscription event written so far (settled_events: on a busy shared PostgreSQL an
    event committed a moment ago may not be listed yet)."""
    return [(event.type, json.loads(event.data)) for event in await settled_events(shop, "subscription.")]


async def test_renewals_stack_and_a_refund_takes_its_period_back(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Club")
    user = await new_user(shop)
    plan = await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION,
        price=price(100, "XTR"),
        plan_code="vip",
        period_days=30,
    )
    await fund(shop, user, 300, "XTR")
    start = clock.now()
    await pay(shop, (await create_order(shop, user, plan.id)).id)
    clock.advance(dt.timedelta(days=10))
    renewal = await create_order(shop, user, plan.id)
    await pay(shop, renewal.id)
    events = await subscription_events(shop)
    assert [kind for kind, _ in events] == ["subscription.activated", "subscription.extended"]
    assert events[0][1]["end_time"] == (start + dt.timedelta(days=30)).isoformat()
    assert events[1][1]["end_time"] == (start + dt.timedelta(days=60)).isoformat()  # from the end, not from now
    assert events[0][1]["subscription_id"] == events[1][1]["subscription_id"]

    await shop.admin.orders.RefundOrder(pb.RefundOrderRequest(order_id=renewal.id, reason="changed mind", actor="tg:1"))
    kind, data = (await subscription_events(shop))[-1]
    assert (kind, data["end_time"], data["status"]) == (
        "subscription.shortened",
        (start + dt.timedelta(days=30)).isoformat(),
        "active",
    )
    await assert_ledger_ok(shop)


async def test_a_plan_bought_after_it_ended_starts_again_from_now(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Lapsed")
    user = await new_user(shop)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(50, "XTR"), plan_code="pro", period_days=7
    )
    await fund(shop, user, 100, "XTR")
    await pay(shop, (await create_order(shop, user, plan.id)).id)
    clock.advance(dt.timedelta(days=9))
    await pay(shop, (await create_order(shop, user, plan.id)).id)
    kinds_and_ends = [(kind, data["end_time"]) for kind, data in await subscription_events(shop)]
    assert kinds_and_ends[-1] == ("subscription.activated", (clock.now() + dt.timedelta(days=7)).isoformat())
    await assert_ledger_ok(shop)


async def test_buying_a_cancelled_plan_while_it_runs_extends_it_and_resumes_renewal(
    clocked_hub: Hub, clock: FrozenClock
) -> None:
    shop = await clocked_hub.new_tenant("Come back")
    user = await new_user(shop)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(50, "XTR"), plan_code="pro", period_days=30
    )
    await fund(shop, user, 100, "XTR")
    start = clock.now()
    await pay(shop, (await create_order(shop, user, plan.id)).id)
    listed = await shop.admin.subscriptions.ListSubscriptions(subs_pb.ListSubscriptionsRequest(user_id=user))
    [subscription] = listed.subscriptions
    await shop.admin.subscriptions.CancelSubscription(
        subs_pb.CancelSubscriptionRequest(subscription_id=subscription.id)
    )
    clock.advance(dt.timedelta(days=5))
    await pay(shop, (await create_order(shop, user, plan.id)).id)
    got = await shop.admin.subscriptions.GetSubscription(
        subs_pb.GetSubscriptionRequest(subscription_id=subscription.id)
    )
    assert got.subscription.status == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    assert not got.subscription.HasField("cancel_time")
    assert got.subscription.end_time.ToDatetime(tzinfo=dt.UTC) == start + dt.timedelta(days=60)
    await assert_ledger_ok(shop)
