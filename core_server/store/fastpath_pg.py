"""The hot ledger path on PostgreSQL: one usage charge = one statement = one round trip (under
load, the charges queued behind running ones share a statement: store/charge_batches_pg.py).

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

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from core_server.config import CHARGE_BATCHES_IN_FLIGHT, READ_BATCHES_IN_FLIGHT
from core_server.store.charge_batches_pg import ChargeBatcher
from core_server.store.charge_params import (
    INSERT_CLAIM,
    INSERT_EVENT,
    INSERT_TRANSFER,
    ChargeParams,
    ChargeResult,
    Outcome,
)
from core_server.store.reads.batches_pg import BatchedRead, ReadBatcher, Row

_CHARGE = f"""
WITH debit AS (
    UPDATE ledger_accounts SET balance = balance - $4
    WHERE tenant_id = $1 AND asset = $3 AND user_id = $2 AND balance - held >= $4
    RETURNING id, balance
), credit AS (
    UPDATE ledger_accounts SET balance = balance + $4
    WHERE tenant_id = $1 AND id = $5 AND balance <= $13 - $4 AND EXISTS (SELECT 1 FROM debit)
    RETURNING id
), transfer AS (
    {INSERT_TRANSFER}
    SELECT $1, $6, $3, $7, $4, debit.id, (SELECT id FROM credit), debit.balance, NULL, $8, NULL, '', '', $9
    FROM debit
    RETURNING id
), event AS (
    {INSERT_EVENT}
    SELECT $1, nextval('events_id_seq'), pg_current_xact_id()::text::bigint, $10, $11 || debit.balance::text || $12, $9
    FROM debit, transfer
    RETURNING id
){{claim}}
SELECT debit.balance, (SELECT count(*) FROM event) FROM debit
"""  # noqa: S608 (module constants, no input)

_CLAIM = f""", claim AS (
    {INSERT_CLAIM}
    SELECT $1, $14, $15, $16, NULL, transfer.id, $9 FROM transfer
    RETURNING 1
)"""  # noqa: S608 (module constants, no input)

CHARGE_WITH_CLAIM = _CHARGE.format(claim=_CLAIM)
CHARGE_WITHOUT_CLAIM = _CHARGE.format(claim="")


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+asyncpg://...) as an asyncpg DSN."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


# The batched reads' connections plan each statement once, for any parameters
# (store/reads/batches_pg.py says why), and as many lanes as this may run a statement at once.
GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}
READ_LANES_AT_ONCE = 4


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset on release. asyncpg's default sends `RESET ALL; UNLISTEN *; CLOSE ALL;
    pg_advisory_unlock_all()`: one more round trip per call, for session state this pool never
    makes (no SET, LISTEN, cursor or advisory lock runs on it). An open transaction is still
    rolled back on release (asyncpg does that before calling this)."""


class PgFastPath:
    """An asyncpg pool and the hot statements."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        charge_batches: int = CHARGE_BATCHES_IN_FLIGHT,
        read_batches: ReadBatcher | None = None,
    ) -> None:
        self._pool = pool
        self._batcher = ChargeBatcher(pool, self.charge_alone, charge_batches) if charge_batches else None
        self._reads = read_batches

    @classmethod
    async def connect(
        cls,
        url: str,
        size: int = 16,
        charge_batches: int = CHARGE_BATCHES_IN_FLIGHT,
        read_batches: int = READ_BATCHES_IN_FLIGHT,
        read_batch_connections: int | None = None,
    ) -> PgFastPath:
        """`charge_batches`: how many statements of one tenant and asset's charges run at once
        before the next charges queue and go together (store/charge_batches_pg.py); 0 runs every
        charge as its own statement. `read_batches`: the same for the screen reads of one kind
        (store/reads/batches_pg.py), whose batches have a pool of their own of
        `read_batch_connections` (by default enough for READ_LANES_AT_ONCE kinds at once)."""
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=2, max_size=size, reset=_keep_session)
        reads = None
        if read_batches:
            batch_pool = await asyncpg.create_pool(
                asyncpg_dsn(url),
                min_size=1,
                max_size=read_batch_connections or read_batches * READ_LANES_AT_ONCE,
                reset=_keep_session,
                server_settings=GENERIC_PLANS,
            )
            reads = ReadBatcher(pool, batch_pool, read_batches)
        return cls(pool, charge_batches, reads)

    @property
    def charge_batches(self) -> int:
        """Statements of one lane's charges that run at once (0: no batching)."""
        return self._batcher.in_flight if self._batcher is not None else 0

    @property
    def queued_charges(self) -> int:
        """Usage charges waiting for a statement (behind `charge_batches` running ones)."""
        return self._batcher.queued if self._batcher is not None else 0

    @property
    def reads_in_progress(self) -> int:
        """Screen reads not answered yet, queued or not."""
        return self._reads.reading if self._reads is not None else 0

    def observe_batches(self, charges: Callable[[int], None], reads: Callable[[int], None]) -> None:
        """`charges(size)` is told the size of every batch of charges written together, `reads(size)`
        that of every batch of screen reads."""
        if self._batcher is not None:
            self._batcher.on_batch = charges
        if self._reads is not None:
            self._reads.on_batch = reads

    async def read(self, read: BatchedRead, *args: Any) -> Sequence[Row]:
        """A screen read's rows: in a batch with the reads of its kind queued beside it, or alone."""
        if self._reads is not None:
            return await self._reads.fetch(read, *args)
        return await self._pool.fetch(read.single, *args)  # type: ignore[no-any-return]

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    async def connections_lost(self) -> None:
        """The server dropped connections (a restart, a failover): replace every pooled one on its
        next acquire instead of handing out the dead ones one failed call at a time."""
        await self._pool.expire_connections()
        if self._reads is not None:
            await self._reads.connections_lost()

    async def close(self) -> None:
        if self._batcher is not None:
            await self._batcher.close()
        if self._reads is not None:
            await self._reads.close()
        await self._pool.close()

    async def charge(self, p: ChargeParams) -> ChargeResult:
        """One usage charge, alone or in a batch with the charges queued beside it."""
        if self._batcher is not None:
            return await self._batcher.charge(p)
        return await self.charge_alone(p)

    async def charge_alone(self, p: ChargeParams) -> ChargeResult:
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
