"""RefundOrder on the fast path: partial and whole refunds of a token pack, the delivery taken back
as far as the wallet allows, referral commissions clawed back (shortfalls recorded), with the
same answers, rows, transfers and events as the ORM path; replays by request id; races."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from core_server.domain.orders.refunds import OrderRefunds
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import order_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.promos import settled_events
from tests.commerce.referrals import buy, join, set_program
from tests.fast_paths import PATHS, balances_after, canonical, take_path, trace, traces_on_both_paths
from tests.hub import Hub, TenantHandle
from tests.money import DEBIT, assert_ledger_ok, balance, fund, money, new_user

FAST = [(OrderRefunds, "refund_fast")]


def refund(order: str, amount: int | None = None, request_id: str = "") -> pb.RefundOrderRequest:
    request = pb.RefundOrderRequest(order_id=order, reason="changed their mind", actor="tg:1", request_id=request_id)
    if amount is not None:
        request.amount_minor = amount
    return request


async def spend(shop: TenantHandle, user: str, amount: int, asset: str) -> None:
    await shop.admin.wallet.ChargeUsage(wallet_pb.ChargeUsageRequest(user_id=user, amount=money(amount, asset)))


async def referred_sale(shop: TenantHandle) -> tuple[dict[str, str], str]:
    """A buyer invited by B, invited by A (10 % and 5 %), a 200 XTR token pack bought, then part of
    the commission and of the tokens spent: the refunds meet short wallets."""
    await set_program(shop, level_rates_bps=[1000, 500], min_payout_minor=1)
    a, code_a = await join(shop, "1")
    b, code_b = await join(shop, "2", code_a)
    buyer, _ = await join(shop, "3", code_b)
    order = await buy(shop, buyer, 200)
    await spend(shop, b, 15, "XTR")
    await spend(shop, buyer, 500, "TOKEN")
    return {"a": a, "b": b, "buyer": buyer}, order


async def refund_story(shop: TenantHandle, order: str, users: dict[str, str]) -> list[Any]:
    answers: list[Any] = []
    answers.append(await shop.admin.orders.RefundOrder(refund(order, 100)))
    answers.append(await shop.admin.orders.RefundOrder(refund(order)))
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.orders.RefundOrder(refund(order))
    answers.append((caught.value.reason, dict(caught.value.metadata)))
    for name in ("a", "b", "buyer"):
        for asset in ("XTR", "TOKEN"):
            answers.append((name, asset, (await balance(shop.admin, users[name], asset)).posted.amount_minor))
    return answers


@PATHS
async def test_refunds_with_clawbacks_answer_alike_on_both_paths(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await hub.new_tenant(f"Refunds {path}")
    users, order = await referred_sale(shop)
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    answers = await refund_story(shop, order, users)
    assert opened["write"] == (0 if path == "fast" else 3), opened
    first, second = answers[0], answers[1]
    assert (first.order.status, first.order.refunded.amount_minor) == (order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED, 100)
    assert (second.order.status, second.order.refunded.amount_minor) == (order_pb2.ORDER_STATUS_REFUNDED, 200)
    moved = [[(t.amount.asset, t.amount.amount_minor) for t in answer.transfers] for answer in (first, second)]
    assert moved == [
        [("XTR", 100), ("TOKEN", 1000), ("XTR", 5), ("XTR", 5)],  # refund, reversal, clawbacks of B and A
        [("XTR", 100), ("TOKEN", 500), ("XTR", 5)],  # B's wallet is empty: all of its share falls short
    ]
    assert len({t.link_id for t in first.transfers}) == 1
    assert answers[2][0] == "ORDER_NOT_REFUNDABLE"
    assert answers[3:] == [
        ("a", "XTR", 0),
        ("a", "TOKEN", 0),
        ("b", "XTR", 0),
        ("b", "TOKEN", 0),
        ("buyer", "XTR", 200),
        ("buyer", "TOKEN", 0),
    ]
    monkeypatch.undo()
    clawbacks = [json.loads(e.data) for e in await settled_events(shop, "referral.clawback")]
    assert [(c["level"], c["clawed_back_now"], c["shortfall_now"]) for c in clawbacks] == [
        (1, 5, 5),
        (2, 5, 0),
        (1, 0, 10),
        (2, 5, 0),
    ]
    await assert_ledger_ok(shop)


async def test_both_paths_leave_the_same_trace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    traces = []
    for path in ("orm", "fast"):
        shop = await hub.new_tenant(f"Refunds alike {path}")
        users, order = await referred_sale(shop)
        take_path(path, monkeypatch, hub.deps, FAST)
        answers = await refund_story(shop, order, users)
        monkeypatch.undo()
        ids = {users["a"]: "a", users["b"]: "b", users["buyer"]: "buyer", order: "order"}
        recorded = await trace(shop, "order.", "wallet.", "referral.", "audit.")
        got = (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order))).order
        traces.append({"answers": canonical(answers, ids), "order": canonical(got, ids), **canonical(recorded, ids)})
    for key in traces[0]:
        assert traces[0][key] == traces[1][key], key


@PATHS
async def test_a_request_id_refunds_once(hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await hub.new_tenant(f"Refund replays {path}")
    users, order = await referred_sale(shop)
    take_path(path, monkeypatch, hub.deps, FAST)
    request = refund(order, 50, request_id="refund-1")
    answers = await asyncio.gather(*(shop.admin.orders.RefundOrder(request) for _ in range(8)))
    assert all(answer == answers[0] for answer in answers)
    await shop.admin.orders.RefundOrder(refund(order))  # the rest: the order is refunded now
    assert await shop.admin.orders.RefundOrder(request) == answers[0]  # replayed, not refused
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.orders.RefundOrder(refund(order, 51, request_id="refund-1"))
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert (await balance(shop.admin, users["buyer"], "XTR")).posted.amount_minor == 200
    await assert_ledger_ok(shop)


async def plain_sale(hub: Hub, name: str) -> tuple[TenantHandle, str]:
    """A buyer without referrers who bought a 200 XTR pack of 2000 TOKEN (after a first sale
    taught the core the buckets a refund moves), then spent 500 TOKEN and holds 30 XTR."""
    shop = await hub.new_tenant(name)
    await buy(shop, await new_user(shop, "first buyer"), 200)
    buyer = await new_user(shop, "buyer")
    await buy(shop, buyer, 200)
    await spend(shop, buyer, 500, "TOKEN")
    await fund(shop, buyer, 40, "XTR")
    await shop.admin.wallet.CreateHold(wallet_pb.CreateHoldRequest(user_id=buyer, amount=money(30, "XTR")))
    return shop, buyer


async def plain_refund_story(shop: TenantHandle, buyer: str) -> list[Any]:
    """A partial refund by request id, the rest, then the first replayed after the wallets moved."""
    listed = await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=buyer))
    order = listed.orders[0].id
    first = refund(order, 50, request_id="refund-1")
    answers: list[Any] = [await shop.admin.orders.RefundOrder(first)]
    answers.append(await shop.admin.orders.RefundOrder(refund(order)))
    debit = wallet_pb.AdjustBalanceRequest(
        user_id=buyer, amount=money(40, "XTR"), direction=DEBIT, reason="the wallet moves", actor="tests"
    )
    await shop.admin.wallet.AdjustBalance(debit)
    answers.append(await shop.admin.orders.RefundOrder(first))
    return answers


@PATHS
async def test_a_refund_answers_with_the_balances_it_left(hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without clawbacks a refund's legs join its last statement on PostgreSQL, which alone knows
    the wallets' balances after: the answers and their replay must still say them."""
    shop, buyer = await plain_sale(hub, f"Plain refund {path}")
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    answers = await plain_refund_story(shop, buyer)
    assert opened["write"] == 0 if path == "fast" else opened["write"] >= 2, opened
    monkeypatch.undo()
    # 40 XTR (30 held) and 1500 TOKEN; 50 XTR back takes 500 TOKEN, the rest 1000 more
    assert balances_after(answers[0]) == [("XTR", -1, 90), ("TOKEN", 1000, -1)]
    assert balances_after(answers[1]) == [("XTR", -1, 240), ("TOKEN", 0, -1)]
    assert answers[2] == answers[0]
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 200
    await assert_ledger_ok(shop)


