"""PurchaseFromWallet by referred buyers and with discount codes: the ORM path's outcomes pinned,
and the fast path giving the same ones (commissions up the chain, tiers, code limits, free
orders), alone and racing."""

from __future__ import annotations

import asyncio
import json

import pytest

from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import order_pb2, package_pb2, referral_pb2, wallet_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from tests.commerce.catalog import create_package, price, token_pack
from tests.commerce.path_probe import PATHS, take_path
from tests.commerce.promos import credit_code, discount_code, settled_events, used_count
from tests.commerce.referrals import amounts, join, set_program, stats
from tests.commerce.test_purchase import purchase
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

Tier = referral_pb2.ReferralTier
W = wallet_pb2


async def warm_up_referred(shop: TenantHandle, pack: package_pb2.Package, name: str = "warm") -> None:
    """A referred purchase by buyers of their own: the core learns revenue, issued and
    referral_expense, so the next referred purchases may take the fast path."""
    _, code = await join(shop, f"{name}-referrer")
    buyer, _ = await join(shop, f"{name}-buyer", code)
    await fund(shop, buyer, pack.price.amount_minor, pack.price.asset)
    await purchase(shop, buyer, pack.id)


async def two_level_chain(shop: TenantHandle) -> tuple[package_pb2.Package, tuple[str, str, str]]:
    """A program paying 10 % and 5 % (held 7 days), a pack of 1000 TOKEN for 100 XTR that the core
    has seen a referred purchase of, and top, mid (invited by top) and a buyer (invited by mid)."""
    await set_program(shop, level_rates_bps=[1000, 500], hold_days=7)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    top, top_code = await join(shop, "top")
    mid, mid_code = await join(shop, "mid", top_code)
    buyer, _ = await join(shop, "buyer", mid_code)
    return pack, (top, mid, buyer)


def trace(bought: pb.PurchaseFromWalletResponse) -> list[tuple[int, str, int, str, str]]:
    """(kind, asset, amount, debited user, credited user) of each transfer, in posting order."""
    return [
        (t.kind, t.amount.asset, t.amount.amount_minor, t.debit.user_id, t.credit.user_id) for t in bought.transfers
    ]


async def order_events(shop: TenantHandle, order_id: str) -> list[tuple[str, dict[str, object]]]:
    """The events of one order (its own and its transfers'), in the order written."""
    found = []
    for event in await settled_events(shop, "order.", "wallet.", "referral."):
        data = json.loads(event.data)
        if data.get("order_id") == order_id or data.get("reference") == f"order:{order_id}":
            found.append((event.type, data))
    return found


