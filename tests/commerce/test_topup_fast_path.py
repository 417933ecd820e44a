"""ApproveTopupRequest on the fast path. On PostgreSQL the request is read unlocked and the
decision, the credit, the events, the audit entry and the request's record go as one statement,
which decides only a request still pending: racing decisions must still have one winner, and the
answers, events, transfers and audit entries must be the ORM path's."""

from __future__ import annotations

import asyncio
import json

import pytest

from core_server.domain.topups.requests import TopupRequestService
from sdk import FailedPrecondition
from sdk.billinghub.v1 import audit_service_pb2, topup_pb2
from sdk.billinghub.v1 import topup_service_pb2 as pb
from tests.commerce.catalog import ensure_rub
from tests.fast_paths import PATHS, take_path, trace, traces_on_both_paths
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, money, new_user

FAST = [(TopupRequestService, "approve_fast")]
CARD = topup_pb2.TopupMethod(code="card", title={"en": "Card"}, instructions={"en": "Pay"}, active=True)


async def warm_shop(hub: Hub, name: str) -> tuple[TenantHandle, str]:
    """A tenant whose manual-provider RUB buckets the core knows (a first approval learns them)."""
    shop = await hub.new_tenant(name)
    await ensure_rub(shop)
    await shop.admin.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=[CARD]))
    user = await new_user(shop)
    await approve(shop, (await ask(shop, user, 100)).id)
    return shop, user


async def ask(shop: TenantHandle, user: str, amount: int) -> topup_pb2.TopupRequest:
    request = pb.CreateTopupRequestRequest(user_id=user, method_code="card", amount=money(amount, "RUB"))
    return (await shop.admin.topups.CreateTopupRequest(request)).topup_request


async def approve(shop: TenantHandle, request: str, request_id: str = "") -> topup_pb2.TopupRequest:
    call = pb.ApproveTopupRequestRequest(topup_request_id=request, actor="admin:1", request_id=request_id)
    return (await shop.admin.topups.ApproveTopupRequest(call)).topup_request


async def reject(shop: TenantHandle, request: str) -> topup_pb2.TopupRequest:
    call = pb.RejectTopupRequestRequest(topup_request_id=request, reason="no payment", actor="admin:1")
    return (await shop.admin.topups.RejectTopupRequest(call)).topup_request


async def approval_story(shop: TenantHandle, user: str) -> list[object]:
    """Approvals racing a rejection, an approval replayed, a decided request refused: the answers."""
    first, second = await ask(shop, user, 2_000), await ask(shop, user, 300)
    answers: list[object] = []
    raced = await asyncio.gather(
        *(approve(shop, first.id) if n % 4 else reject(shop, first.id) for n in range(8)), return_exceptions=True
    )
    won = [r for r in raced if isinstance(r, topup_pb2.TopupRequest)]
    refused = [r for r in raced if isinstance(r, FailedPrecondition) and r.reason == "TOPUP_REQUEST_NOT_PENDING"]
    assert (len(won), len(refused)) == (1, 7), raced
    answers.append(won[0].status)
    answers.append(await approve(shop, second.id, "approve-2"))
    answers.append(await approve(shop, second.id, "approve-2"))
    with pytest.raises(FailedPrecondition) as caught:
        await approve(shop, second.id)
    answers.append(caught.value.reason)
    answers.append((await balance(shop.admin, user, "RUB")).posted.amount_minor)
    return answers


@PATHS
async def test_approvals_decide_and_credit_once_on_both_paths(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user = await warm_shop(hub, f"Approvals {path}")
    take_path(path, monkeypatch, hub.deps, FAST)
    status, approved, replayed, refusal, posted = await approval_story(shop, user)
    monkeypatch.undo()
    assert isinstance(approved, topup_pb2.TopupRequest)
    assert (approved.status, approved.decided_by, replayed, refusal) == (
        topup_pb2.TOPUP_REQUEST_STATUS_APPROVED,
        "admin:1",
        approved,
        "TOPUP_REQUEST_NOT_PENDING",
    )
    assert posted == 100 + 300 + (2_000 if status == topup_pb2.TOPUP_REQUEST_STATUS_APPROVED else 0)
    events = (await trace(shop, "wallet."))["events"]
    assert [data["balance_minor"] for _type, data in events] == ([100, 2_100, 2_400] if posted > 400 else [100, 400])
    listed = await shop.admin.audit.ListAuditEntries(
        audit_service_pb2.ListAuditEntriesRequest(action="topup_request.approved")
    )
    assert json.loads(listed.audit_entries[0].after)["transfer_id"] == approved.transfer_id
    await assert_ledger_ok(shop)


async def approve_twice(shop: TenantHandle, user: str) -> list[topup_pb2.TopupRequest]:
    """A request asked, then approved and approved again with the same request id."""
    asked = await ask(shop, user, 700)
    return [await approve(shop, asked.id, "once"), await approve(shop, asked.id, "once")]


async def test_both_paths_leave_the_same_trace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    traces, writes = await traces_on_both_paths(
        hub, monkeypatch, FAST, warm_shop, approve_twice, "wallet.", "topup_request."
    )
    assert traces[0] == traces[1]
    assert writes[1] == 1 < writes[0]  # on the fast path only the ask opens an ORM write unit
