"""The hot ledger path on PostgreSQL: one usage charge = one statement = one round trip.

The statement debits the wallet (only if its available balance covers the amount), credits a
bucket of the revenue account (by primary key: a lookup by name and bucket may be planned on the
wallets' index and scan every wallet of the asset), inserts the transfer and its event, and claims the idempotency
record, as data-modifying CTEs that all commit or fail together in the statement's implicit
transaction (no BEGIN/COMMIT round trips). A duplicate request_id makes the final insert fail with
a unique violation, which undoes the whole statement; a concurrent duplicate first waits on the
wallet row and then fails the same way, so a request is charged once however it is retried.

It runs on a plain asyncpg pool (statements prepared once per connection) because the SQLAlchemy
session around the same SQL costs three times the CPU (see bench/ledger.py). Everything that is
not this hot path goes through SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import Enum

import asyncpg

_CHARGE = """
WITH debit AS (
    UPDATE ledger_accounts SET balance = balance - $4
    WHERE tenant_id = $1 AND asset = $3 AND user_id = $2 AND balance - held >= $4
    RETURNING id, balance
), credit AS (
    UPDATE ledger_accounts SET balance = balance + $4
    WHERE tenant_id = $1 AND id = $5 AND balance <= $13 - $4 AND EXISTS (SELECT 1 FROM debit)
    RETURNING id
), transfer AS (
    INSERT INTO ledger_transfers (tenant_id, id, asset, kind, amount, debit_account_id, credit_account_id,
        debit_balance_after, credit_balance_after, reference, link_id, reason, actor, created_at)
    SELECT $1, $6, $3, $7, $4, debit.id, (SELECT id FROM credit), debit.balance, NULL, $8, NULL, '', '', $9
    FROM debit
    RETURNING id
), event AS (
    INSERT INTO events (tenant_id, id, tx_order, type, data, created_at)
    SELECT $1, nextval('events_id_seq'), pg_current_xact_id()::text::bigint, $10, $11 || debit.balance::text || $12, $9
    FROM debit, transfer
    RETURNING id
){claim}
SELECT debit.balance, (SELECT count(*) FROM event) FROM debit
"""

_CLAIM = """, claim AS (
    INSERT INTO idempotency_records (tenant_id, method, request_id, request_hash, response, transfer_id, created_at)
    SELECT $1, $14, $15, $16, NULL, transfer.id, $9 FROM transfer
    RETURNING 1
)"""

CHARGE_WITH_CLAIM = _CHARGE.format(claim=_CLAIM)
CHARGE_WITHOUT_CLAIM = _CHARGE.format(claim="")


class Outcome(Enum):
    POSTED = "posted"
    SHORT = "short"  # no wallet, or its available balance is below the amount
    DUPLICATE = "duplicate"  # the request id is already claimed
    # the bucket named does not exist (a stale cache) or has no room below the balance limit: the
    # caller retries on the ORM path, which tries every bucket and says which
    NO_SYSTEM_ACCOUNT = "no_system_account"


@dataclass(frozen=True, slots=True)
class ChargeResult:
    outcome: Outcome
    balance_after: int | None = None


@dataclass(frozen=True, slots=True)
class ChargeParams:
    tenant: uuid.UUID
    user: uuid.UUID
    asset: str
    amount: int
    system_account: uuid.UUID  # the id of the revenue bucket to credit (addressed by primary key)
    transfer_id: uuid.UUID
    kind: str
    reference: str
    now: dt.datetime
    event_type: str
    event_prefix: str  # the event's JSON up to the balance, which only the statement knows
    event_suffix: str  # (built around the balance, never by searching a text: see events.encode_around)
    balance_limit: int  # the revenue bucket's balance may not pass it (MAX_BALANCE)
    method: str = ""
    request_id: str = ""
    request_hash: bytes = b""


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+asyncpg://...) as an asyncpg DSN."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset on release. asyncpg's default sends `RESET ALL; UNLISTEN *; CLOSE ALL;
    pg_advisory_unlock_all()`: one more round trip per call, for session state this pool never
    makes (no SET, LISTEN, cursor or advisory lock runs on it). An open transaction is still
    rolled back on release (asyncpg does that before calling this)."""


class PgFastPath:
    """An asyncpg pool and the hot statements."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, url: str, size: int = 16) -> PgFastPath:
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=2, max_size=size, reset=_keep_session)
        return cls(pool)

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    async def connections_lost(self) -> None:
        """The server dropped connections (a restart, a failover): replace every pooled one on its
        next acquire instead of handing out the dead ones one failed call at a time."""
        await self._pool.expire_connections()

    async def close(self) -> None:
        await self._pool.close()

    async def charge(self, p: ChargeParams) -> ChargeResult:
        args: list[object] = [
            p.tenant,
            p.user,
            p.asset,
            p.amount,
            p.system_account,
            p.transfer_id,
            p.kind,
            p.reference,
            p.now,
            p.event_type,
            p.event_prefix,
            p.event_suffix,
            p.balance_limit,
        ]
        sql = CHARGE_WITHOUT_CLAIM
        if p.request_id:
            sql = CHARGE_WITH_CLAIM
            args += [p.method, p.request_id, p.request_hash]
        try:
            row = await self._pool.fetchrow(sql, *args)
        except asyncpg.UniqueViolationError:
            return ChargeResult(Outcome.DUPLICATE)
        except asyncpg.NotNullViolationError:
            return ChargeResult(Outcome.NO_SYSTEM_ACCOUNT)
        if row is None:
            return ChargeResult(Outcome.SHORT)
        return ChargeResult(Outcome.POSTED, int(row[0]))
