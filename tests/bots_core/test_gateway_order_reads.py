"""Issue 13: a gateway key reads one named user's orders; the tenant's orders are staff reading.

A bot shows a buyer their own orders (ListOrders and GetOrder naming the user), and shows a bot
admin with the refunds permission the tenant's orders on that admin's behalf. A leaked gateway
key alone can therefore no longer page through every order of the tenant, and naming a user does
not open another user's order either: it is NOT_FOUND, as another tenant's is. Partner keys keep
their rights (any order of their tenant by id, one user's list at a time)."""

from __future__ import annotations

import pytest

from sdk import InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order
from tests.hub import Hub, TenantHandle
from tests.money import new_user

REFUNDER, VIEWER = 601, 602


async def shop_with_orders(hub: Hub, name: str) -> tuple[TenantHandle, str, str, str, str]:
    """A shop with two admins (refunds; stats only) and two buyers with one pending order each."""
    shop = await hub.new_tenant(name)
    await set_admins(
        shop, [admin(REFUNDER, P.ADMIN_PERMISSION_REFUNDS, name="Rae"), admin(VIEWER, P.ADMIN_PERMISSION_STATS)]
    )
    package = (await token_pack(shop)).id
    ann, bob = await new_user(shop, "11"), await new_user(shop, "12")
    ann_order, bob_order = (await create_order(shop, ann, package)).id, (await create_order(shop, bob, package)).id
    return shop, ann, bob, ann_order, bob_order


async def test_a_gateway_key_alone_cannot_list_the_tenants_orders(hub: Hub) -> None:
    shop, *_ = await shop_with_orders(hub, "Leaked key")
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as caught:
        await gateway.orders.ListOrders(pb.ListOrdersRequest())
    assert caught.value.reason == "ADMIN_REQUIRED"
    assert caught.value.metadata["permission"] == "refunds"


async def test_an_admin_without_refunds_cannot_list_the_tenants_orders(hub: Hub) -> None:
    shop, *_ = await shop_with_orders(hub, "Stats admin")
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as caught:
        await gateway.on_behalf_of(VIEWER).orders.ListOrders(pb.ListOrdersRequest(page_size=5))
    assert caught.value.reason == "ADMIN_PERMISSION_MISSING"
    assert caught.value.metadata["permission"] == "refunds"


async def test_a_refunds_admin_lists_and_reads_every_order(hub: Hub) -> None:
    shop, _ann, _bob, ann_order, bob_order = await shop_with_orders(hub, "Refunds admin")
    staff = (await gateway_of(hub, shop)).on_behalf_of(REFUNDER)
    listed = await staff.orders.ListOrders(pb.ListOrdersRequest())
    assert {o.id for o in listed.orders} == {ann_order, bob_order}
    read = await staff.orders.GetOrder(pb.GetOrderRequest(order_id=bob_order))
    assert read.order.id == bob_order


async def test_a_buyers_own_orders_stay_a_user_call(hub: Hub) -> None:
    shop, ann, _bob, ann_order, _bob_order = await shop_with_orders(hub, "Buyer reads")
    gateway = await gateway_of(hub, shop)
    listed = await gateway.orders.ListOrders(pb.ListOrdersRequest(user_id=ann))
    assert [o.id for o in listed.orders] == [ann_order]
    read = await gateway.orders.GetOrder(pb.GetOrderRequest(order_id=ann_order, user_id=ann))
    assert (read.order.id, read.order.user_id) == (ann_order, ann)


async def test_another_users_order_is_not_found_when_the_buyer_is_named(hub: Hub) -> None:
    shop, ann, _bob, _ann_order, bob_order = await shop_with_orders(hub, "No leak")
    gateway = await gateway_of(hub, shop)
    for client in (gateway, gateway.on_behalf_of(REFUNDER), shop.admin):
        with pytest.raises(NotFound) as caught:
            await client.orders.GetOrder(pb.GetOrderRequest(order_id=bob_order, user_id=ann))
        assert caught.value.reason == "ORDER_NOT_FOUND"


async def test_a_gateway_key_alone_cannot_read_an_order_by_id(hub: Hub) -> None:
    shop, _ann, _bob, _ann_order, bob_order = await shop_with_orders(hub, "Order by id")
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as alone:
        await gateway.orders.GetOrder(pb.GetOrderRequest(order_id=bob_order))
    assert alone.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as viewer:
        await gateway.on_behalf_of(VIEWER).orders.GetOrder(pb.GetOrderRequest(order_id=bob_order))
    assert viewer.value.reason == "ADMIN_PERMISSION_MISSING"


async def test_bad_ids_are_invalid_argument(hub: Hub) -> None:
    shop, *_ = await shop_with_orders(hub, "Bad ids")
    gateway = await gateway_of(hub, shop)
    with pytest.raises(InvalidArgument) as caught:
        await gateway.orders.GetOrder(pb.GetOrderRequest(order_id="nope", user_id="nobody"))
    assert sorted(v.field for v in caught.value.field_violations) == ["order_id", "user_id"]


async def test_a_partner_key_keeps_its_rights(hub: Hub) -> None:
    shop, ann, _bob, ann_order, bob_order = await shop_with_orders(hub, "Partner site")
    site = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    assert (await site.orders.GetOrder(pb.GetOrderRequest(order_id=bob_order))).order.id == bob_order
    assert [o.id for o in (await site.orders.ListOrders(pb.ListOrdersRequest(user_id=ann))).orders] == [ann_order]
    with pytest.raises(InvalidArgument):
        await site.orders.ListOrders(pb.ListOrdersRequest())
    with pytest.raises(NotFound):
        await site.orders.GetOrder(pb.GetOrderRequest(order_id=bob_order, user_id=ann))