@PATHS
async def test_a_referred_buyer_pays_every_level_its_commission(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Referred buyer")
    probe = take_path(monkeypatch, path)
    pack, (top, mid, buyer) = await two_level_chain(shop)
    await fund(shop, buyer, 150, "XTR")
    probe.reset()
    bought = await purchase(shop, buyer, pack.id)
    assert (bought.order.status, bought.order.total.amount_minor) == (order_pb2.ORDER_STATUS_FULFILLED, 100)
    assert trace(bought) == [
        (W.TRANSFER_KIND_ORDER_PAYMENT, "XTR", 100, buyer, ""),
        (W.TRANSFER_KIND_REFERRAL_COMMISSION, "XTR", 10, "", mid),
        (W.TRANSFER_KIND_REFERRAL_COMMISSION, "XTR", 5, "", top),
        (W.TRANSFER_KIND_DELIVERY, "TOKEN", 1000, "", buyer),
    ]
    assert len({t.link_id for t in bought.transfers}) == 1
    assert not probe.orm_calls if path == "fast" else probe.orm_calls["purchase"] == 1
    assert (await balance(shop.admin, mid, "XTR")).posted.amount_minor == 10
    assert (await balance(shop.admin, top, "XTR")).posted.amount_minor == 5
    figures = await stats(shop, mid)
    assert (amounts(figures.earned), amounts(figures.pending)) == ({"XTR": 10}, {"XTR": 10})
    events = await order_events(shop, bought.order.id)
    assert [type_ for type_, _ in events] == [
        "order.created",
        "wallet.debited",
        "wallet.credited",
        "wallet.credited",
        "wallet.credited",
        "referral.commission",
        "referral.commission",
        "order.paid",
        "order.fulfilled",
    ]
    commissions = [data for type_, data in events if type_ == "referral.commission"]
    assert [(c["referrer_id"], c["level"], c["amount"], c["buyer_id"]) for c in commissions] == [
        (mid, 1, 10, buyer),
        (top, 2, 5, buyer),
    ]
    refund = pb.RefundOrderRequest(order_id=bought.order.id, reason="changed mind", actor="admin:1")
    await shop.admin.orders.RefundOrder(refund)  # the commission rows it wrote are clawed back
    assert (await balance(shop.admin, mid, "XTR")).posted.amount_minor == 0
    assert (await balance(shop.admin, top, "XTR")).posted.amount_minor == 0
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 150
    await assert_ledger_ok(shop)


@PATHS
async def test_program_rules_decide_what_a_referred_purchase_earns(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A kind the program does not pay for, a rate too small to earn a minor unit, a disabled
    program: the purchase posts no commission and no commission row."""
    shop = await hub.new_tenant("Program rules")
    probe = take_path(monkeypatch, path)
    await set_program(shop, level_rates_bps=[1000])
    pack = await token_pack(shop, stars=100, tokens=1000)
    cheap = await token_pack(shop, stars=9, tokens=90)
    await warm_up_referred(shop, pack)
    affiliate, code = await join(shop, "affiliate")
    buyer, _ = await join(shop, "buyer", code)
    await fund(shop, buyer, 1000, "XTR")
    probe.reset()
    assert len((await purchase(shop, buyer, cheap.id)).transfers) == 2  # 10 % of 9 is 0 minor units
    await set_program(shop, level_rates_bps=[1000], package_kinds=[package_pb2.PACKAGE_KIND_SERVICE])
    assert len((await purchase(shop, buyer, pack.id)).transfers) == 2
    await set_program(shop, enabled=False, level_rates_bps=[1000])
    assert len((await purchase(shop, buyer, pack.id)).transfers) == 2
    await set_program(shop, level_rates_bps=[2000])  # read on every purchase: never a stale program
    assert [t.amount.amount_minor for t in (await purchase(shop, buyer, pack.id)).transfers] == [100, 20, 1000]
    assert not probe.orm_calls if path == "fast" else probe.orm_calls["purchase"] == 4
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 20
    assert amounts((await stats(shop, affiliate)).earned) == {"XTR": 20}
    await assert_ledger_ok(shop)


@PATHS
async def test_a_tier_raises_the_rate_and_the_sale_that_reaches_it_awards_it_once(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Tiered sales")
    probe = take_path(monkeypatch, path)
    silver = Tier(name="Silver", min_sales_minor=150, bonus_rate_bps=1000, one_off_bonus_minor=7)
    await set_program(shop, level_rates_bps=[1000], payout_asset="XTR", tiers=[silver])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    affiliate, code = await join(shop, "affiliate")
    buyer, _ = await join(shop, "buyer", code)
    await fund(shop, buyer, 300, "XTR")
    probe.reset()
    paid = [[t.amount.amount_minor for t in (await purchase(shop, buyer, pack.id)).transfers] for _ in range(3)]
    assert paid == [[100, 10, 1000], [100, 10, 1000], [100, 20, 1000]]  # the third at the Silver rate
    if path == "fast":  # only the sale that reached Silver took the ORM path, which awarded it
        assert probe.orm_calls["purchase"] == 1
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 10 + 10 + 7 + 20
    assert (await stats(shop, affiliate)).tier == "Silver"
    assert [t for t, _ in await order_events_of_type(shop, "referral.tier_reached")] == ["referral.tier_reached"]
    await assert_ledger_ok(shop)


async def order_events_of_type(shop: TenantHandle, type_: str) -> list[tuple[str, dict[str, object]]]:
    return [(event.type, json.loads(event.data)) for event in await settled_events(shop, type_)]


@PATHS
async def test_a_discount_code_is_counted_within_its_limits(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Discounts")
    probe = take_path(monkeypatch, path)
    pack = await token_pack(shop, stars=100, tokens=1000)
    other = await token_pack(shop, stars=40, tokens=400)
    await warm_up_referred(shop, pack)
    await discount_code(shop, "HALF", 5000, total_limit=2)
    await discount_code(shop, "FREE", 10_000)
    await discount_code(shop, "OTHER", 1000, package_ids=[other.id])
    await credit_code(shop, "GIFT")
    users = [await new_user(shop, f"buyer-{n}") for n in range(3)]
    for user in users:
        await fund(shop, user, 1000, "XTR")
    probe.reset()
    first = await purchase(shop, users[0], pack.id, promo_code=" half ")
    assert (first.order.subtotal.amount_minor, first.order.discount.amount_minor) == (100, 50)
    assert (first.order.total.amount_minor, first.order.promo_code) == (50, "HALF")
    assert [t.amount.amount_minor for t in first.transfers] == [50, 1000]
    refusals = [
        (users[0], "HALF", "PROMO_EXHAUSTED"),  # once per user
        (users[1], "OTHER", "PROMO_NOT_APPLICABLE"),
        (users[1], "GIFT", "PROMO_INVALID"),
    ]
    for user, code, reason in refusals:
        with pytest.raises(FailedPrecondition) as caught:
            await purchase(shop, user, pack.id, promo_code=code)
        assert caught.value.reason == reason
    with pytest.raises(NotFound):
        await purchase(shop, users[1], pack.id, promo_code="NOSUCH")
    await purchase(shop, users[1], pack.id, promo_code="HALF")
    with pytest.raises(FailedPrecondition) as caught:
        await purchase(shop, users[2], pack.id, promo_code="HALF")
    assert caught.value.reason == "PROMO_EXHAUSTED"  # its total
    free = await purchase(shop, users[2], pack.id, promo_code="FREE")
    assert (free.order.status, free.order.total.amount_minor) == (order_pb2.ORDER_STATUS_FULFILLED, 0)
    assert [(t.kind, t.amount.amount_minor) for t in free.transfers] == [(W.TRANSFER_KIND_DELIVERY, 1000)]
    if path == "fast":
        assert not probe.orm_calls
    assert (await used_count(shop, "HALF"), await used_count(shop, "FREE")) == (2, 1)
    balances = [(await balance(shop.admin, user, "XTR")).posted.amount_minor for user in users]
    assert balances == [950, 950, 1000]
    events = await order_events(shop, free.order.id)
    assert [type_ for type_, _ in events] == ["order.created", "wallet.credited", "order.paid", "order.fulfilled"]
    await assert_ledger_ok(shop)


@PATHS
async def test_a_discounted_purchase_by_a_referred_buyer_pays_commissions_on_what_was_paid(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Discounted referral")
    probe = take_path(monkeypatch, path)
    await set_program(shop, level_rates_bps=[1000])
    pack = await token_pack(shop, stars=200, tokens=1000)
    await warm_up_referred(shop, pack)
    await discount_code(shop, "QUARTER", 2500)
    affiliate, code = await join(shop, "affiliate")
    buyer, _ = await join(shop, "buyer", code)
    await fund(shop, buyer, 150, "XTR")
    probe.reset()
    bought = await purchase(shop, buyer, pack.id, promo_code="quarter")
    assert [t.amount.amount_minor for t in bought.transfers] == [150, 15, 1000]
    assert not probe.orm_calls if path == "fast" else probe.orm_calls["purchase"] == 1
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 15
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_referred_buyers_racing_pay_each_commission_once(hub: Hub) -> None:
    """Buyers under one referrer chain, each with money for three packs, each trying six at once."""
    shop = await hub.new_tenant("Racing referred buyers")
    await set_program(shop, level_rates_bps=[1000, 500])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    top, top_code = await join(shop, "top")
    mid, mid_code = await join(shop, "mid", top_code)
    buyers = [(await join(shop, f"racer-{n}", mid_code))[0] for n in range(6)]
    for buyer in buyers:
        await fund(shop, buyer, 300, "XTR")
    results = await asyncio.gather(
        *(purchase(shop, buyer, pack.id) for buyer in buyers for _ in range(6)), return_exceptions=True
    )
    bought = [r for r in results if isinstance(r, pb.PurchaseFromWalletResponse)]
    short = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    assert (len(bought), len(short)) == (18, 18), [r for r in results if isinstance(r, Exception)][:3]
    assert (await balance(shop.admin, mid, "XTR")).posted.amount_minor == 18 * 10
    assert (await balance(shop.admin, top, "XTR")).posted.amount_minor == 18 * 5
    assert amounts((await stats(shop, mid)).earned) == {"XTR": 180}
    for buyer in buyers:
        assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_buyers_racing_for_a_limited_code_get_exactly_its_uses(hub: Hub) -> None:
    shop = await hub.new_tenant("Racing for a code")
    await set_program(shop, level_rates_bps=[1000])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    await discount_code(shop, "FIVE", 2000, total_limit=5)
    _, code = await join(shop, "affiliate")
    buyers = [(await join(shop, f"racer-{n}", code))[0] for n in range(12)]
    for buyer in buyers:
        await fund(shop, buyer, 100, "XTR")
    results = await asyncio.gather(
        *(purchase(shop, buyer, pack.id, promo_code="FIVE") for buyer in buyers for _ in range(2)),
        return_exceptions=True,
    )
    bought = [r for r in results if isinstance(r, pb.PurchaseFromWalletResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "PROMO_EXHAUSTED"]
    assert (len(bought), len(refused)) == (5, 19), [r for r in results if isinstance(r, Exception)][:3]
    assert len({b.order.user_id for b in bought}) == 5  # once per user
    assert all(b.order.total.amount_minor == 80 for b in bought)
    assert await used_count(shop, "FIVE") == 5
    await assert_ledger_ok(shop)


@PATHS
async def test_a_retried_referred_purchase_with_a_code_is_made_once(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Retried referred purchase")
    probe = take_path(monkeypatch, path)
    await set_program(shop, level_rates_bps=[1000])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    await discount_code(shop, "TEN", 1000, total_limit=3)
    affiliate, code = await join(shop, "affiliate")
    buyer, _ = await join(shop, "buyer", code)
    await fund(shop, buyer, 90, "XTR")
    probe.reset()
    request = pb.PurchaseFromWalletRequest(user_id=buyer, package_id=pack.id, promo_code="TEN", request_id="buy-1")
    answers = await asyncio.gather(*(shop.admin.orders.PurchaseFromWallet(request) for _ in range(6)))
    assert all(answer == answers[0] for answer in answers)
    assert [t.amount.amount_minor for t in answers[0].transfers] == [90, 9, 1000]
    if path == "fast":
        assert not probe.orm_calls
    assert await shop.admin.orders.PurchaseFromWallet(request) == answers[0]  # the wallet is empty now
    other = pb.PurchaseFromWalletRequest(user_id=buyer, package_id=pack.id, request_id="buy-1")
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.orders.PurchaseFromWallet(other)
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    listed = await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=buyer))
    assert [o.id for o in listed.orders] == [answers[0].order.id]
    assert await used_count(shop, "TEN") == 1
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 9
    assert amounts((await stats(shop, affiliate)).earned) == {"XTR": 9}
    await assert_ledger_ok(shop)


async def test_referred_buyers_racing_past_a_tier_earn_by_the_sales_before_each(hub: Hub) -> None:
    """Each sale's rate comes from the sales recorded before it (read under the referrer's tier
    lock, never from a snapshot taken before the wait): five sales at 10 %, the rest at Silver's
    20 %, and Silver awarded once, however the purchases interleave."""
    shop = await hub.new_tenant("Racing past a tier")
    silver = Tier(name="Silver", min_sales_minor=500, bonus_rate_bps=1000, one_off_bonus_minor=7)
    await set_program(shop, level_rates_bps=[1000], payout_asset="XTR", tiers=[silver])
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    affiliate, code = await join(shop, "affiliate")
    buyers = [(await join(shop, f"racer-{n}", code))[0] for n in range(6)]
    for buyer in buyers:
        await fund(shop, buyer, 300, "XTR")
    results = await asyncio.gather(
        *(purchase(shop, buyer, pack.id) for buyer in buyers for _ in range(3)), return_exceptions=True
    )
    bought = [r for r in results if isinstance(r, pb.PurchaseFromWalletResponse)]
    assert len(bought) == 18, [r for r in results if isinstance(r, Exception)][:3]
    commissions = sorted(t.amount.amount_minor for b in bought for t in b.transfers if t.credit.user_id == affiliate)
    assert commissions == [10] * 5 + [20] * 13
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 5 * 10 + 13 * 20 + 7
    assert len(await order_events_of_type(shop, "referral.tier_reached")) == 1
    await assert_ledger_ok(shop)


@PATHS
async def test_commissions_in_a_payout_asset_are_converted_at_the_programs_rate(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    shop = await hub.new_tenant("Converted commissions")
    probe = take_path(monkeypatch, path)
    await set_program(shop, level_rates_bps=[1000, 300], payout_asset="TOKEN", rate_numerator=10, rate_denominator=3)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up_referred(shop, pack)
    top, top_code = await join(shop, "top")
    mid, mid_code = await join(shop, "mid", top_code)
    buyer, _ = await join(shop, "buyer", mid_code)
    await fund(shop, buyer, 100, "XTR")
    probe.reset()
    bought = await purchase(shop, buyer, pack.id)
    assert trace(bought) == [  # 100 XTR is 333 TOKEN (rounded down): 10 % and 3 % of that
        (W.TRANSFER_KIND_ORDER_PAYMENT, "XTR", 100, buyer, ""),
        (W.TRANSFER_KIND_REFERRAL_COMMISSION, "TOKEN", 33, "", mid),
        (W.TRANSFER_KIND_REFERRAL_COMMISSION, "TOKEN", 9, "", top),
        (W.TRANSFER_KIND_DELIVERY, "TOKEN", 1000, "", buyer),
    ]
    assert not probe.orm_calls if path == "fast" else probe.orm_calls["purchase"] == 1
    events = await order_events(shop, bought.order.id)
    commissions = [data for type_, data in events if type_ == "referral.commission"]
    assert [(c["asset"], c["amount"], c["level"]) for c in commissions] == [("TOKEN", 33, 1), ("TOKEN", 9, 2)]
    assert amounts((await stats(shop, top)).earned) == {"TOKEN": 9}
    await assert_ledger_ok(shop)


@PATHS
async def test_a_referred_buyers_plan_is_started_and_the_commission_paid(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A delivery with rows of its own (the plan) and a commission in one purchase: the plan's
    event before the money's, as on the ORM path."""
    shop = await hub.new_tenant("Referred plans")
    probe = take_path(monkeypatch, path)
    await set_program(shop, level_rates_bps=[1000])
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(300, "XTR"), plan_code="pro", period_days=30
    )
    await warm_up_referred(shop, plan)
    affiliate, code = await join(shop, "affiliate")
    buyer, _ = await join(shop, "buyer", code)
    await fund(shop, buyer, 600, "XTR")
    probe.reset()
    first, second = [await purchase(shop, buyer, plan.id) for _ in range(2)]
    assert [t.amount.amount_minor for t in first.transfers] == [300, 30]
    assert (second.order.status, second.order.total.amount_minor) == (order_pb2.ORDER_STATUS_FULFILLED, 300)
    if path == "fast":
        assert not probe.orm_calls
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 60
    types = [type_ for type_, _ in await order_events(shop, second.order.id)]
    assert types == [
        "order.created",
        "wallet.debited",
        "wallet.credited",
        "referral.commission",
        "order.paid",
        "order.fulfilled",
    ]
    plan_events = [e.type for e in await settled_events(shop, "subscription.")]
    assert plan_events[-2:] == ["subscription.activated", "subscription.extended"]
    await assert_ledger_ok(shop)
