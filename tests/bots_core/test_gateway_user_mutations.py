"""Forged buttons: the by-id mutations a bot makes for its user name that user.

A Telegram client sends whatever callback data it likes, so an order or subscription id in a
button proves nothing about whose it is. PayOrderFromWallet, CancelOrder, SubmitServiceInput and
CancelSubscription naming a user answer NOT_FOUND for another user's object (the same answer as a
missing id) and change nothing: the order stays pending, no money moves, no task is queued, the
plan keeps renewing. By id alone, a gateway key acts for a bot admin (refunds for orders, users
for plans), as the by-id reads do; admin and partner keys keep acting by id."""

from __future__ import annotations

import pytest

from sdk import BillingHubClient, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import order_pb2, package_pb2, subscription_pb2, tenant_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.commerce.catalog import create_package, price, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.paths import choose_path
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

REFUNDER, PROFILER, VIEWER = 801, 802, 803


async def shop_of(hub: Hub, name: str) -> tuple[TenantHandle, BillingHubClient, str, str]:
    """A shop with admins (refunds; users; stats only) and two funded users, Ann and Bob."""
    shop = await hub.new_tenant(name)
    await set_admins(
        shop,
        [
            admin(REFUNDER, P.ADMIN_PERMISSION_REFUNDS),
            admin(PROFILER, P.ADMIN_PERMISSION_USERS),
            admin(VIEWER, P.ADMIN_PERMISSION_STATS),
        ],
    )
    ann, bob = await new_user(shop, "11"), await new_user(shop, "12")
    for user in (ann, bob):
        await fund(shop, user, 1_000, "XTR")
    return shop, await gateway_of(hub, shop), ann, bob


async def status_of(shop: TenantHandle, order: str) -> int:
    return (await shop.admin.orders.GetOrder(orders.GetOrderRequest(order_id=order))).order.status


async def plan_of(shop: TenantHandle, subscription: str) -> int:
    request = subscriptions.GetSubscriptionRequest(subscription_id=subscription)
    return (await shop.admin.subscriptions.GetSubscription(request)).subscription.status


async def service_order(shop: TenantHandle, user: str) -> str:
    package = await create_package(shop, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(10, "XTR"), posts_per_day=3)
    order = (await create_order(shop, user, package.id)).id
    await pay(shop, order)
    return order


async def plan(shop: TenantHandle, user: str) -> str:
    package = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="pro", period_days=30
    )
    await pay(shop, (await create_order(shop, user, package.id)).id)
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions.ListSubscriptionsRequest(user_id=user))
    return listed.subscriptions[0].id


def post(order: str, user: str, n: int = 1) -> orders.SubmitServiceInputRequest:
    return orders.SubmitServiceInputRequest(
        order_id=order, user_id=user, url=f"https://t.me/channel/{n}", platform="telegram"
    )


async def tasks_of(shop: TenantHandle, order: str, user: str) -> int:
    listed = await shop.admin.orders.ListOrderTasks(orders.ListOrderTasksRequest(order_id=order, user_id=user))
    return len(listed.tasks)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "orm"])
async def test_another_users_order_is_not_found_and_not_paid(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    choose_path(monkeypatch, fast)
    shop, gateway, ann, bob = await shop_of(hub, f"Forged pay {fast}")
    order = (await create_order(shop, ann, (await token_pack(shop)).id)).id
    with pytest.raises(NotFound) as caught:
        await gateway.orders.PayOrderFromWallet(orders.PayOrderFromWalletRequest(order_id=order, user_id=bob))
    assert caught.value.reason == "ORDER_NOT_FOUND"
    assert await status_of(shop, order) == order_pb2.ORDER_STATUS_PENDING
    assert [(await balance(shop.admin, u, "XTR")).available.amount_minor for u in (ann, bob)] == [1_000, 1_000]
    assert (await balance(shop.admin, ann)).available.amount_minor == 0
    paid = await gateway.orders.PayOrderFromWallet(orders.PayOrderFromWalletRequest(order_id=order, user_id=ann))
    assert paid.order.status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await balance(shop.admin, ann, "XTR")).available.amount_minor == 900
    await assert_ledger_ok(shop)


async def test_another_users_order_is_not_found_and_not_cancelled(hub: Hub) -> None:
    shop, gateway, ann, bob = await shop_of(hub, "Forged cancel")
    order = (await create_order(shop, ann, (await token_pack(shop)).id)).id
    with pytest.raises(NotFound) as caught:
        await gateway.orders.CancelOrder(orders.CancelOrderRequest(order_id=order, user_id=bob))
    assert caught.value.reason == "ORDER_NOT_FOUND"
    assert await status_of(shop, order) == order_pb2.ORDER_STATUS_PENDING
    cancelled = await gateway.orders.CancelOrder(orders.CancelOrderRequest(order_id=order, user_id=ann))
    assert cancelled.order.status == order_pb2.ORDER_STATUS_CANCELLED


