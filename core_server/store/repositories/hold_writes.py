"""Holds on the fast write path (store/raw_tx.py): the statements of store/repositories/ledger.py's
hold functions, on a raw transaction instead of the ORM session.

A reservation is still one conditional UPDATE that checks and changes together (`balance - held >=
amount` to reserve, `held >= amount` to release), and a hold is locked before its wallet (THE LOCK
ORDER of ledger.py: the business row, then wallets, then system accounts). Rows come back as
transient HoldRows, so the domain moves them with the same functions as on the ORM path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from core_server.store.models import HoldRow
from core_server.store.raw_tx import Later, PgTx, RawTx, Sql, guard, guard_row, time_of, uuid_of

_COLUMNS = (
    "account_id, user_id, asset, amount, status, reference, captured_amount, capture_transfer_id, expires_at,"
    " created_at, closed_at"
)
_LOCK = Sql(
    f"SELECT {_COLUMNS} FROM ledger_holds WHERE tenant_id = $1 AND id = $2 FOR UPDATE",  # noqa: S608
    f"SELECT {_COLUMNS} FROM ledger_holds WHERE tenant_id = $1 AND id = $2",  # noqa: S608  # the writer's lock
)
_READ = Sql(f"SELECT {_COLUMNS} FROM ledger_holds WHERE tenant_id = $1 AND id = $2")  # noqa: S608
# a hold's closing while it is still pending (PostgreSQL: a guard of the unit's last statement)
_CLOSE_PENDING = Sql(
    "UPDATE ledger_holds SET status = $3, captured_amount = $4, capture_transfer_id = $5, closed_at = $6"
    " WHERE tenant_id = $1 AND id = $2 AND status = $7 RETURNING id"
)
_RESERVE = Sql(
    "UPDATE ledger_accounts SET held = held + $4 WHERE tenant_id = $1 AND asset = $2 AND user_id = $3"
    " AND balance - held >= $4 RETURNING id"
)
# the hold of a reservation made in the same statement (PostgreSQL: store/raw_tx.py's defer_guard)
_INSERT_RESERVED = Sql(
    f"INSERT INTO ledger_holds (tenant_id, id, {_COLUMNS}) VALUES ($1, $2, (SELECT id FROM reserved), $3, $4, $5,"  # noqa: S608
    " $6, $7, $8, $9, $10, $11, $12)"
)
_RELEASE_TEXT = (
    "UPDATE ledger_accounts SET held = held - $3 WHERE tenant_id = $1 AND id = $2 AND held >= $3{after} RETURNING id"
)
_RELEASE = Sql(_RELEASE_TEXT.format(after=""))
_INSERT = Sql(
    f"INSERT INTO ledger_holds (tenant_id, id, {_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"  # noqa: S608
    " $12, $13)"
)
_CLOSE = Sql(
    "UPDATE ledger_holds SET status = $3, captured_amount = $4, capture_transfer_id = $5, closed_at = $6"
    " WHERE tenant_id = $1 AND id = $2"
)


async def reserve(tx: RawTx, tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int) -> uuid.UUID | None:
    """Reserve within the wallet's available balance (locks the wallet); its account id, None when
    the wallet is short or absent."""
    row = await tx.fetchrow(_RESERVE, tenant, asset, user, amount)
    return uuid_of(row[0]) if row else None


async def release(tx: RawTx, tenant: uuid.UUID, account: uuid.UUID, amount: int) -> bool:
    """Give a reservation back; False when the account holds less than it (a broken invariant)."""
    return await tx.fetchrow(_RELEASE, tenant, account, amount) is not None


async def place(tx: RawTx, row: HoldRow) -> bool:
    """Reserve a new hold's amount within its wallet's available balance and insert the hold; False
    when the wallet is short or absent. On PostgreSQL both go with the unit's last statement (the
    hold's account read from the reservation there), so a unit that does nothing else is one round
    trip; a short wallet then fails that statement, changing nothing, with GuardMissed. The row's
    `account_id` is the wallet's only on SQLite: nothing the caller builds from the row reads it."""
    if isinstance(tx, PgTx):
        tx.defer_guard("reserved", _RESERVE, row.tenant_id, row.asset, row.user_id, row.amount)
        tx.defer(
            _INSERT_RESERVED, row.tenant_id, row.id, row.user_id, row.asset, row.amount, row.status, row.reference,
            row.captured_amount, row.capture_transfer_id, row.expires_at, row.created_at, row.closed_at,
        )  # fmt: skip
        return True
    account = await reserve(tx, row.tenant_id, row.asset, row.user_id, row.amount)
    if account is None:
        return False
    row.account_id = account
    insert_hold(tx, row)
    return True


