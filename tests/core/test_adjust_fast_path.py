"""AdjustBalance on the fast path. On PostgreSQL it is one statement (the wallet's change, the
bucket's, the transfer, both events, the audit entry and the request's record) whose answer holds
the balances only that statement computes: the answer, a replay of it and the rows it wrote must
say what the ORM path says, whatever else holds or moves the wallet meanwhile."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from typing import Any

import pytest

from core_server.domain.money.wallets import WalletService
from sdk import FailedPrecondition, NotFound
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.commerce.promos import settled_events
from tests.fast_paths import PATHS, take_path, trace, traces_on_both_paths
from tests.hub import Hub, TenantHandle
from tests.money import CREDIT, DEBIT, assert_ledger_ok, balance, fund, money, new_user

FAST = [(WalletService, "adjust_fast")]


def adjustment(user: str, amount: int, direction: int, request_id: str = "", asset: str = "TOKEN") -> Any:
    return pb.AdjustBalanceRequest(
        request_id=request_id,
        user_id=user,
        amount=money(amount, asset),
        direction=direction,
        reason=f"reason {amount}",
        actor="tg:7",
    )


async def warm_shop(hub: Hub, name: str) -> tuple[TenantHandle, str]:
    """A tenant whose adjustment buckets the core knows (the first adjustment learns them), and a
    user with 100 TOKEN."""
    shop = await hub.new_tenant(name)
    user = await new_user(shop)
    await fund(shop, user, 100)
    return shop, user


async def adjust_story(shop: TenantHandle, user: str) -> list[Any]:
    """Credit and debit a wallet that has a hold, refusals, a replay once the hold is gone, a
    first credit of a wallet: every answer."""
    wallet = shop.admin.wallet
    hold = (await wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(30)))).hold
    gift = adjustment(user, 5, CREDIT, "gift-1")
    answers: list[Any] = [await wallet.AdjustBalance(gift)]
    answers.append(await wallet.AdjustBalance(adjustment(user, 75, DEBIT, "fine-1")))
    for refused, error in (
        (adjustment(user, 1, DEBIT), FailedPrecondition),
        (adjustment(str(uuid.uuid4()), 5, CREDIT), NotFound),
        (adjustment(user, 5, CREDIT, asset="NOPE"), NotFound),
    ):
        with pytest.raises(error) as caught:
            await wallet.AdjustBalance(refused)
        answers.append(caught.value.reason)
    await wallet.VoidHold(pb.VoidHoldRequest(hold_id=hold.id))
    answers.append(await wallet.AdjustBalance(gift))  # the first answer, held 30 and all
    answers.append(await wallet.AdjustBalance(adjustment(await new_user(shop, "2"), 7, CREDIT)))
    answers.append(await balance(shop.admin, user))
    return answers


def figures(answer: pb.AdjustBalanceResponse) -> tuple[int, int, int, int, int]:
    """(debit balance after, credit balance after, posted, held, available)."""
    b = answer.balance
    transfer = answer.transfer
    return (
        transfer.debit_balance_after if transfer.HasField("debit_balance_after") else -1,
        transfer.credit_balance_after if transfer.HasField("credit_balance_after") else -1,
        b.posted.amount_minor,
        b.held.amount_minor,
        b.available.amount_minor,
    )


@PATHS
async def test_adjustments_answer_with_the_balances_they_left(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user = await warm_shop(hub, f"Adjust {path}")
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    answers = await adjust_story(shop, user)
    writes = opened["write"]
    monkeypatch.undo()
    assert figures(answers[0]) == (-1, 105, 105, 30, 75)
    assert figures(answers[1]) == (30, -1, 30, 30, 0)
    assert answers[2:5] == ["INSUFFICIENT_FUNDS", "USER_NOT_FOUND", "ASSET_NOT_FOUND"]
    assert answers[5] == answers[0]  # replayed as answered, though the hold is gone since
    assert figures(answers[6]) == (-1, 7, 7, 0, 7)
    now = answers[7]
    assert (now.posted.amount_minor, now.held.amount_minor, now.available.amount_minor) == (30, 0, 30)
    if path == "fast":
        # only the refusals open an ORM write unit (it says why); SQLite's fast path knows a short
        # wallet itself, PostgreSQL's one statement only that it changed nothing
        assert writes == (3 if hub.deps.db.dialect == "postgresql" else 2)
    else:
        assert writes > 3
    entries = (await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest())).audit_entries
    assert [(json.loads(e.before), json.loads(e.after)) for e in entries[:2]] == [
        ({"asset": "TOKEN", "posted_minor": 0}, {"asset": "TOKEN", "posted_minor": 7}),
        ({"asset": "TOKEN", "posted_minor": 105}, {"asset": "TOKEN", "posted_minor": 30}),
    ]
    events = (await trace(shop, "balance.", "wallet."))["events"]
    assert [(type_, data["balance_minor"]) for type_, data in events] == [
        ("wallet.credited", 100),
        ("balance.adjusted", 100),
        ("wallet.credited", 105),
        ("balance.adjusted", 105),
        ("wallet.debited", 30),
        ("balance.adjusted", 30),
        ("wallet.credited", 7),
        ("balance.adjusted", 7),
    ]
    await assert_ledger_ok(shop)


async def test_both_paths_leave_the_same_trace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same story on two tenants, one on each path: the same answers, events, transfers and
    audit entries."""
    traces, _writes = await traces_on_both_paths(hub, monkeypatch, FAST, warm_shop, adjust_story, "balance.", "wallet.")
    assert traces[0] == traces[1]


async def test_racing_adjustments_and_charges_keep_the_ledger(hub: Hub) -> None:
    """Credits and debits of a few wallets from many calls at once, beside usage charges: each
    answer's balance is the one its transfer and event recorded, the final balances are the sums,
    and the ledger holds."""
    shop, first = await warm_shop(hub, "Adjust race")
    users = [first] + [await new_user(shop, str(n)) for n in range(2, 5)]
    for user in users:
        await fund(shop, user, 1000)
    rng = random.Random(9)
    calls = [(rng.choice(users), rng.randint(1, 9), rng.choice((CREDIT, DEBIT, 0))) for _ in range(160)]
    wallet = shop.admin.wallet

    async def one(user: str, amount: int, direction: int) -> tuple[str, int, pb.AdjustBalanceResponse | None]:
        if not direction:
            await wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(amount)))
            return user, -amount, None
        answer = await wallet.AdjustBalance(adjustment(user, amount, direction))
        return user, amount if direction == CREDIT else -amount, answer

    moved = await asyncio.gather(*(one(*call) for call in calls))
    for user in users:
        start = 1100 if user == first else 1000
        expected = start + sum(delta for who, delta, _ in moved if who == user)
        assert (await balance(shop.admin, user)).posted.amount_minor == expected
    answered = {}
    for _user, delta, answer in moved:
        if answer is not None:
            after = answer.transfer.credit_balance_after if delta > 0 else answer.transfer.debit_balance_after
            assert after == answer.balance.posted.amount_minor == answer.balance.available.amount_minor
            answered[answer.transfer.id] = after
    events = [json.loads(event.data) for event in await settled_events(shop, "wallet.")]
    recorded = {data["transfer_id"]: data["balance_minor"] for data in events if data["transfer_id"] in answered}
    assert recorded == answered
    listed = await wallet.ListTransfers(pb.ListTransfersRequest(page_size=500))
    assert len(listed.transfers) == 5 + len(calls)
    await assert_ledger_ok(shop)
