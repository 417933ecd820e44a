"""Orders from creation to payment, delivery, cancellation, expiry and refunds."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.orders.service import OrderService
from sdk import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import (
    audit_service_pb2,
    order_pb2,
    tenant_pb2,
    wallet_pb2,
    wallet_service_pb2,
)
from sdk.billinghub.v1 import order_service_pb2 as pb
from tests.commerce.catalog import stars_per_unit, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_events
from tests.hub import Hub
from tests.money import assert_ledger_ok, balance, fund, money, new_user

S = order_pb2


async def test_token_pack_paid_from_the_wallet_is_delivered_at_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Token bot")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await fund(shop, user, 150, "XTR")
    order = await create_order(shop, user, pack.id)
    assert (order.status, order.total.amount_minor, order.total.asset) == (S.ORDER_STATUS_PENDING, 100, "XTR")
    paid = await pay(shop, order.id)
    assert paid.order.status == S.ORDER_STATUS_FULFILLED
    assert paid.order.paid_via == "wallet"
    kinds = [(t.kind, t.amount.asset, t.amount.amount_minor) for t in paid.transfers]
    assert kinds == [
        (wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT, "XTR", 100),
        (wallet_pb2.TRANSFER_KIND_DELIVERY, "TOKEN", 1000),
    ]
    assert len({t.link_id for t in paid.transfers}) == 1
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 50
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    events = await settled_events(shop, "order.")
    assert [e.type for e in events] == ["order.created", "order.paid", "order.fulfilled"]
    await assert_ledger_ok(shop)


async def test_stars_priced_per_unit_for_a_username_and_queued_for_fulfillment(hub: Hub) -> None:
    shop = await hub.new_tenant("Stars shop")
    user = await new_user(shop)
    stars = await stars_per_unit(shop)
    await fund(shop, user, 20_000, "RUB")
    order = await create_order(shop, user, stars.id, quantity=100, recipient="@durov_fan")
    assert (order.subtotal.amount_minor, order.total.amount_minor, order.recipient) == (18_000, 18_000, "durov_fan")
    paid = await pay(shop, order.id)
    assert paid.order.status == S.ORDER_STATUS_PAID
    assert json.loads(paid.task.payload) == {"quantity": 100, "recipient": "durov_fan"}
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 2_000
    await assert_ledger_ok(shop)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"quantity": 49, "recipient": "someone"}, "quantity"),
        ({"quantity": 100}, "recipient"),
        ({"quantity": 1_000_001, "recipient": "someone"}, "quantity"),
        ({"quantity": 100, "recipient": "a b"}, "recipient"),
    ],
)
async def test_invalid_orders_are_refused(hub: Hub, fields: dict[str, object], bad: str) -> None:
    shop = await hub.new_tenant("Strict orders")
    user = await new_user(shop)
    stars = await stars_per_unit(shop)
    with pytest.raises(InvalidArgument) as caught:
        await create_order(shop, user, stars.id, **fields)
    assert bad in {v.field for v in caught.value.field_violations}
    assert list((await shop.admin.orders.ListOrders(pb.ListOrdersRequest())).orders) == []


async def test_short_wallet_changes_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Short")
    user = await new_user(shop)
    pack = await token_pack(shop)
    await fund(shop, user, 99, "XTR")
    order = await create_order(shop, user, pack.id)
    with pytest.raises(FailedPrecondition) as caught:
        await pay(shop, order.id)
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    got = await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order.id))
    assert got.order.status == S.ORDER_STATUS_PENDING
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 0
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 99
    await assert_ledger_ok(shop)


async def test_one_order_paid_twice_concurrently_is_paid_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Double pay")
    user = await new_user(shop)
    pack = await token_pack(shop)
    await fund(shop, user, 1000, "XTR")
    order = await create_order(shop, user, pack.id)
    results = await asyncio.gather(*(pay(shop, order.id) for _ in range(20)), return_exceptions=True)
    paid = [r for r in results if isinstance(r, pb.PayOrderFromWalletResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "ORDER_NOT_PENDING"]
    assert (len(paid), len(refused)) == (1, 19)
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 900
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    second = await create_order(shop, user, pack.id)
    same = pb.PayOrderFromWalletRequest(order_id=second.id, request_id="pay-2")
    first = await shop.admin.orders.PayOrderFromWallet(same)
    assert await shop.admin.orders.PayOrderFromWallet(same) == first
    await assert_ledger_ok(shop)


async def test_cancel_and_expiry(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Expiry")
    user = await new_user(shop)
    pack = await token_pack(shop)
    await fund(shop, user, 1000, "XTR")
    cancelled = await create_order(shop, user, pack.id)
    done = await shop.admin.orders.CancelOrder(pb.CancelOrderRequest(order_id=cancelled.id))
    assert done.order.status == S.ORDER_STATUS_CANCELLED
    with pytest.raises(FailedPrecondition) as caught:
        await pay(shop, cancelled.id)
    assert caught.value.reason == "ORDER_NOT_PENDING"
    late = await create_order(shop, user, pack.id)
    clock.advance(dt.timedelta(hours=1, seconds=1))
    with pytest.raises(FailedPrecondition) as expired:
        await pay(shop, late.id)
    assert expired.value.reason == "ORDER_EXPIRED"
    assert await OrderService(clocked_hub.deps).expire_due() >= 1
    assert (
        await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=late.id))
    ).order.status == S.ORDER_STATUS_EXPIRED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 1000
    await assert_ledger_ok(shop)


async def test_order_ttl_is_a_tenant_setting(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("TTL")
    defaults = await shop.admin.orders.GetOrderSettings(pb.GetOrderSettingsRequest())
    assert (defaults.settings.order_ttl_seconds, list(defaults.settings.expiring_notice_days)) == (3600, [3, 1])
    updated = await shop.admin.orders.UpdateOrderSettings(
        pb.UpdateOrderSettingsRequest(settings=pb.OrderSettings(order_ttl_seconds=600, expiring_notice_days=[1, 7]))
    )
    assert list(updated.settings.expiring_notice_days) == [7, 1]
    user = await new_user(shop)
    order = await create_order(shop, user, (await token_pack(shop)).id)
    assert order.expire_time.ToDatetime(tzinfo=dt.UTC) == clock.now() + dt.timedelta(seconds=600)
    with pytest.raises(InvalidArgument):
        await shop.admin.orders.UpdateOrderSettings(
            pb.UpdateOrderSettingsRequest(settings=pb.OrderSettings(order_ttl_seconds=10))
        )


async def test_refunds_return_money_and_take_back_the_delivery(hub: Hub) -> None:
    shop = await hub.new_tenant("Refunds")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await fund(shop, user, 100, "XTR")
    order = await create_order(shop, user, pack.id)
    await pay(shop, order.id)
    part = await shop.admin.orders.RefundOrder(
        pb.RefundOrderRequest(order_id=order.id, amount_minor=40, reason="partly", actor="tg:1")
    )
    assert part.order.status == S.ORDER_STATUS_PARTIALLY_REFUNDED
    assert part.order.refunded.amount_minor == 40
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 40
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 600
    # The user spends most tokens; the rest of the refund can only take back what is left.
    await shop.admin.wallet.ChargeUsage(wallet_service_pb2.ChargeUsageRequest(user_id=user, amount=money(550)))
    rest = await shop.admin.orders.RefundOrder(pb.RefundOrderRequest(order_id=order.id, reason="rest", actor="tg:1"))
    assert rest.order.status == S.ORDER_STATUS_REFUNDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 100
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 0
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.orders.RefundOrder(pb.RefundOrderRequest(order_id=order.id, reason="again", actor="tg:1"))
    assert caught.value.reason == "ORDER_NOT_REFUNDABLE"
    entries = await shop.admin.audit.ListAuditEntries(
        audit_service_pb2.ListAuditEntriesRequest(action="order.refunded")
    )
    assert [e.reason for e in entries.audit_entries] == ["rest", "partly"]
    await assert_ledger_ok(shop)


async def test_bad_refunds_change_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad refunds")
    user = await new_user(shop)
    pack = await token_pack(shop)
    await fund(shop, user, 100, "XTR")
    order = await create_order(shop, user, pack.id)
    with pytest.raises(FailedPrecondition):
        await shop.admin.orders.RefundOrder(pb.RefundOrderRequest(order_id=order.id, reason="r", actor="a"))
    await pay(shop, order.id)
    for request in (
        pb.RefundOrderRequest(order_id=order.id, amount_minor=101, reason="r", actor="a"),
        pb.RefundOrderRequest(order_id=order.id, amount_minor=0, reason="r", actor="a"),
        pb.RefundOrderRequest(order_id=order.id, reason="", actor="a"),
        pb.RefundOrderRequest(order_id=order.id, reason="r", actor=""),
    ):
        with pytest.raises(InvalidArgument):
            await shop.admin.orders.RefundOrder(request)
    assert (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order.id))).order.refunded.amount_minor == 0
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    with pytest.raises(PermissionDenied):
        await partner.orders.RefundOrder(pb.RefundOrderRequest(order_id=order.id, reason="r", actor="a"))
    await assert_ledger_ok(shop)


async def test_listing_and_tenancy(hub: Hub) -> None:
    shop = await hub.new_tenant("Lists")
    alice, bob = await new_user(shop, "a"), await new_user(shop, "b")
    pack = await token_pack(shop)
    ids = [(await create_order(shop, alice, pack.id)).id for _ in range(3)]
    await create_order(shop, bob, pack.id)
    mine = await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=alice, page_size=2))
    rest = await shop.admin.orders.ListOrders(
        pb.ListOrdersRequest(user_id=alice, page_size=2, page_token=mine.next_page_token)
    )
    assert [o.id for o in [*mine.orders, *rest.orders]] == ids[::-1]
    pending = await shop.admin.orders.ListOrders(pb.ListOrdersRequest(statuses=[S.ORDER_STATUS_PENDING]))
    assert len(pending.orders) == 4
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    with pytest.raises(InvalidArgument):
        await partner.orders.ListOrders(pb.ListOrdersRequest())
    other = await hub.new_tenant("Other lists")
    with pytest.raises(NotFound):
        await other.admin.orders.GetOrder(pb.GetOrderRequest(order_id=ids[0]))
    with pytest.raises(NotFound):
        await other.admin.orders.PayOrderFromWallet(pb.PayOrderFromWalletRequest(order_id=ids[0]))
    with pytest.raises(NotFound):
        await create_order(other, await new_user(other), pack.id)
