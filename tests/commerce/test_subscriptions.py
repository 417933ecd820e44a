"""SubscriptionService: a bought plan is read, listed, cancelled and checked as an entitlement; the
worker announces its end on the tenant's notice days, renews it from the wallet or lets it expire,
and does each of those once however many cores run it at the same time."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from core_server.domain.clock import FrozenClock
from core_server.domain.deps import Deps
from core_server.domain.entitlements.renewal import RenewalService
from core_server.domain.orders.payment import renew_subscription
from core_server.store.models import SubscriptionRow
from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import event_service_pb2, order_pb2, package_pb2, subscription_pb2, tenant_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import subscription_service_pb2 as pb
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.commerce.orders import create_order, pay
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

S = subscription_pb2
DAY = dt.timedelta(days=1)


async def plan(shop: TenantHandle, code: str = "pro", days: int = 30, amount: int = 100) -> package_pb2.Package:
    return await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION,
        price=price(amount, "XTR"),
        plan_code=code,
        period_days=days,
    )


async def subscribe(shop: TenantHandle, user: str, package: package_pb2.Package) -> S.Subscription:
    """Buy the package from the wallet (funded by the caller); the user's subscription to its plan."""
    await pay(shop, (await create_order(shop, user, package.id)).id)
    listed = await shop.admin.subscriptions.ListSubscriptions(
        pb.ListSubscriptionsRequest(user_id=user, plan_code=package.plan_code)
    )
    [subscription] = listed.subscriptions
    found: S.Subscription = subscription
    return found


async def get(shop: TenantHandle, subscription_id: str) -> S.Subscription:
    request = pb.GetSubscriptionRequest(subscription_id=subscription_id)
    found: S.Subscription = (await shop.admin.subscriptions.GetSubscription(request)).subscription
    return found


async def entitlements(shop: TenantHandle, user: str) -> list[tuple[str, str, dt.datetime]]:
    listed = await shop.admin.subscriptions.ListEntitlements(pb.ListEntitlementsRequest(user_id=user))
    return [(e.code, e.source, e.end_time.ToDatetime(tzinfo=dt.UTC)) for e in listed.entitlements]


async def events(hub: Hub, shop: TenantHandle, kind: str = "subscription.") -> list[dict[str, object]]:
    await hub.events_settled()
    listed = await shop.admin.events.ListEvents(event_service_pb2.ListEventsRequest(types=[kind]))
    return [{"type": event.type, **json.loads(event.data)} for event in listed.events]


async def user_orders(shop: TenantHandle, user: str) -> list[order_pb2.Order]:
    return list((await shop.admin.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=user))).orders)


def end_of(subscription: S.Subscription) -> dt.datetime:
    return subscription.end_time.ToDatetime(tzinfo=dt.UTC)


