"""CreateOrder then PayOrderFromWallet: the ORM path's outcomes pinned, and the fast path giving
the same ones (the order, its discount, its commissions, its events, replays by request id, the
refusals), alone and racing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import order_pb2, wallet_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from tests.commerce.catalog import stars_per_unit, token_pack
from tests.commerce.path_probe import PATHS, take_path
from tests.commerce.promos import discount_code, settled_events, used_count
from tests.commerce.referrals import join, set_program
from tests.commerce.test_fast_purchases import order_events, warm_up_referred
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

S = order_pb2
W = wallet_pb2


async def create(shop: TenantHandle, user: str, package: str, **fields: object) -> order_pb2.Order:
    request = pb.CreateOrderRequest(user_id=user, package_id=package, **fields)  # type: ignore[arg-type]
    return (await shop.admin.orders.CreateOrder(request)).order


async def pay(shop: TenantHandle, order: str, request_id: str = "") -> pb.PayOrderFromWalletResponse:
    request = pb.PayOrderFromWalletRequest(order_id=order, request_id=request_id)
    paid: pb.PayOrderFromWalletResponse = await shop.admin.orders.PayOrderFromWallet(request)
    return paid


@PATHS
async def test_an_order_created_then_paid_by_a_referred_buyer_is_delivered_once(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Two calls")
    probe = take_path(monkeypatch, path)
    await set_program(shop, level_rates_bps=[1000])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    affiliate, code = await join(shop, "affiliate")
    buyer, _ = await join(shop, "buyer", code)
    await fund(shop, buyer, 150, "XTR")
    probe.reset()
    created = await asyncio.gather(*(create(shop, buyer, pack.id, request_id="order-1") for _ in range(4)))
    assert all(order == created[0] for order in created)
    order = created[0]
    assert (order.status, order.total.amount_minor, order.quantity) == (S.ORDER_STATUS_PENDING, 100, 1)
    listed = await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=buyer))
    assert [o.id for o in listed.orders] == [order.id]
    assert (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order.id))).order == order
    answers = await asyncio.gather(*(pay(shop, order.id, "pay-1") for _ in range(4)))
    assert all(answer == answers[0] for answer in answers)
    paid = answers[0]
    assert (paid.order.status, paid.order.paid_via) == (S.ORDER_STATUS_FULFILLED, "wallet")
    kinds = [(t.kind, t.amount.amount_minor, t.credit.user_id) for t in paid.transfers]
    assert kinds == [
        (W.TRANSFER_KIND_ORDER_PAYMENT, 100, ""),
        (W.TRANSFER_KIND_REFERRAL_COMMISSION, 10, affiliate),
        (W.TRANSFER_KIND_DELIVERY, 1000, buyer),
    ]
    if path == "fast":
        assert not probe.orm_calls
    with pytest.raises(FailedPrecondition) as caught:
        await pay(shop, order.id, "pay-2")
    assert caught.value.reason == "ORDER_NOT_PENDING"
    got = (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
    assert got == paid.order
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 50
    assert (await balance(shop.admin, buyer, "TOKEN")).posted.amount_minor == 1000
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 10
    events = await order_events(shop, order.id)
    assert [type_ for type_, _ in events] == [
        "order.created",
        "wallet.debited",
        "wallet.credited",
        "wallet.credited",
        "referral.commission",
        "order.paid",
        "order.fulfilled",
    ]
    assert [data.get("status") for type_, data in events if type_.startswith("order.")] == [
        "pending",
        "fulfilled",
        "fulfilled",
    ]
    await assert_ledger_ok(shop)


@PATHS
async def test_a_discount_taken_by_creating_is_given_back_by_cancelling(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Two calls with a code")
    probe = take_path(monkeypatch, path)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    await discount_code(shop, "ONCE", 3000, total_limit=1)
    buyer, other = await new_user(shop, "buyer"), await new_user(shop, "other")
    await fund(shop, buyer, 100, "XTR")
    probe.reset()
    first = await create(shop, buyer, pack.id, promo_code="once")
    assert (first.discount.amount_minor, first.total.amount_minor, first.promo_code) == (30, 70, "ONCE")
    assert await used_count(shop, "ONCE") == 1
    with pytest.raises(FailedPrecondition) as caught:
        await create(shop, other, pack.id, promo_code="ONCE")
    assert caught.value.reason == "PROMO_EXHAUSTED"
    await shop.admin.orders.CancelOrder(pb.CancelOrderRequest(order_id=first.id))
    assert await used_count(shop, "ONCE") == 0
    again = await create(shop, buyer, pack.id, promo_code="ONCE")
    paid = await pay(shop, again.id)
    assert [t.amount.amount_minor for t in paid.transfers] == [70, 1000]
    if path == "fast":
        assert not probe.orm_calls
    assert await used_count(shop, "ONCE") == 1
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 30
    await assert_ledger_ok(shop)


@PATHS
async def test_a_short_wallet_leaves_the_order_pending_and_an_expired_one_is_refused(
    clocked_hub: Hub, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await clocked_hub.new_tenant("Late payers")
    probe = take_path(monkeypatch, path)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    buyer = await new_user(shop, "buyer")
    await fund(shop, buyer, 99, "XTR")
    probe.reset()
    order = await create(shop, buyer, pack.id)
    with pytest.raises(FailedPrecondition) as caught:
        await pay(shop, order.id)
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    if path == "fast":
        assert not probe.orm_calls  # short funds are the fast path's own answer
    got = (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
    assert got.status == S.ORDER_STATUS_PENDING
    await fund(shop, buyer, 1, "XTR")
    assert (await pay(shop, order.id)).order.status == S.ORDER_STATUS_FULFILLED
    late = await create(shop, buyer, pack.id)
    clock.advance(dt.timedelta(days=30))
    with pytest.raises(FailedPrecondition) as caught:
        await pay(shop, late.id)
    assert caught.value.reason == "ORDER_EXPIRED"
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


@PATHS
async def test_quantities_and_recipients_are_checked_when_creating(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Gifts")
    probe = take_path(monkeypatch, path)
    stars = await stars_per_unit(shop)
    pack = await token_pack(shop)
    buyer = await new_user(shop, "buyer")
    await fund(shop, buyer, 100_000, "RUB")
    bad: list[tuple[str, dict[str, object], str]] = [
        (stars.id, {"quantity": 100}, "recipient"),
        (stars.id, {"quantity": 100, "recipient": "@no"}, "recipient"),
        (stars.id, {"quantity": 10, "recipient": "@someone_else"}, "quantity"),
        (pack.id, {"recipient": "@someone_else"}, "recipient"),
        (pack.id, {"quantity": -1}, "quantity"),
    ]
    for package, fields, field in bad:
        with pytest.raises(InvalidArgument) as caught:
            await create(shop, buyer, package, **fields)
        assert field in {v.field for v in caught.value.field_violations}
    warm = await new_user(shop, "warm-up buyer")  # the core learns revenue RUB
    await fund(shop, warm, 9_000, "RUB")
    await pay(shop, (await create(shop, warm, stars.id, quantity=50, recipient="someone_else")).id)
    probe.reset()
    gift = await create(shop, buyer, stars.id, quantity=100, recipient=" @someone_else ")
    assert (gift.quantity, gift.recipient, gift.total.amount_minor) == (100, "someone_else", 18_000)
    paid = await pay(shop, gift.id)  # a delivery by a fulfillment task, asked for in the payment's transaction
    assert json.loads(paid.task.payload) == {"quantity": 100, "recipient": "someone_else"}
    assert paid.order.status == S.ORDER_STATUS_PAID
    assert not probe.orm_calls if path == "fast" else (probe.orm_calls["create"], probe.orm_calls["pay"]) == (1, 1)
    assert [o.id for o in (await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=buyer))).orders] == [gift.id]
    await assert_ledger_ok(shop)


async def test_one_order_paid_by_many_at_once_is_paid_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Racing payers")
    await set_program(shop, level_rates_bps=[1000])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    affiliate, code = await join(shop, "affiliate")
    buyers = [(await join(shop, f"buyer-{n}", code))[0] for n in range(4)]
    orders = []
    for buyer in buyers:
        await fund(shop, buyer, 1000, "XTR")
        orders.append(await create(shop, buyer, pack.id))
    results = await asyncio.gather(*(pay(shop, o.id) for o in orders for _ in range(8)), return_exceptions=True)
    paid = [r for r in results if isinstance(r, pb.PayOrderFromWalletResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "ORDER_NOT_PENDING"]
    assert (len(paid), len(refused)) == (4, 28), [r for r in results if isinstance(r, Exception)][:3]
    assert {p.order.id for p in paid} == {o.id for o in orders}
    for buyer in buyers:
        assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 900
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 40
    assert len([e for e in await settled_events(shop, "order.paid")]) == 4 + 1  # and the warm-up's
    await assert_ledger_ok(shop)
