"""Payout requests on the fast write path (store/raw_tx.py): what a request, an approval and a
rejection read and write, without the ORM.

A request locks the referrer's wallet in the program's payout asset (step 2 of THE LOCK ORDER in
store/repositories/ledger.py; the program is read with it) and is decided on figures read under
that lock: the sums a referrer's earnings come from
(store/repositories/referrals.py: commissions net of clawbacks and shortfalls, the part still in
its hold period, tier bonuses, open and paid requests), in one statement after the lock's. Sums are exact on both
backends (store/sums.py: on SQLite each is taken in two parts).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from core_server.store.models import PayoutRow
from core_server.store.raw_tx import RawTx, Sql, time_of, uuid_of
from core_server.store.sums import SPLIT, combine

_NET = "c.amount - c.clawed_back - c.shortfall"
_COMMISSIONS = "FROM referral_commissions c WHERE c.tenant_id = $1 AND c.referrer_id = $2 AND c.asset = $3"
_BONUSES = (
    "FROM ledger_transfers t JOIN referral_tier_awards w ON w.tenant_id = t.tenant_id AND w.transfer_id = t.id"
    " WHERE t.tenant_id = $1 AND w.user_id = $2 AND t.asset = $3"
)
_REQUESTS = "FROM payout_requests p WHERE p.tenant_id = $1 AND p.user_id = $2 AND p.asset = $3 AND p.status IN ($5, $6)"
_PAYOUT_COLUMNS = (
    "user_id, asset, amount, destination, status, hold_id, payment_reference, reason, decided_by, transfer_id,"
    " created_at, decided_at"
)
_LOCK_PAYOUT = Sql(
    f"SELECT {_PAYOUT_COLUMNS} FROM payout_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE",  # noqa: S608
    f"SELECT {_PAYOUT_COLUMNS} FROM payout_requests WHERE tenant_id = $1 AND id = $2",  # noqa: S608
)
_INSERT_PAYOUT = Sql(
    f"INSERT INTO payout_requests (tenant_id, id, {_PAYOUT_COLUMNS})"  # noqa: S608  # constant column names
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
)
_DECIDE = Sql(
    "UPDATE payout_requests SET status = $3, payment_reference = $4, reason = $5, decided_by = $6,"
    " transfer_id = $7, decided_at = $8 WHERE tenant_id = $1 AND id = $2"
)


@dataclass(frozen=True, slots=True)
class WithdrawalFigures:
    """A referrer's figures in one asset (sums as in domain/referrals/earnings.py's `earnings`;
    None where no row was summed)."""

    commissions: tuple[int, int] | None  # (net, still in the hold period)
    bonuses: int | None
    requested: int | None


def _parts(dialect: str, value: str) -> list[str]:
    """The aggregates whose `combine` is SUM(value) exactly (store/sums.py)."""
    if dialect == "postgresql":
        return [f"sum({value})"]
    return [f"sum(({value}) / {SPLIT})", f"sum(({value}) % {SPLIT})"]


# The last column is the user's `blocked` flag (the admin's: no payout requests).
_LOCK_WALLET = Sql(
    "SELECT a.id, a.balance - a.held, s.referral_program,"
    " (SELECT u.blocked FROM users u WHERE u.tenant_id = $1 AND u.id = $2)"
    " FROM tenant_settings s JOIN ledger_accounts a"
    " ON a.tenant_id = s.tenant_id AND a.asset = (s.referral_program ->> 'payout_asset') AND a.user_id = $2"
    " WHERE s.tenant_id = $1 FOR UPDATE OF a",
    "SELECT a.id, a.balance - a.held, s.referral_program,"
    " (SELECT u.blocked FROM users u WHERE u.tenant_id = $1 AND u.id = $2)"
    " FROM tenant_settings s JOIN ledger_accounts a"
    " ON a.tenant_id = s.tenant_id AND a.asset = json_extract(s.referral_program, '$.payout_asset')"
    " AND a.user_id = $2 WHERE s.tenant_id = $1",
)


@cache
def _figures(dialect: str) -> tuple[Sql, int, int]:
    """The statement, and how many columns each of net and held-back sums takes."""
    net = _parts(dialect, _NET)
    held = _parts(dialect, f"CASE WHEN c.available_at > $4 THEN {_NET} ELSE 0 END")
    columns = [f"(SELECT {part} {_COMMISSIONS})" for part in [*net, *held, "count(*)"]]
    columns += [f"(SELECT {part} {_BONUSES})" for part in _parts(dialect, "t.amount")]
    columns += [f"(SELECT {part} {_REQUESTS})" for part in _parts(dialect, "p.amount")]
    return Sql(f"SELECT {', '.join(columns)}"), len(net), len(held)


async def lock_payout_wallet(
    tx: RawTx, tenant: uuid.UUID, user: uuid.UUID
) -> tuple[uuid.UUID, int, dict[str, Any], bool] | None:
    """Lock the user's wallet in the asset the tenant's referral program pays out in: (its id,
    its available balance, the stored program, whether the admin blocked the user); None when
    there is no such program or wallet."""
    row = await tx.fetchrow(_LOCK_WALLET, tenant, user)
    if row is None:
        return None
    stored = row[2]
    program = (json.loads(stored) if isinstance(stored, str) else stored) or {}
    return uuid_of(row[0]), int(row[1]), program, bool(row[3])


async def withdrawal_figures(
    tx: RawTx, tenant: uuid.UUID, user: uuid.UUID, asset: str, now: dt.datetime, open_or_paid: Sequence[str]
) -> WithdrawalFigures:
    """The figures a withdrawal is decided on, read after `lock_payout_wallet` in a statement of
    their own: PostgreSQL reads a statement's subqueries in the snapshot it began with, so figures
    read by the locking statement itself would miss the request that held the lock before it (and
    let racing requests pass the earnings)."""
    statement, net, held = _figures(tx.dialect)
    pending, paid = open_or_paid
    row = await tx.fetchrow(statement, tenant, user, asset, now, pending, paid)
    assert row is not None
    values = list(row)
    net_parts, values = values[:net], values[net:]
    held_parts, values = values[:held], values[held:]
    counted, values = int(values[0] or 0), values[1:]
    bonus_parts, request_parts = values[: len(values) // 2], values[len(values) // 2 :]
    return WithdrawalFigures(
        commissions=(combine(net_parts), combine(held_parts)) if counted else None,
        bonuses=combine(bonus_parts) if any(part is not None for part in bonus_parts) else None,
        requested=combine(request_parts) if any(part is not None for part in request_parts) else None,
    )


def insert_payout(tx: RawTx, row: PayoutRow) -> None:
    """A request built by the domain (a transient PayoutRow), inserted without the session (deferred)."""
    tx.defer(
        _INSERT_PAYOUT, row.tenant_id, row.id, row.user_id, row.asset, row.amount, row.destination, row.status,
        row.hold_id, row.payment_reference, row.reason, row.decided_by, row.transfer_id, row.created_at,
        row.decided_at,
    )  # fmt: skip


async def lock_payout(tx: RawTx, tenant: uuid.UUID, payout: uuid.UUID) -> PayoutRow | None:
    """The request, locked (step 1 of the lock order, before its hold), as a transient row."""
    row = await tx.fetchrow(_LOCK_PAYOUT, tenant, payout)
    if row is None:
        return None
    return PayoutRow(
        tenant_id=tenant, id=payout, user_id=uuid_of(row[0]), asset=row[1], amount=int(row[2]), destination=row[3],
        status=row[4], hold_id=uuid_of(row[5]) if row[5] is not None else None, payment_reference=row[6],
        reason=row[7], decided_by=row[8], transfer_id=uuid_of(row[9]) if row[9] is not None else None,
        created_at=time_of(row[10]), decided_at=time_of(row[11]) if row[11] is not None else None,
    )  # fmt: skip


def store_decision(tx: RawTx, row: PayoutRow) -> None:
    """A decided request's new state (deferred: it is locked since `lock_payout`)."""
    tx.defer(
        _DECIDE, row.tenant_id, row.id, row.status, row.payment_reference, row.reason, row.decided_by,
        row.transfer_id, row.decided_at,
    )  # fmt: skip