async def test_a_bought_plan_is_read_listed_and_entitled(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Plans")
    user = await new_user(shop)
    package = await plan(shop)
    await fund(shop, user, 100, "XTR")
    order = await create_order(shop, user, package.id)
    await pay(shop, order.id)

    listed = await shop.admin.subscriptions.ListSubscriptions(pb.ListSubscriptionsRequest(user_id=user))
    [subscription] = listed.subscriptions
    assert (subscription.plan_code, subscription.status) == ("pro", S.SUBSCRIPTION_STATUS_ACTIVE)
    assert (subscription.user_id, subscription.package_id, subscription.last_order_id) == (user, package.id, order.id)
    assert subscription.start_time.ToDatetime(tzinfo=dt.UTC) == clock.now()
    assert end_of(subscription) == clock.now() + 30 * DAY
    assert not subscription.HasField("cancel_time")
    assert await get(shop, subscription.id) == subscription
    assert await entitlements(shop, user) == [("pro", f"subscription:{subscription.id}", clock.now() + 30 * DAY)]

    partner = clocked_hub.client(await clocked_hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    by_partner = await partner.subscriptions.ListSubscriptions(pb.ListSubscriptionsRequest(user_id=user))
    assert list(by_partner.subscriptions) == [subscription]
    read = await partner.subscriptions.GetSubscription(pb.GetSubscriptionRequest(subscription_id=subscription.id))
    assert read.subscription == subscription
    assert len((await partner.subscriptions.ListEntitlements(pb.ListEntitlementsRequest(user_id=user))).entitlements)
    await assert_ledger_ok(shop)


async def test_lists_by_end_time_with_filters_and_pages(hub: Hub) -> None:
    shop = await hub.new_tenant("Plan lists")
    alice, bob = await new_user(shop, "a"), await new_user(shop, "b")
    week, month, quarter = await plan(shop, "week", 7), await plan(shop, "pro", 30), await plan(shop, "max", 90)
    for user in (alice, bob):
        await fund(shop, user, 1000, "XTR")
    bought = [
        await subscribe(shop, bob, quarter),
        await subscribe(shop, alice, month),
        await subscribe(shop, bob, month),
        await subscribe(shop, alice, week),
    ]
    by_end = sorted(bought, key=lambda s: (end_of(s), s.id.replace("-", "")))
    seen: list[str] = []
    token = ""
    while True:
        page = await shop.admin.subscriptions.ListSubscriptions(
            pb.ListSubscriptionsRequest(page_size=3, page_token=token)
        )
        seen += [s.id for s in page.subscriptions]
        token = page.next_page_token
        if not token:
            break
    assert seen == [s.id for s in by_end]
    assert (by_end[0].id, by_end[-1].id) == (bought[3].id, bought[0].id)

    pro = await shop.admin.subscriptions.ListSubscriptions(pb.ListSubscriptionsRequest(plan_code="pro"))
    assert {s.user_id for s in pro.subscriptions} == {alice, bob}
    mine = await shop.admin.subscriptions.ListSubscriptions(pb.ListSubscriptionsRequest(user_id=alice))
    assert [s.plan_code for s in mine.subscriptions] == ["week", "pro"]
    await shop.admin.subscriptions.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=bought[0].id))
    for status, expected in ((S.SUBSCRIPTION_STATUS_CANCELLED, [bought[0].id]), (S.SUBSCRIPTION_STATUS_EXPIRED, [])):
        listed = await shop.admin.subscriptions.ListSubscriptions(pb.ListSubscriptionsRequest(status=status))
        assert [s.id for s in listed.subscriptions] == expected
    active = await shop.admin.subscriptions.ListSubscriptions(
        pb.ListSubscriptionsRequest(status=S.SUBSCRIPTION_STATUS_ACTIVE)
    )
    assert len(active.subscriptions) == 3

    first = await shop.admin.subscriptions.ListSubscriptions(pb.ListSubscriptionsRequest(page_size=1))
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    bad_requests = [
        (shop.admin, pb.ListSubscriptionsRequest(page_size=501), "page_size"),
        (shop.admin, pb.ListSubscriptionsRequest(page_size=-1), "page_size"),
        (shop.admin, pb.ListSubscriptionsRequest(page_token="garbage"), "page_token"),
        (shop.admin, pb.ListSubscriptionsRequest(user_id=alice, page_token=first.next_page_token), "page_token"),
        (shop.admin, pb.ListSubscriptionsRequest(user_id="not-an-id"), "user_id"),
        (shop.admin, pb.ListSubscriptionsRequest(status=99), "status"),  # type: ignore[arg-type]
        (shop.admin, pb.ListSubscriptionsRequest(plan_code="x" * 51), "plan_code"),
        (partner, pb.ListSubscriptionsRequest(), "user_id"),
    ]
    for client, request, field in bad_requests:
        with pytest.raises(InvalidArgument) as error:
            await client.subscriptions.ListSubscriptions(request)
        assert field in {v.field for v in error.value.field_violations}
    await assert_ledger_ok(shop)


async def test_cancel_keeps_the_plan_until_its_end_then_it_expires(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Cancels")
    user = await new_user(shop)
    await fund(shop, user, 500, "XTR")
    subscription = await subscribe(shop, user, await plan(shop))
    clock.advance(DAY)

    cancelled = (
        await shop.admin.subscriptions.CancelSubscription(
            pb.CancelSubscriptionRequest(request_id="cancel-1", subscription_id=subscription.id)
        )
    ).subscription
    assert cancelled.status == S.SUBSCRIPTION_STATUS_CANCELLED
    assert cancelled.cancel_time.ToDatetime(tzinfo=dt.UTC) == clock.now()
    assert cancelled.end_time == subscription.end_time
    assert (await events(clocked_hub, shop, "subscription.cancelled"))[0]["subscription_id"] == subscription.id
    with pytest.raises(FailedPrecondition) as error:
        await shop.admin.subscriptions.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=subscription.id))
    assert error.value.reason == "SUBSCRIPTION_NOT_ACTIVE"
    assert [code for code, _, _ in await entitlements(shop, user)] == ["pro"]

    clock.advance(29 * DAY)
    await RenewalService(clocked_hub.deps).run_due()
    expired = await get(shop, subscription.id)
    assert (expired.status, expired.end_time) == (S.SUBSCRIPTION_STATUS_EXPIRED, subscription.end_time)
    last = (await events(clocked_hub, shop))[-1]
    assert (last["type"], last["reason"]) == ("subscription.expired", "cancelled")
    assert len(await user_orders(shop, user)) == 1  # no renewal
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 400
    assert await entitlements(shop, user) == []
    with pytest.raises(FailedPrecondition) as error:
        await shop.admin.subscriptions.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=subscription.id))
    assert error.value.reason == "SUBSCRIPTION_NOT_ACTIVE"
    await assert_ledger_ok(shop)