async def test_another_users_service_order_takes_no_input(hub: Hub) -> None:
    shop, gateway, ann, bob = await shop_of(hub, "Forged input")
    order = await service_order(shop, ann)
    with pytest.raises(NotFound) as caught:
        await gateway.orders.SubmitServiceInput(post(order, bob))
    assert caught.value.reason == "ORDER_NOT_FOUND"
    assert await tasks_of(shop, order, ann) == 0
    accepted = await gateway.orders.SubmitServiceInput(post(order, ann))
    assert accepted.remaining_today == 2 and await tasks_of(shop, order, ann) == 1


async def test_another_users_plan_is_not_found_and_keeps_renewing(hub: Hub) -> None:
    shop, gateway, ann, bob = await shop_of(hub, "Forged plan")
    subscription = await plan(shop, ann)
    request = subscriptions.CancelSubscriptionRequest(subscription_id=subscription, user_id=bob)
    with pytest.raises(NotFound) as caught:
        await gateway.subscriptions.CancelSubscription(request)
    assert caught.value.reason == "SUBSCRIPTION_NOT_FOUND"
    assert await plan_of(shop, subscription) == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    own = subscriptions.CancelSubscriptionRequest(subscription_id=subscription, user_id=ann)
    cancelled = await gateway.subscriptions.CancelSubscription(own)
    assert cancelled.subscription.status == subscription_pb2.SUBSCRIPTION_STATUS_CANCELLED


async def test_by_id_alone_a_gateway_key_acts_only_for_the_permitted_admin(hub: Hub) -> None:
    shop, gateway, ann, _bob = await shop_of(hub, "Leaked key writes")
    package = (await token_pack(shop)).id
    order, served, subscription = (
        (await create_order(shop, ann, package)).id,
        await service_order(shop, ann),
        await plan(shop, ann),
    )
    calls = [
        ("refunds", lambda c: c.orders.PayOrderFromWallet(orders.PayOrderFromWalletRequest(order_id=order))),
        ("refunds", lambda c: c.orders.CancelOrder(orders.CancelOrderRequest(order_id=order))),
        ("refunds", lambda c: c.orders.SubmitServiceInput(post(served, ""))),
        (
            "users",
            lambda c: c.subscriptions.CancelSubscription(
                subscriptions.CancelSubscriptionRequest(subscription_id=subscription)
            ),
        ),
    ]
    for permission, call in calls:
        with pytest.raises(PermissionDenied) as alone:
            await call(gateway)
        assert (alone.value.reason, alone.value.metadata["permission"]) == ("ADMIN_REQUIRED", permission)
        with pytest.raises(PermissionDenied) as viewer:
            await call(gateway.on_behalf_of(VIEWER))
        assert viewer.value.reason == "ADMIN_PERMISSION_MISSING"
    assert await status_of(shop, order) == order_pb2.ORDER_STATUS_PENDING
    assert await tasks_of(shop, served, ann) == 0
    assert await plan_of(shop, subscription) == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    await calls[2][1](gateway.on_behalf_of(REFUNDER))
    await calls[3][1](gateway.on_behalf_of(PROFILER))
    site = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    paid = await calls[0][1](site)  # partners keep acting on their tenant's orders by id
    assert paid.order.status == order_pb2.ORDER_STATUS_FULFILLED
    await assert_ledger_ok(shop)


async def test_a_malformed_user_id_is_invalid_argument_and_changes_nothing(hub: Hub) -> None:
    shop, gateway, ann, _bob = await shop_of(hub, "Bad user ids")
    order = (await create_order(shop, ann, (await token_pack(shop)).id)).id
    subscription = await plan(shop, ann)
    for call in (
        gateway.orders.PayOrderFromWallet(orders.PayOrderFromWalletRequest(order_id=order, user_id="nope")),
        gateway.orders.CancelOrder(orders.CancelOrderRequest(order_id=order, user_id="nope")),
        gateway.subscriptions.CancelSubscription(
            subscriptions.CancelSubscriptionRequest(subscription_id=subscription, user_id="nope")
        ),
    ):
        with pytest.raises(InvalidArgument) as caught:
            await call
        assert [v.field for v in caught.value.field_violations] == ["user_id"]
    assert await status_of(shop, order) == order_pb2.ORDER_STATUS_PENDING
    assert await plan_of(shop, subscription) == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