def insert_hold(tx: RawTx, row: HoldRow) -> None:
    """A hold built by the domain (a transient HoldRow), inserted without the session (deferred)."""
    tx.defer(
        _INSERT, row.tenant_id, row.id, row.account_id, row.user_id, row.asset, row.amount, row.status,
        row.reference, row.captured_amount, row.capture_transfer_id, row.expires_at, row.created_at, row.closed_at,
    )  # fmt: skip


async def lock_hold(tx: RawTx, tenant: uuid.UUID, hold: uuid.UUID) -> HoldRow | None:
    """The hold, locked (step 1 of the lock order), as a transient row for the domain."""
    return _hold(tenant, hold, await tx.fetchrow(_LOCK, tenant, hold))


async def read_hold(tx: RawTx, tenant: uuid.UUID, hold: uuid.UUID) -> HoldRow | None:
    """The hold as it was a moment ago, unlocked (RawTx.read): it is closed through
    `close_if_still`, which checks its status again."""
    return _hold(tenant, hold, await tx.read(_READ, tenant, hold))


def close_if_still(tx: RawTx, row: HoldRow, status: str) -> Later:
    """The closed row's state as a guard of the unit's last statement (step 1 of the lock order):
    it takes only while the hold's status is still `status`, else the statement changes nothing
    (GuardMissed). The parts that must follow it chain after the Later returned."""
    return guard_row(
        tx, "closed", _CLOSE_PENDING, row.tenant_id, row.id, row.status, row.captured_amount,
        row.capture_transfer_id, row.closed_at, status,
    )  # fmt: skip


def release_after(tx: RawTx, row: HoldRow, closed: Later) -> Later:
    """Give a closed hold's reservation back as a part of the unit's last statement, after the
    close (`close_if_still`: the hold, then its wallet, in the lock order). It finds no row only if
    the account holds less than the hold, a broken invariant that must change nothing: the Later
    returned is 0 while the release took, NULL otherwise, and the caller writes some NOT NULL value
    through it (an integer plus it), so that the statement fails then (GuardMissed) and the ORM
    path, which raises on it, runs instead."""
    name = guard(tx, "released", _release_after(closed.expr), row.tenant_id, row.account_id, row.amount)
    return Later(f"SELECT 0 FROM {name}")  # noqa: S608  # a CTE name only


@lru_cache(maxsize=8)
def _release_after(closed: str) -> Sql:
    return Sql(_RELEASE_TEXT.format(after=f" AND EXISTS ({closed})"))


def _hold(tenant: uuid.UUID, hold: uuid.UUID, row: Sequence[Any] | None) -> HoldRow | None:
    if row is None:
        return None
    return HoldRow(
        tenant_id=tenant, id=hold, account_id=uuid_of(row[0]), user_id=uuid_of(row[1]), asset=row[2],
        amount=int(row[3]), status=row[4], reference=row[5], captured_amount=row[6],
        capture_transfer_id=uuid_of(row[7]) if row[7] is not None else None, expires_at=time_of(row[8]),
        created_at=time_of(row[9]), closed_at=time_of(row[10]) if row[10] is not None else None,
    )  # fmt: skip


def store_closed(tx: RawTx, row: HoldRow) -> None:
    """A hold the domain closed (captured, voided, expired): its new state (deferred: nothing in the
    transaction reads the row again, and it is locked since `lock_hold`)."""
    tx.defer(_CLOSE, row.tenant_id, row.id, row.status, row.captured_amount, row.capture_transfer_id, row.closed_at)