async def test_bad_calls_and_other_tenants_change_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Guarded plans")
    user = await new_user(shop)
    await fund(shop, user, 100, "XTR")
    subscription = await subscribe(shop, user, await plan(shop))
    stranger = "00000000-0000-4000-8000-000000000000"
    api = shop.admin.subscriptions
    for bad in ("", "nope"):
        with pytest.raises(InvalidArgument):
            await api.GetSubscription(pb.GetSubscriptionRequest(subscription_id=bad))
        with pytest.raises(InvalidArgument):
            await api.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=bad))
        with pytest.raises(InvalidArgument):
            await api.ListEntitlements(pb.ListEntitlementsRequest(user_id=bad))
    with pytest.raises(NotFound):
        await api.GetSubscription(pb.GetSubscriptionRequest(subscription_id=stranger))
    with pytest.raises(NotFound):
        await api.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=stranger))
    with pytest.raises(NotFound):
        await api.ListEntitlements(pb.ListEntitlementsRequest(user_id=stranger))
    outsider = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, (await hub.new_tenant("Site")).id))
    with pytest.raises(NotFound):  # a website of another tenant cancels nothing here
        await outsider.subscriptions.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=subscription.id))

    other = (await hub.new_tenant("Other plans")).admin.subscriptions
    with pytest.raises(NotFound):
        await other.GetSubscription(pb.GetSubscriptionRequest(subscription_id=subscription.id))
    with pytest.raises(NotFound):
        await other.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=subscription.id))
    with pytest.raises(NotFound):
        await other.ListEntitlements(pb.ListEntitlementsRequest(user_id=user))
    with pytest.raises(NotFound):
        await other.ListSubscriptions(pb.ListSubscriptionsRequest(user_id=user))
    assert not (await other.ListSubscriptions(pb.ListSubscriptionsRequest())).subscriptions

    assert await get(shop, subscription.id) == subscription
    assert await events(hub, shop, "subscription.cancelled") == []
    await assert_ledger_ok(shop)


async def test_notices_on_the_tenants_days_once_each(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Notices")
    user = await new_user(shop)
    await fund(shop, user, 100, "XTR")
    subscription = await subscribe(shop, user, await plan(shop))
    worker = RenewalService(clocked_hub.deps)

    async def notices() -> list[tuple[object, object, object]]:
        return [
            (e["subscription_id"], e["days_left"], e["renews"])
            for e in await events(clocked_hub, shop, "subscription.expiring")
        ]

    clock.advance(26 * DAY)
    await worker.run_due()
    assert await notices() == []
    clock.advance(DAY)  # 3 days left
    await worker.run_due()
    await worker.run_due()
    assert await notices() == [(subscription.id, 3, True)]
    clock.advance(DAY)
    await worker.run_due()
    assert len(await notices()) == 1
    clock.advance(DAY)  # 1 day left
    await worker.run_due()
    await worker.run_due()
    assert await notices() == [(subscription.id, 3, True), (subscription.id, 1, True)]
    assert (await events(clocked_hub, shop, "subscription.expiring"))[-1]["end_time"] == end_of(
        subscription
    ).isoformat()
    await assert_ledger_ok(shop)


async def test_notices_follow_the_tenants_settings(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Early notices")
    await shop.admin.orders.UpdateOrderSettings(
        orders_pb.UpdateOrderSettingsRequest(
            settings=orders_pb.OrderSettings(order_ttl_seconds=3600, expiring_notice_days=[10, 5, 2])
        )
    )
    user = await new_user(shop)
    await fund(shop, user, 100, "XTR")
    subscription = await subscribe(shop, user, await plan(shop))
    await shop.admin.subscriptions.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=subscription.id))
    worker = RenewalService(clocked_hub.deps)
    clock.advance(20 * DAY)
    await worker.run_due()
    clock.advance(dt.timedelta(days=8, hours=12))  # a worker down from 10 to 1.5 days left: only the nearest
    await worker.run_due()
    await worker.run_due()
    sent = [(e["days_left"], e["renews"]) for e in await events(clocked_hub, shop, "subscription.expiring")]
    assert sent == [(10, False), (2, False)]


