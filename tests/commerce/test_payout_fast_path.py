"""Referral payout requests on the fast path: a request reserves what may be withdrawn, an
approval pays it out of the hold, a rejection gives it back, with the same answers, rows,
transfers, events and audit entries as the ORM path; replays by request id; racing requests."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core_server.domain.referrals import payout_fast
from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import referral_pb2
from sdk.billinghub.v1 import referral_service_pb2 as pb
from tests.commerce.referrals import buy, join, set_program
from tests.fast_paths import PATHS, canonical, take_path, trace
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund

FAST = [(payout_fast, "create"), (payout_fast, "approve"), (payout_fast, "reject")]


def ask(user: str, amount: int, request_id: str = "") -> pb.CreatePayoutRequestRequest:
    return pb.CreatePayoutRequestRequest(
        user_id=user, amount_minor=amount, destination="bc1qexample", request_id=request_id
    )


def approve(payout: str, request_id: str = "") -> pb.ApprovePayoutRequestRequest:
    return pb.ApprovePayoutRequestRequest(
        payout_request_id=payout, payment_reference="tx-1", actor="tg:1", request_id=request_id
    )


def reject(payout: str) -> pb.RejectPayoutRequestRequest:
    return pb.RejectPayoutRequestRequest(payout_request_id=payout, reason="wrong address", actor="tg:1")


async def earning_affiliate(shop: TenantHandle) -> str:
    """An affiliate who earned 100 XTR (10 % of a 1000 XTR sale) and was paid 10 of it once (the
    approval teaches the core the `payouts` account's buckets: later ones may take the fast path)."""
    await set_program(shop, level_rates_bps=[1000], payout_asset="XTR", min_payout_minor=5)
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 1000)
    first = (await shop.admin.referrals.CreatePayoutRequest(ask(affiliate, 10))).payout_request
    await shop.admin.referrals.ApprovePayoutRequest(approve(first.id))
    return affiliate


async def payout_story(shop: TenantHandle, affiliate: str) -> list[Any]:
    referrals = shop.admin.referrals
    answers: list[Any] = []
    paid = (await referrals.CreatePayoutRequest(ask(affiliate, 30))).payout_request
    turned_down = (await referrals.CreatePayoutRequest(ask(affiliate, 20))).payout_request
    answers += [paid, turned_down]
    answers.append((await referrals.ApprovePayoutRequest(approve(paid.id))).payout_request)
    answers.append((await referrals.RejectPayoutRequest(reject(turned_down.id))).payout_request)
    for refused in (
        referrals.CreatePayoutRequest(ask(affiliate, 4)),
        referrals.CreatePayoutRequest(ask(affiliate, 61)),
        referrals.ApprovePayoutRequest(approve(paid.id)),
        referrals.RejectPayoutRequest(reject(turned_down.id)),
    ):
        with pytest.raises(FailedPrecondition) as caught:
            await refused
        answers.append((caught.value.reason, dict(caught.value.metadata)))
    wallet = await balance(shop.admin, affiliate, "XTR")
    answers.append((wallet.posted.amount_minor, wallet.held.amount_minor))
    return answers


