"""Helpers of the tests that run a money call on its ORM path and on its fast path and compare.

`PATHS` runs a test twice: "orm" declines every fast path named (as a cold core or a rare case
does), "fast" counts the ORM write units opened, so the test can assert that none was. `canonical`
turns a response or an event into something two tenants' runs can be compared by: ids become
"id-1", "id-2", ... in order of first appearance, times become "<time>".
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from core_server.domain.deps import Deps
from core_server.domain.fast_unit import TakeOrmPath
from core_server.store.unit_of_work import UnitOfWork
from sdk.billinghub.v1 import audit_service_pb2, wallet_pb2
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.promos import settled_events
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok

Shop = tuple[TenantHandle, str]  # a tenant and its user

PATHS = pytest.mark.parametrize("path", ["orm", "fast"])
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


async def _declined(*_args: object, **_kwargs: object) -> Any:
    raise TakeOrmPath("declined by the test: the ORM path runs")


def take_path(
    path: str, monkeypatch: pytest.MonkeyPatch, deps: Deps, fast: Iterable[tuple[object, str]]
) -> dict[str, int]:
    """On "orm", every (class, method) of `fast` declines; on "fast", nothing changes. Either way
    the ORM write units opened from now on are counted in the dict returned ("write")."""
    if path == "orm":
        for owner, name in fast:
            monkeypatch.setattr(owner, name, _declined)
    opened = {"write": 0}
    make: Callable[[], UnitOfWork] = deps.uow

    def counted() -> UnitOfWork:
        opened["write"] += 1
        return make()

    monkeypatch.setattr(deps, "uow", counted)
    return opened


def canonical(value: Any, ids: dict[str, str] | None = None) -> Any:
    """`value` (a message, a dict, a list, a JSON text) with ids numbered and times blanked."""
    ids = {} if ids is None else ids
    if isinstance(value, Message):
        value = MessageToDict(value, preserving_proto_field_name=True)
    if isinstance(value, dict):
        return {key: canonical(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item, ids) for item in value]
    if isinstance(value, str):
        text = _TIME.sub("<time>", value)
        return _ID.sub(lambda match: ids.setdefault(match.group(0), f"id-{len(ids) + 1}"), text)
    return value


async def trace(shop: TenantHandle, *prefixes: str) -> dict[str, Any]:
    """What a tenant's story left behind, canonical: its events of these prefixes (data included)
    and every transfer, oldest first (ids numbered in that order)."""
    ids: dict[str, str] = {}
    events = [(e.type, canonical(json.loads(e.data), ids)) for e in await settled_events(shop, *prefixes)]
    listed = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(page_size=500))
    # one transaction's transfers share a time, and their ids order them by chance: sort by content
    ordered = sorted(listed.transfers, key=_transfer_key)
    transfers = [canonical(t, ids) for t in ordered]
    return {"events": events, "transfers": transfers}


async def traces_on_both_paths(
    hub: Hub,
    monkeypatch: pytest.MonkeyPatch,
    fast: Iterable[tuple[object, str]],
    shop: Callable[[Hub, str], Awaitable[Shop]],
    story: Callable[[TenantHandle, str], Awaitable[Any]],
    *prefixes: str,
) -> tuple[list[dict[str, Any]], list[int]]:
    """The same story on two tenants, "orm" then "fast" (`shop` makes each, named by its path):
    what each left (its answers, events of `prefixes`, transfers and audit entries, canonical,
    its user named "the user"), and the ORM write units each opened. The ledger is checked."""
    fast = list(fast)
    traces: list[dict[str, Any]] = []
    writes: list[int] = []
    for path in ("orm", "fast"):
        handle, user = await shop(hub, f"Alike {path}")
        opened = take_path(path, monkeypatch, hub.deps, fast)
        answers = await story(handle, user)
        monkeypatch.undo()
        writes.append(opened["write"])
        ids: dict[str, str] = {user: "the user"}
        listed = await handle.admin.audit.ListAuditEntries(audit_service_pb2.ListAuditEntriesRequest())
        audit = [canonical([e.action, e.target_id, e.reason, e.before, e.after], ids) for e in listed.audit_entries]
        traces.append({"answers": canonical(answers, ids), **await trace(handle, *prefixes), "audit": audit})
        await assert_ledger_ok(handle)
    return traces, writes


def balances_after(answer: Any) -> list[tuple[str, int, int]]:
    """(asset, debit balance after or -1, credit balance after or -1) of each transfer an answer
    holds (a purchase's, a payment's, a refund's), in its order."""
    return [
        (
            t.amount.asset,
            t.debit_balance_after if t.HasField("debit_balance_after") else -1,
            t.credit_balance_after if t.HasField("credit_balance_after") else -1,
        )
        for t in answer.transfers
    ]


def _transfer_key(transfer: wallet_pb2.Transfer) -> tuple[Any, ...]:
    sides = (transfer.debit.system, transfer.credit.system)
    return (
        transfer.create_time.ToDatetime(),
        transfer.kind,
        transfer.amount.asset,
        transfer.amount.amount_minor,
        sides,
        (transfer.debit_balance_after, transfer.credit_balance_after),
    )
