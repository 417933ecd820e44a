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
from functools import cache
from typing import Any

from core_server.store.ids import new_id
from core_server.store.raw_tx import RawTx, Sql, UniqueViolation, uuid_of
from core_server.store.repositories.events import SQLITE_MAX_EVENT_ID

_DEBIT = Sql(
    "UPDATE ledger_accounts SET balance = balance - $4 WHERE tenant_id = $1 AND asset = $2 AND user_id = $3"
    " AND balance - held >= $4 RETURNING id, balance"
)
_DEBIT_HELD = Sql(
    "UPDATE ledger_accounts SET balance = balance - $4, held = held - $5 WHERE tenant_id = $1 AND asset = $2"
    " AND user_id = $3 AND held >= $5 RETURNING id, balance"
)
_CREDIT = Sql(
    "INSERT INTO ledger_accounts (tenant_id, id, asset, user_id, system_name, bucket, balance, held, created_at)"
    " VALUES ($1, $5, $2, $3, NULL, 0, $4, 0, $7)"
    " ON CONFLICT (tenant_id, asset, user_id) DO UPDATE SET balance = ledger_accounts.balance + excluded.balance"
    " WHERE ledger_accounts.balance <= $6 - $4 RETURNING id, balance"
)
_MOVE_UP = Sql(
    "UPDATE ledger_accounts SET balance = balance + $3 WHERE tenant_id = $1 AND id = $2 AND balance + $3 <= $4"
    " RETURNING id"
)
_MOVE_DOWN = Sql(
    "UPDATE ledger_accounts SET balance = balance + $3 WHERE tenant_id = $1 AND id = $2 AND balance + $3 + $4 >= 0"
    " RETURNING id"
)
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


def insert_events(tx: RawTx, tenant: uuid.UUID, events: Sequence[tuple[str, str]], now: dt.datetime) -> None:
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
    response: bytes | None,
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