@PATHS
async def test_payouts_answer_alike_on_both_paths(hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await hub.new_tenant(f"Payouts {path}")
    affiliate = await earning_affiliate(shop)
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    answers = await payout_story(shop, affiliate)
    assert opened["write"] == (0 if path == "fast" else 8), opened
    assert [a.status for a in answers[:4]] == [
        referral_pb2.PAYOUT_STATUS_PENDING,
        referral_pb2.PAYOUT_STATUS_PENDING,
        referral_pb2.PAYOUT_STATUS_PAID,
        referral_pb2.PAYOUT_STATUS_REJECTED,
    ]
    assert answers[4:] == [
        ("BELOW_MIN_PAYOUT", {"min_payout_minor": "5"}),
        ("INSUFFICIENT_FUNDS", {"asset": "XTR", "needed_minor": "61", "withdrawable_minor": "60"}),
        ("PAYOUT_NOT_PENDING", {"status": "paid", "decided_by": "tg:1"}),
        ("PAYOUT_NOT_PENDING", {"status": "rejected", "decided_by": "tg:1"}),
        (60, 0),
    ]
    await assert_ledger_ok(shop)


async def test_both_paths_leave_the_same_trace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    traces = []
    for path in ("orm", "fast"):
        shop = await hub.new_tenant(f"Payouts alike {path}")
        affiliate = await earning_affiliate(shop)
        take_path(path, monkeypatch, hub.deps, FAST)
        answers = await payout_story(shop, affiliate)
        monkeypatch.undo()
        ids = {affiliate: "affiliate"}
        recorded = await trace(shop, "referral.payout", "hold.", "wallet.")
        listed = await shop.admin.referrals.ListPayoutRequests(pb.ListPayoutRequestsRequest(user_id=affiliate))
        traces.append(
            {"answers": canonical(answers, ids), "listed": canonical(listed, ids), **canonical(recorded, ids)}
        )
        await assert_ledger_ok(shop)
    for key in traces[0]:
        assert traces[0][key] == traces[1][key], key


@PATHS
async def test_a_request_id_asks_and_decides_once(hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await hub.new_tenant(f"Payout replays {path}")
    affiliate = await earning_affiliate(shop)
    take_path(path, monkeypatch, hub.deps, FAST)
    referrals = shop.admin.referrals
    asked = await asyncio.gather(*(referrals.CreatePayoutRequest(ask(affiliate, 25, "ask-1")) for _ in range(8)))
    assert len({answer.payout_request.id for answer in asked}) == 1
    payout = asked[0].payout_request.id
    paid = await asyncio.gather(*(referrals.ApprovePayoutRequest(approve(payout, "pay-1")) for _ in range(8)))
    assert all(answer == paid[0] for answer in paid)
    assert await referrals.ApprovePayoutRequest(approve(payout, "pay-1")) == paid[0]
    with pytest.raises(InvalidArgument) as caught:
        await referrals.CreatePayoutRequest(ask(affiliate, 26, "ask-1"))
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    with pytest.raises(NotFound):
        await referrals.ApprovePayoutRequest(approve("01a20281-0000-7000-8000-000000000000"))
    wallet = await balance(shop.admin, affiliate, "XTR")
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == (65, 0)
    await assert_ledger_ok(shop)


async def test_racing_requests_never_reserve_more_than_is_withdrawable(hub: Hub) -> None:
    """On PostgreSQL a real race between sessions; on SQLite the calls take turns at the writer."""
    shop = await hub.new_tenant("Payout race")
    affiliate = await earning_affiliate(shop)
    calls = [shop.admin.referrals.CreatePayoutRequest(ask(affiliate, 7)) for _ in range(20)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    made = [r for r in results if isinstance(r, pb.CreatePayoutRequestResponse)]
    short = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    assert (len(made), len(short)) == (12, 8), [r for r in results if isinstance(r, Exception)][:3]
    wallet = await balance(shop.admin, affiliate, "XTR")
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == (90, 84)
    decisions = [
        shop.admin.referrals.ApprovePayoutRequest(approve(r.payout_request.id))
        if n % 2
        else shop.admin.referrals.RejectPayoutRequest(reject(r.payout_request.id))
        for n, r in enumerate(made)
    ]
    await asyncio.gather(*decisions)
    wallet = await balance(shop.admin, affiliate, "XTR")
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == (90 - 6 * 7, 0)
    await assert_ledger_ok(shop)


async def test_racing_requests_of_a_rich_wallet_never_pass_the_earnings(hub: Hub) -> None:
    """The wallet holds far more than was earned: only the earnings' figures, read under the
    wallet's lock after every earlier request committed, stop the requests (not the wallet)."""
    shop = await hub.new_tenant("Payout race, rich wallet")
    affiliate = await earning_affiliate(shop)
    await fund(shop, affiliate, 10_000, "XTR")
    calls = [shop.admin.referrals.CreatePayoutRequest(ask(affiliate, 7)) for _ in range(20)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    made = [r for r in results if isinstance(r, pb.CreatePayoutRequestResponse)]
    short = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    assert (len(made), len(short)) == (12, 8), [r for r in results if isinstance(r, Exception)][:3]
    assert (await balance(shop.admin, affiliate, "XTR")).held.amount_minor == 84
    await assert_ledger_ok(shop)