async def test_a_plain_refund_leaves_the_same_trace_on_both_paths(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    traces, writes = await traces_on_both_paths(
        hub, monkeypatch, FAST, plain_sale, plain_refund_story, "order.", "wallet.", "audit."
    )
    assert traces[0] == traces[1]
    assert writes[1] == 0


async def test_racing_refunds_of_one_order_never_give_back_more_than_it_cost(hub: Hub) -> None:
    """On PostgreSQL a real race between sessions; on SQLite the calls take turns at the writer."""
    shop = await hub.new_tenant("Refund race")
    users, order = await referred_sale(shop)
    partial = [shop.admin.orders.RefundOrder(refund(order, 30)) for _ in range(10)]
    whole = [shop.admin.orders.RefundOrder(refund(order)) for _ in range(5)]
    results = await asyncio.gather(*partial, *whole, return_exceptions=True)
    done = [r for r in results if isinstance(r, pb.RefundOrderResponse)]
    for result in results:
        if isinstance(result, BaseException):
            assert isinstance(result, FailedPrecondition | InvalidArgument), repr(result)
    assert sum(t.amount.amount_minor for r in done for t in r.transfers[:1]) == 200
    got = (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=order))).order
    assert (got.status, got.refunded.amount_minor) == (order_pb2.ORDER_STATUS_REFUNDED, 200)
    assert (await balance(shop.admin, users["buyer"], "XTR")).posted.amount_minor == 200
    await assert_ledger_ok(shop)