async def test_a_funded_wallet_renews_the_plan(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Renewals")
    user = await new_user(shop)
    await fund(shop, user, 250, "XTR")
    subscription = await subscribe(shop, user, await plan(shop))
    worker = RenewalService(clocked_hub.deps)
    clock.advance(30 * DAY + dt.timedelta(seconds=20))  # the worker runs a little after the end
    await worker.run_due()

    renewed = await get(shop, subscription.id)
    assert renewed.status == S.SUBSCRIPTION_STATUS_ACTIVE
    assert end_of(renewed) == end_of(subscription) + 30 * DAY  # continues from the end
    assert renewed.start_time == subscription.start_time
    orders = await user_orders(shop, user)
    assert len(orders) == 2 and orders[0].status == order_pb2.ORDER_STATUS_FULFILLED
    assert renewed.last_order_id == orders[0].id
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 50
    last = (await events(clocked_hub, shop))[-1]
    assert (last["type"], last["order_id"], last["end_time"]) == (
        "subscription.renewed",
        orders[0].id,
        end_of(renewed).isoformat(),
    )
    assert await entitlements(shop, user) == [("pro", f"subscription:{subscription.id}", end_of(renewed))]
    await worker.run_due()
    assert len(await user_orders(shop, user)) == 2

    clock.advance(27 * DAY)  # the new end gets its own notices
    await worker.run_due()
    assert [e["end_time"] for e in await events(clocked_hub, shop, "subscription.expiring")] == [
        end_of(renewed).isoformat()
    ]
    await assert_ledger_ok(shop)


async def test_a_short_wallet_or_a_withdrawn_package_lets_the_plan_expire(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Lapses")
    poor, rich = await new_user(shop, "poor"), await new_user(shop, "rich")
    package, withdrawn = await plan(shop), await plan(shop, "vip")
    await fund(shop, poor, 150, "XTR")
    await fund(shop, rich, 1000, "XTR")
    short = await subscribe(shop, poor, package)
    orphan = await subscribe(shop, rich, withdrawn)
    await shop.admin.catalog.UpdatePackage(
        catalog_pb.UpdatePackageRequest(
            package=package_pb2.Package(id=withdrawn.id, active=False),
            update_mask=field_mask_pb2.FieldMask(paths=["active"]),
        )
    )
    clock.advance(30 * DAY)
    await RenewalService(clocked_hub.deps).run_due()

    for subscription in (short, orphan):
        assert (await get(shop, subscription.id)).status == S.SUBSCRIPTION_STATUS_EXPIRED
    reasons = {e["subscription_id"]: e["reason"] for e in await events(clocked_hub, shop, "subscription.expired")}
    assert reasons == {short.id: "renewal_failed", orphan.id: "package_unavailable"}
    assert [o.status for o in await user_orders(shop, poor)] == [
        order_pb2.ORDER_STATUS_CANCELLED,  # the renewal found the wallet short
        order_pb2.ORDER_STATUS_FULFILLED,
    ]
    assert len(await user_orders(shop, rich)) == 1
    assert (await balance(shop.admin, poor, "XTR")).posted.amount_minor == 50
    assert (await balance(shop.admin, rich, "XTR")).posted.amount_minor == 900
    assert await entitlements(shop, poor) == []
    assert await entitlements(shop, rich) == []

    await fund(shop, poor, 50, "XTR")  # buying again starts the plan afresh
    again = await subscribe(shop, poor, package)
    assert (again.id, again.status, end_of(again)) == (short.id, S.SUBSCRIPTION_STATUS_ACTIVE, clock.now() + 30 * DAY)
    await assert_ledger_ok(shop)


async def test_concurrent_workers_renew_and_expire_once(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Racing workers")
    payer, poor, quitter = await new_user(shop, "payer"), await new_user(shop, "poor"), await new_user(shop, "quit")
    package = await plan(shop)
    await fund(shop, payer, 500, "XTR")
    for user in (poor, quitter):
        await fund(shop, user, 100, "XTR")
    renewing = await subscribe(shop, payer, package)
    lapsing = await subscribe(shop, poor, package)
    cancelled = await subscribe(shop, quitter, package)
    await shop.admin.subscriptions.CancelSubscription(pb.CancelSubscriptionRequest(subscription_id=cancelled.id))
    clock.advance(30 * DAY)

    results = await asyncio.gather(
        *(RenewalService(clocked_hub.deps).run_due() for _ in range(8)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(await user_orders(shop, payer)) == 2
    assert (await balance(shop.admin, payer, "XTR")).posted.amount_minor == 300
    assert end_of(await get(shop, renewing.id)) == end_of(renewing) + 30 * DAY
    kinds = [
        (e["type"], e["subscription_id"])
        for e in await events(clocked_hub, shop)
        if e["type"] != "subscription.activated"
    ]
    assert sorted(kinds) == sorted(
        [
            ("subscription.cancelled", cancelled.id),
            ("subscription.renewed", renewing.id),
            ("subscription.expired", lapsing.id),
            ("subscription.expired", cancelled.id),
        ]
    )
    await assert_ledger_ok(shop)


async def stored_status(hub: Hub, subscription_id: str) -> str:
    """The status as stored: the API shows a renewal in progress as active."""
    async with hub.deps.uow() as uow:
        row = (
            await uow.session.execute(select(SubscriptionRow).where(SubscriptionRow.id == uuid.UUID(subscription_id)))
        ).scalar_one()
        return row.status


async def test_a_failed_or_abandoned_renewal_is_tried_again(
    clocked_hub: Hub, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await clocked_hub.new_tenant("Crashed worker")
    user = await new_user(shop)
    await fund(shop, user, 200, "XTR")
    subscription = await subscribe(shop, user, await plan(shop))
    clock.advance(30 * DAY)

    async def crash(deps: Deps, tenant: uuid.UUID, *args: Any) -> bool:
        if str(tenant) == shop.id:
            raise ConnectionError("the database went away")
        return await renew_subscription(deps, tenant, *args)

    monkeypatch.setattr("core_server.domain.entitlements.renewal.renew_subscription", crash)
    with pytest.raises(ConnectionError):
        await RenewalService(clocked_hub.deps).run_due()
    monkeypatch.undo()
    assert await stored_status(clocked_hub, subscription.id) == "active"  # the claim was given back
    assert len(await user_orders(shop, user)) == 1

    async with clocked_hub.deps.uow() as uow:  # a worker that claimed it, then died before paying
        row = await uow.session.get(SubscriptionRow, (uuid.UUID(shop.id), uuid.UUID(subscription.id)))
        assert row is not None
        row.status, row.updated_at = "renewing", clock.now()
        await uow.commit()
    await RenewalService(clocked_hub.deps).run_due()
    assert await stored_status(clocked_hub, subscription.id) == "renewing"  # its claim is still fresh
    assert len(await user_orders(shop, user)) == 1
    clock.advance(dt.timedelta(minutes=11))
    await RenewalService(clocked_hub.deps).run_due()
    assert await stored_status(clocked_hub, subscription.id) == "active"
    assert end_of(await get(shop, subscription.id)) == end_of(subscription) + 30 * DAY
    assert len(await user_orders(shop, user)) == 2
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_service_orders_are_entitlements_until_active_until(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Services")
    await ensure_rub(shop)
    service = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(9_999, "RUB"), posts_per_day=2, active_days=10
    )
    user = await new_user(shop)
    await fund(shop, user, 9_999, "RUB")
    await fund(shop, user, 100, "XTR")
    order = await create_order(shop, user, service.id)
    await pay(shop, order.id)
    subscription = await subscribe(shop, user, await plan(shop, days=7))
    assert await entitlements(shop, user) == [
        ("pro", f"subscription:{subscription.id}", clock.now() + 7 * DAY),
        (service.id, f"order:{order.id}", clock.now() + 10 * DAY),
    ]
    clock.advance(9 * DAY)
    assert [code for code, _, _ in await entitlements(shop, user)] == [service.id]
    clock.advance(DAY)
    assert await entitlements(shop, user) == []
    await assert_ledger_ok(shop)
