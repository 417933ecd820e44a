"""PurchaseFromWallet and PayOrderFromWallet on the fast path. On PostgreSQL a purchase that takes
no lock is its reads and one statement (the balance rows, the transfers, the order, commission
rows, the events and the request's record), whose answer holds the wallets' balances after, which
only that statement computes: the answer, a replay of it and the events it wrote must say what the
ORM path says, whatever else holds or moves the wallets meanwhile. A payment of an order read
unlocked must still be the only one. (Racing buyers each answered with the balance their own
purchase left: tests/commerce/test_purchase.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

from core_server.domain.orders.payment import OrderPayments
from core_server.store.repositories import orders as orders_repo
from sdk import FailedPrecondition
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import order_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import token_pack
from tests.commerce.promos import settled_events
from tests.commerce.referrals import join, set_program
from tests.commerce.test_fast_deliveries import plan_package, plans_of
from tests.commerce.test_fast_purchases import Tier, two_level_chain, warm_up_referred
from tests.commerce.test_fast_two_calls import create as create_order
from tests.commerce.test_purchase import purchase, warm_up
from tests.fast_paths import PATHS, balances_after, take_path, traces_on_both_paths
from tests.hub import Hub, TenantHandle
from tests.money import DEBIT, assert_ledger_ok, balance, fund, money, new_user

FAST = [(OrderPayments, "purchase_fast"), (OrderPayments, "pay_fast")]


async def warm_shop(hub: Hub, name: str) -> tuple[TenantHandle, str]:
    """A tenant whose revenue and issued buckets the core knows (a first purchase learns them), a
    pack of 1000 TOKEN for 100 XTR, and a buyer with 250 XTR and 5 TOKEN."""
    shop = await hub.new_tenant(name)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await warm_up(shop, pack)
    user = await new_user(shop)
    await fund(shop, user, 250, "XTR")
    await fund(shop, user, 5, "TOKEN")
    return shop, user


async def the_pack(shop: TenantHandle) -> str:
    listed = await shop.admin.catalog.ListPackages(catalog_pb.ListPackagesRequest())
    return str(listed.packages[0].id)


async def purchase_story(shop: TenantHandle, user: str) -> list[Any]:
    """A purchase beside a hold, an order paid in two calls, a short wallet refused, then the first
    purchase replayed after the hold is gone and the wallets moved: every answer."""
    pack = await the_pack(shop)
    orders, wallet = shop.admin.orders, shop.admin.wallet
    hold = (await wallet.CreateHold(wallet_pb.CreateHoldRequest(user_id=user, amount=money(30, "XTR")))).hold
    first = pb.PurchaseFromWalletRequest(user_id=user, package_id=pack, request_id="buy-1")
    answers: list[Any] = [await orders.PurchaseFromWallet(first)]
    order = (await orders.CreateOrder(pb.CreateOrderRequest(user_id=user, package_id=pack))).order
    paid = pb.PayOrderFromWalletRequest(order_id=order.id, request_id="pay-1")
    answers.append(await orders.PayOrderFromWallet(paid))
    with pytest.raises(FailedPrecondition) as caught:  # 50 XTR left, 30 of them held
        await purchase(shop, user, pack)
    answers.append(caught.value.reason)
    await wallet.VoidHold(wallet_pb.VoidHoldRequest(hold_id=hold.id))
    await fund(shop, user, 70, "XTR")
    answers.append(await orders.PurchaseFromWallet(first))  # the first answer, as it was
    answers.append(await orders.PayOrderFromWallet(paid))
    answers.append(await balance(shop.admin, user, "XTR"))
    return answers


@PATHS
async def test_purchases_answer_with_the_balances_they_left(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user = await warm_shop(hub, f"Balances after {path}")
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    answers = await purchase_story(shop, user)
    writes = opened["write"]
    monkeypatch.undo()
    assert balances_after(answers[0]) == [("XTR", 150, -1), ("TOKEN", -1, 1005)]
    assert balances_after(answers[1]) == [("XTR", 50, -1), ("TOKEN", -1, 2005)]
    assert answers[2] == "INSUFFICIENT_FUNDS"
    assert (answers[3], answers[4]) == (answers[0], answers[1])  # replayed as answered
    assert answers[5].posted.amount_minor == 120
    if path == "fast":  # the short purchase too: its read saw the wallet could not pay
        assert writes == 0
    else:
        assert writes >= 3  # the purchase, the payment, the short purchase
    events = [json.loads(e.data) for e in await settled_events(shop, "wallet.")]
    paid = [
        (d["asset"], d["balance_minor"])
        for d in events
        if d.get("user_id") == user and d.get("kind") in ("order_payment", "delivery")
    ]
    assert paid == [("XTR", 150), ("TOKEN", 1005), ("XTR", 50), ("TOKEN", 2005)]
    await assert_ledger_ok(shop)


async def test_purchases_leave_the_same_trace_on_both_paths(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    traces, writes = await traces_on_both_paths(hub, monkeypatch, FAST, warm_shop, purchase_story, "order.", "wallet.")
    assert traces[0] == traces[1]
    assert writes[1] == 0


async def test_a_wallet_spent_after_the_read_fails_the_statement_and_changes_nothing(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purchase's read saw enough; another call spends the wallet before the statement runs.
    The statement's debit finds the wallet short and the whole statement changes nothing (no
    TOKEN credited, no order, no events), and the ORM path answers INSUFFICIENT_FUNDS."""
    if hub.deps.db.dialect != "postgresql":
        pytest.skip("SQLite reads in the writer's turn: nothing can spend the wallet in between")
    shop, user = await warm_shop(hub, "Spent meanwhile")
    pack = await the_pack(shop)
    read = orders_repo.purchase_facts
    spent: list[str] = []

    async def read_then_spend(*args: Any) -> Any:
        facts = await read(*args)
        if not spent:
            spent.append(user)
            spend = wallet_pb.AdjustBalanceRequest(
                user_id=user, amount=money(200, "XTR"), direction=DEBIT, reason="spent meanwhile", actor="tests"
            )
            await shop.admin.wallet.AdjustBalance(spend)
        return facts

    monkeypatch.setattr(orders_repo, "purchase_facts", read_then_spend)
    opened = take_path("fast", monkeypatch, hub.deps, FAST)
    with pytest.raises(FailedPrecondition) as caught:
        await purchase(shop, user, pack)
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    assert (spent, opened["write"]) == ([user], 1)  # the ORM path said why
    monkeypatch.undo()
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 50
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 5
    listed = await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=user))
    assert list(listed.orders) == []
    events = [json.loads(e.data) for e in await settled_events(shop, "order.", "wallet.")]
    assert [d for d in events if d.get("user_id") == user and d.get("kind") != "adjustment"] == []
    await assert_ledger_ok(shop)


