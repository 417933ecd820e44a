"""The ledger's fast write path: the same statements as store/repositories/ledger.py's balance
changes, run on a raw transaction (store/raw_tx.py) instead of the ORM session.

Each balance change is still one conditional statement that checks and changes together, in THE
LOCK ORDER of ledger.py (the domain's `ledger.post_raw` orders the legs exactly as `post_many`
does). Transfers and events of one operation are inserted by one statement each. System
accounts are addressed by a bucket id from ledger.py's process cache (identity, never balances);
a caller whose cache is cold takes the ORM path once, which fills it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from core_server.store.ids import new_id
from core_server.store.raw_tx import (
    Later,
    LaterBytes,
    LaterJson,
    PgTx,
    RawTx,
    Sql,
    UniqueViolation,
    guard,
    shift_placeholders,
    uuid_of,
)
from core_server.store.repositories.events import SQLITE_MAX_EVENT_ID

# The balance changes, each one conditional statement: (text, number of parameters). `{after}` is
# empty when a change runs alone, and `apply_legs` puts the chaining condition there when several
# run as one statement. The credit inserts by SELECT so that the condition has a WHERE to go in
# (SQLite needs that WHERE too: it reads ON CONFLICT after a bare SELECT as a join's).
#
# Several changes in one statement (PostgreSQL): the texts as data-modifying CTEs l0, l1, ..., each
# after the one before it: a leg's condition includes `EXISTS (SELECT 1 FROM l<i-1>)`, an
# uncorrelated subquery that PostgreSQL runs once, before the leg reads (and locks) its row. So the
# rows are locked in the order given (THE LOCK ORDER, as the domain sorts the legs), and a leg whose
# condition fails (a short wallet, a full bucket) stops every leg after it: the caller knows the
# prefix that was applied and goes on one statement per leg from the first that was not, as it
# would have anyway. The legs must touch different rows (a statement cannot change one row twice).
_LEG_SQL = {
    "debit": (
        "UPDATE ledger_accounts SET balance = balance - $4 WHERE tenant_id = $1 AND asset = $2 AND user_id = $3"
        " AND balance - held >= $4{after} RETURNING id, balance, held",
        4,
    ),
    "debit_held": (
        "UPDATE ledger_accounts SET balance = balance - $4, held = held - $5 WHERE tenant_id = $1 AND asset = $2"
        " AND user_id = $3 AND held >= $5{after} RETURNING id, balance, held",
        5,
    ),
    "credit": (
        "INSERT INTO ledger_accounts (tenant_id, id, asset, user_id, system_name, bucket, balance, held, created_at)"
        " SELECT $1, $5, $2, $3, NULL, 0, $4, 0, $7 WHERE TRUE{after}"
        " ON CONFLICT (tenant_id, asset, user_id) DO UPDATE SET balance = ledger_accounts.balance + excluded.balance"
        " WHERE ledger_accounts.balance <= $6 - $4 RETURNING id, balance, held",
        7,
    ),
    "up": (
        "UPDATE ledger_accounts SET balance = balance + $3 WHERE tenant_id = $1 AND id = $2 AND balance + $3 <= $4"
        "{after} RETURNING id, CAST(NULL AS BIGINT) AS balance",
        4,
    ),
    "down": (
        "UPDATE ledger_accounts SET balance = balance + $3 WHERE tenant_id = $1 AND id = $2"
        " AND balance + $3 + $4 >= 0{after} RETURNING id, CAST(NULL AS BIGINT) AS balance",
        4,
    ),
}
_DEBIT, _DEBIT_HELD, _CREDIT, _MOVE_UP, _MOVE_DOWN = (
    Sql(_LEG_SQL[kind][0].format(after="")) for kind in ("debit", "debit_held", "credit", "up", "down")
)


@dataclass(frozen=True, slots=True)
class Leg:
    """One balance change of `apply_legs`: a _LEG_SQL kind and its arguments."""

    kind: str
    args: tuple[Any, ...]


def debit_leg(tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int, *, from_held: int = 0) -> Leg:
    if from_held:
        return Leg("debit_held", (tenant, asset, user, amount, from_held))
    return Leg("debit", (tenant, asset, user, amount))


def credit_leg(tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int, *, limit: int, now: dt.datetime) -> Leg:
    """(Only for amount <= limit: credit_wallet refuses a larger one without a statement.)"""
    return Leg("credit", (tenant, asset, user, amount, new_id(), limit, now))


def move_leg(tenant: uuid.UUID, bucket: uuid.UUID, delta: int, *, limit: int) -> Leg:
    return Leg("up" if delta > 0 else "down", (tenant, bucket, delta, limit))


@lru_cache(maxsize=256)
def _legs_statement(kinds: tuple[str, ...]) -> Sql:
    parts: list[str] = []
    offset = 0
    for index, kind in enumerate(kinds):
        text, width = _LEG_SQL[kind]
        after = f" AND EXISTS (SELECT 1 FROM l{index - 1})" if index else ""  # noqa: S608  # CTE names only
        parts.append(f"l{index} AS ({shift_placeholders(text.format(after=after), offset)})")
        offset += width
    results = ", ".join(f"(SELECT id FROM l{i}), (SELECT balance FROM l{i})" for i in range(len(kinds)))  # noqa: S608
    return Sql(f"WITH {', '.join(parts)} SELECT {results}")  # CTE names and placeholders only


async def apply_legs(tx: RawTx, legs: Sequence[Leg]) -> list[tuple[uuid.UUID, int | None]]:
    """Apply legs in the order given, in one statement (PostgreSQL only); the (account id,
    balance after: None for a bucket) of the prefix that was applied, which stops at the first leg
    whose condition failed."""
    assert tx.dialect == "postgresql", "SQLite runs in-process: one statement per leg costs no round trip"
    statement = _legs_statement(tuple(leg.kind for leg in legs))
    row = await tx.fetchrow(statement, *[value for leg in legs for value in leg.args])
    assert row is not None
    applied: list[tuple[uuid.UUID, int | None]] = []
    for index in range(len(legs)):
        account, balance = row[2 * index], row[2 * index + 1]
        if account is None:
            break
        applied.append((uuid_of(account), None if balance is None else int(balance)))
    return applied


# a new wallet's owner: the tenant's user and asset (a wallet that exists has both)
_OWNER_EXISTS = (
    " AND EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $3)"
    " AND EXISTS (SELECT 1 FROM assets WHERE tenant_id = $1 AND code = $2::varchar)"  # the type the insert gives $2
)


@dataclass(frozen=True, slots=True)
class LegAfter:
    """A leg of the unit's last statement as it leaves its row: the account's id and (a wallet's)
    balance and held, computed by the statement (raw_tx.Later)."""

    account: Later
    balance: Later
    held: Later


def defer_legs(tx: PgTx, legs: Sequence[Leg], after: Later | None = None) -> list[LegAfter]:
    """Legs as parts of the unit's last statement (PostgreSQL), in the order given (THE LOCK ORDER)
    and each after the one before it, as in `apply_legs`; the first after `after` (a guard's row,
    such as the business row the legs settle) when given. A leg whose condition fails (a short
    wallet, a full or unknown bucket, a new wallet of a user or asset the tenant does not have)
    fails the statement, which then changes nothing (raw_tx.GuardMissed): the rows the later parts
    insert read each leg's account id into a NOT NULL column."""
    afters: list[LegAfter] = []
    previous = f" AND EXISTS ({after.expr})" if after is not None else ""
    for leg in legs:
        text, _width = _LEG_SQL[leg.kind]
        condition = _OWNER_EXISTS + previous if leg.kind == "credit" else previous
        name = guard(tx, "leg", _leg_text(text, condition), *leg.args)
        afters.append(
            LegAfter(
                Later(f"SELECT id FROM {name}"),  # noqa: S608  # CTE names only
                Later(f"SELECT balance FROM {name}"),  # noqa: S608
                Later(f"SELECT held FROM {name}"),  # noqa: S608
            )
        )
        previous = f" AND EXISTS (SELECT 1 FROM {name})"  # noqa: S608  # CTE names only
    return afters


@lru_cache(maxsize=64)
def _leg_text(text: str, after: str) -> Sql:
    return Sql(text.format(after=after))


_TRANSFER_COLUMNS = (
    "tenant_id, id, asset, kind, amount, debit_account_id, credit_account_id, debit_balance_after,"
    " credit_balance_after, reference, link_id, reason, actor, created_at"
)
TRANSFER_WIDTH = 14


async def debit_wallet(
    tx: RawTx, tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int, *, from_held: int = 0
) -> tuple[uuid.UUID, int] | None:
    """ledger.debit_wallet on a raw transaction: (account id, balance after), None when short."""
    if from_held:
        row = await tx.fetchrow(_DEBIT_HELD, tenant, asset, user, amount, from_held)
    else:
        row = await tx.fetchrow(_DEBIT, tenant, asset, user, amount)
    return (uuid_of(row[0]), int(row[1])) if row else None


async def credit_wallet(
    tx: RawTx, tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int, *, limit: int, now: dt.datetime
) -> tuple[uuid.UUID, int] | None:
    """ledger.credit_wallet on a raw transaction (creates the wallet on first use); None when the
    balance would pass `limit`."""
    if amount > limit:
        return None
    row = await tx.fetchrow(_CREDIT, tenant, asset, user, amount, new_id(), limit, now)
    return (uuid_of(row[0]), int(row[1])) if row else None


async def move_bucket(tx: RawTx, tenant: uuid.UUID, bucket: uuid.UUID, delta: int, *, limit: int) -> bool:
    """Change one system-account bucket by delta, only while its balance stays within
    [-limit, limit]; False when it has no room (or no longer exists: a stale cache)."""
    if delta > 0:
        row = await tx.fetchrow(_MOVE_UP, tenant, bucket, delta, limit)
    else:
        row = await tx.fetchrow(_MOVE_DOWN, tenant, bucket, delta, limit)
    return row is not None


@cache
def _insert_transfers(count: int) -> Sql:
    rows = ", ".join(
        "(" + ", ".join(f"${n * TRANSFER_WIDTH + i + 1}" for i in range(TRANSFER_WIDTH)) + ")" for n in range(count)
    )
    return Sql(f"INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS}) VALUES {rows}")  # noqa: S608  # placeholders only


def insert_transfers(tx: RawTx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of TRANSFER_WIDTH values in _TRANSFER_COLUMNS order, in one statement (deferred)."""
    tx.defer(_insert_transfers(len(rows)), *[value for row in rows for value in row])


@cache
def _insert_events(count: int) -> Sql:
    pg = ", ".join(
        f"($1, nextval('events_id_seq'), pg_current_xact_id()::text::bigint, ${2 * n + 3}, ${2 * n + 4}, $2)"
        for n in range(count)
    )
    sqlite = ", ".join(
        f"($1, {SQLITE_MAX_EVENT_ID} + {n + 1}, 0, ${2 * n + 3}, ${2 * n + 4}, $2)" for n in range(count)
    )
    head = "INSERT INTO events (tenant_id, id, tx_order, type, data, created_at) VALUES "
    # SQLite evaluates every row's max(id) before inserting any: the offsets keep them apart
    return Sql(head + pg, head + sqlite)


def insert_events(
    tx: RawTx, tenant: uuid.UUID, events: Sequence[tuple[str, str | LaterJson]], now: dt.datetime
) -> None:
    """(type, JSON data) events in this order (ids ascend with it), in one statement (deferred)."""
    if events:
        tx.defer(_insert_events(len(events)), tenant, now, *[value for event in events for value in event])


_RECORD = Sql(
    "INSERT INTO idempotency_records (tenant_id, method, request_id, request_hash, response, transfer_id, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
_FIND_RECORD = Sql(
    "SELECT request_hash, response, transfer_id FROM idempotency_records"
    " WHERE tenant_id = $1 AND method = $2 AND request_id = $3"
)


def insert_record(
    tx: RawTx,
    tenant: uuid.UUID,
    method: str,
    request_id: str,
    request_hash: bytes,
    response: bytes | LaterBytes | None,
    transfer_id: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    """The request's idempotency record, complete (deferred). When the key is taken, the flush
    fails with a UniqueViolation that `key_taken` recognizes, and the transaction is spoiled: the
    caller rolls back and replays."""
    tx.defer(_RECORD, tenant, method, request_id, request_hash, response, transfer_id, now)


def key_taken(error: UniqueViolation) -> bool:
    """Whether a unique violation is an idempotency record's key (PostgreSQL names the
    constraint pk_idempotency_records; SQLite names the table and columns)."""
    return "idempotency_records" in str(error)


async def find_record(
    tx: RawTx, tenant: uuid.UUID, method: str, request_id: str
) -> tuple[bytes, bytes | None, uuid.UUID | None] | None:
    row = await tx.fetchrow(_FIND_RECORD, tenant, method, request_id)
    if row is None:
        return None
    return bytes(row[0]), bytes(row[1]) if row[1] is not None else None, uuid_of(row[2]) if row[2] else None


_WALLET_FACTS = Sql(
    "SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2),"
    " EXISTS (SELECT 1 FROM assets WHERE tenant_id = $1 AND code = $3)"
)
_WALLET = Sql("SELECT balance, held FROM ledger_accounts WHERE tenant_id = $1 AND asset = $2 AND user_id = $3")


async def user_and_asset_exist(tx: RawTx, tenant: uuid.UUID, user: uuid.UUID, asset: str) -> bool:
    """Whether the tenant has both (one statement; the ORM path explains which one is missing)."""
    row = await tx.fetchrow(_WALLET_FACTS, tenant, user, asset)
    return row is not None and bool(row[0]) and bool(row[1])


async def wallet_balance(tx: RawTx, tenant: uuid.UUID, asset: str, user: uuid.UUID) -> tuple[int, int]:
    """(balance, held) of a wallet, (0, 0) when it has none."""
    row = await tx.fetchrow(_WALLET, tenant, asset, user)
    return (int(row[0]), int(row[1])) if row else (0, 0)