@PATHS
async def test_a_referred_purchase_answers_every_wallets_balance_after(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two commissions paid from referral_expense are one leg of their sum in the purchase's
    statement on PostgreSQL: the buyer's and both referrers' balances after are still answered,
    replayed and evented as the ORM path does."""
    shop = await hub.new_tenant(f"Referred balances {path}")
    pack, (top, mid, buyer) = await two_level_chain(shop)
    await fund(shop, buyer, 250, "XTR")
    await fund(shop, mid, 7, "XTR")
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    request = pb.PurchaseFromWalletRequest(user_id=buyer, package_id=pack.id, request_id="referred-1")
    first = await shop.admin.orders.PurchaseFromWallet(request)
    second = await purchase(shop, buyer, pack.id)
    replayed = await shop.admin.orders.PurchaseFromWallet(request)
    writes = opened["write"]
    monkeypatch.undo()
    assert balances_after(first) == [("XTR", 150, -1), ("XTR", -1, 17), ("XTR", -1, 5), ("TOKEN", -1, 1000)]
    assert balances_after(second) == [("XTR", 50, -1), ("XTR", -1, 27), ("XTR", -1, 10), ("TOKEN", -1, 2000)]
    assert replayed == first
    assert writes == 0 if path == "fast" else writes >= 2
    events = [json.loads(e.data) for e in await settled_events(shop, "wallet.")]
    mine = [(d["user_id"], d["balance_minor"]) for d in events if d.get("reference", "").startswith("order:")]
    assert mine[-8:] == [
        (buyer, 150), (mid, 17), (top, 5), (buyer, 1000), (buyer, 50), (mid, 27), (top, 10), (buyer, 2000),
    ]  # fmt: skip
    await assert_ledger_ok(shop)


async def test_orders_paid_and_cancelled_at_once_end_one_way_each(hub: Hub) -> None:
    """Buyers without referrers: their orders are read unlocked and paid by a statement that takes
    an order only while it is still pending. Eight payments and two cancellations of each order at
    once: each order is either paid once (every other call refused) or cancelled (every payment
    refused), and each wallet paid exactly for the orders paid."""
    shop, _ = await warm_shop(hub, "Pay or cancel")
    pack = await the_pack(shop)
    buyers = [await new_user(shop, f"buyer-{n}") for n in range(4)]
    orders = []
    for buyer in buyers:
        await fund(shop, buyer, 1000, "XTR")
        orders.append(
            (await shop.admin.orders.CreateOrder(pb.CreateOrderRequest(user_id=buyer, package_id=pack))).order
        )
    calls = []
    for order in orders:
        calls += [
            shop.admin.orders.PayOrderFromWallet(pb.PayOrderFromWalletRequest(order_id=order.id)) for _ in range(8)
        ]
        calls += [shop.admin.orders.CancelOrder(pb.CancelOrderRequest(order_id=order.id)) for _ in range(2)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    for n, (order, buyer) in enumerate(zip(orders, buyers, strict=True)):
        mine = results[10 * n : 10 * n + 10]
        paid = [r for r in mine[:8] if isinstance(r, pb.PayOrderFromWalletResponse)]
        cancelled = [r for r in mine[8:] if isinstance(r, pb.CancelOrderResponse)]
        refused = [r for r in mine if isinstance(r, FailedPrecondition) and r.reason == "ORDER_NOT_PENDING"]
        assert len(paid) + len(cancelled) == 1 and len(refused) == 9, mine
        got = (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
        if paid:
            assert balances_after(paid[0]) == [("XTR", 900, -1), ("TOKEN", -1, 1000)]
            assert got.status == order_pb2.ORDER_STATUS_FULFILLED
        assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == (900 if paid else 1000)
    verified = await assert_ledger_ok(shop)
    paid_orders = sum(1 for r in results if isinstance(r, pb.PayOrderFromWalletResponse))
    assert verified.transfers_checked == 2 + 2 + 1 + len(buyers) + 2 * paid_orders  # warm-up, the shop's buyer


async def test_orders_whose_payment_locks_a_row_lock_the_order_first(hub: Hub) -> None:
    """A referred buyer under a program with tiers (the referrer's tier is locked) and a plan's
    order (the plan is locked): read unlocked, the payment locks the order before any other row.
    Paid six times and cancelled twice at once, each order ends one way; the plans run 30 days
    per paid order and the referrer earns per paid order only."""
    shop = await hub.new_tenant("Lock the order first")
    silver = Tier(name="Silver", min_sales_minor=100_000, bonus_rate_bps=1000)
    await set_program(shop, level_rates_bps=[1000], payout_asset="XTR", tiers=[silver])
    pack = await token_pack(shop, stars=100, tokens=1000)
    plan = await plan_package(shop)
    await warm_up_referred(shop, pack)
    affiliate, code = await join(shop, "affiliate")
    buyers = [(await join(shop, f"buyer-{n}", code))[0] for n in range(3)]
    loner = await new_user(shop, "plan buyer")
    orders = []
    for buyer in buyers:
        await fund(shop, buyer, 1000, "XTR")
        orders.append((buyer, await create_order(shop, buyer, pack.id)))
    await fund(shop, loner, 1000, "XTR")
    await purchase(shop, loner, plan.id)  # the plan exists: each payment extends it under its lock
    orders += [(loner, await create_order(shop, loner, plan.id)) for _ in range(2)]
    calls = []
    for _, order in orders:
        calls += [
            shop.admin.orders.PayOrderFromWallet(pb.PayOrderFromWalletRequest(order_id=order.id)) for _ in range(6)
        ]
        calls += [shop.admin.orders.CancelOrder(pb.CancelOrderRequest(order_id=order.id)) for _ in range(2)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    paid_by: dict[str, int] = {}
    for n, (buyer, _order) in enumerate(orders):
        mine = results[8 * n : 8 * n + 8]
        paid = [r for r in mine[:6] if isinstance(r, pb.PayOrderFromWalletResponse)]
        cancelled = [r for r in mine[6:] if isinstance(r, pb.CancelOrderResponse)]
        refused = [r for r in mine if isinstance(r, FailedPrecondition) and r.reason == "ORDER_NOT_PENDING"]
        assert len(paid) + len(cancelled) == 1 and len(refused) == 7, mine
        paid_by[buyer] = paid_by.get(buyer, 0) + len(paid)
    for buyer in buyers:
        assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 1000 - 100 * paid_by[buyer]
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 10 * sum(paid_by[b] for b in buyers)
    assert (await balance(shop.admin, loner, "XTR")).posted.amount_minor == 900 - 100 * paid_by[loner]
    [running] = await plans_of(shop, loner)
    assert running.end_time.ToDatetime() - running.start_time.ToDatetime() == dt.timedelta(
        days=30 * (1 + paid_by[loner])
    )
    await assert_ledger_ok(shop)
