"""Group commit for the ChargeUsage fast path: the charges that arrive while others of the same
tenant and asset are being written go to PostgreSQL together, as one statement.

Why: a lone charge is already one statement, but each one still pays a round trip, a commit (a WAL
flush) and asyncpg's per-call work in the core. Under load those costs are shared: N waiting
charges cost one round trip and one commit. Nobody waits for a batch to fill: a charge that finds
a free slot runs at once (alone, as the single statement), and only charges that arrive while
`in_flight` statements of their lane are running queue up and leave together when one ends. At
low load nothing changes; under load the queue, not a timer, decides the batch size.

What a batch keeps of the single statement, for each charge in it:
- its own answer: the wallet debited only if its available balance covers it (a short charge is
  left out of the batch's effects and told SHORT, the others post), its own transfer, event and
  idempotency record, its balance after;
- exactly once: a duplicate request id (or a revenue bucket that is full or unknown) fails the
  whole statement, which then changes nothing; every charge of that batch is then retried alone
  on the single statement, which answers each exactly as before (DUPLICATE, NO_SYSTEM_ACCOUNT);
- THE LOCK ORDER (store/repositories/ledger.py): the batch locks its wallets in user id order
  (`locked`: one index lookup per user, in sorted order, which a locking subquery keeps as a
  nested loop), and only then changes them (the debit finds them by primary key in the array of
  the locked ids, a parameter computed before its scan starts); then the one revenue bucket the
  batch credits with the sum of its debits. A lane never puts two charges of one wallet in one
  batch, nor in two batches running at once; the second waits for the next batch.
- one bad plan ruled out by the statement's shape: a join of the request rows to the wallets by
  user was planned, on tables without statistics, as a scan of every wallet of the asset per batch
  (EXPLAIN on the kept database of bench/ledger.py: 8 ms of a 26 ms batch of 50; 1.3 ms in all
  with these).

It still needs table statistics, as any PostgreSQL with autovacuum (the default) keeps, though not
for its own plan. On tables never analyzed (bench/ledger.py's, seeded by SQL on a server without
autovacuum, before it ran ANALYZE) about half the runs fell to 128-321 calls/s. auto_explain in such
a run (statements over 25 ms, nested ones included) showed why: PostgreSQL's foreign-key check of
each new transfer (`SELECT 1 FROM ONLY ledger_accounts x WHERE tenant_id = $1 AND id = $2 FOR KEY
SHARE`), a plan each backend caches when it first runs it, scanned the index (tenant_id, user_id)
with `tenant_id = $1` alone and `id = $2` as a filter, stopping at the first match: about half the
tenant's wallets (5 000 index entries) per check, 30 ms a check. Its estimate (1 row, cost 8.17) is
a small table's: most likely planned during the seeding. ANALYZE or VACUUM of ledger_accounts
invalidates the cached plans and made the runs fast (5 of 5 after ANALYZE: 1 137-1 875 calls/s,
against 777-789 with single statements); this statement's own generic plan on the unanalyzed tables
was a good one (EXPLAIN EXECUTE under plan_cache_mode = force_generic_plan). The single statement
pays the same check, so this is no reason to turn batching off.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from core_server.store.batch_lanes import Lanes, settle
from core_server.store.charge_params import (
    INSERT_CLAIM,
    INSERT_EVENT,
    INSERT_TRANSFER,
    ChargeParams,
    ChargeResult,
    Outcome,
)

# more than this many queued charges go in the next statement (the arrays stay small and the
# statement's locks short)
MAX_BATCH = 128

_BATCH = f"""
WITH req AS (
    SELECT * FROM unnest($6::uuid[], $7::bigint[], $8::uuid[], $9::text[], $10::timestamptz[], $11::text[],
        $12::text[], $13::text[], $14::text[], $15::bytea[])
        AS r(user_id, amount, transfer_id, reference, created_at, event_prefix, event_suffix, method, request_id,
            request_hash)
), locked AS (
    SELECT wallet.id FROM (SELECT user_id FROM req ORDER BY user_id) sorted CROSS JOIN LATERAL (
        SELECT id FROM ledger_accounts
        WHERE tenant_id = $1 AND asset = $2 AND user_id = sorted.user_id
        FOR UPDATE
    ) wallet
), debit AS (
    UPDATE ledger_accounts a SET balance = a.balance - req.amount
    FROM req
    WHERE a.tenant_id = $1 AND a.id = ANY((SELECT array_agg(id) FROM locked)::uuid[])
        AND req.user_id = a.user_id AND a.balance - a.held >= req.amount
    RETURNING a.id, a.balance, req.*
), credit AS (
    UPDATE ledger_accounts SET balance = balance + (SELECT sum(amount) FROM debit)
    WHERE tenant_id = $1 AND id = $5 AND balance <= $4 - (SELECT sum(amount) FROM debit)
    RETURNING id
), transfer AS (
    {INSERT_TRANSFER}
    SELECT $1, debit.transfer_id, $2, $3, debit.amount, debit.id, (SELECT id FROM credit), debit.balance, NULL,
        debit.reference, NULL, '', '', debit.created_at
    FROM debit
    RETURNING id
), event AS (
    {INSERT_EVENT}
    SELECT $1, nextval('events_id_seq'), pg_current_xact_id()::text::bigint, $16,
        debit.event_prefix || debit.balance::text || debit.event_suffix, debit.created_at
    FROM debit
    RETURNING id
), claim AS (
    {INSERT_CLAIM}
    SELECT $1, debit.method, debit.request_id, debit.request_hash, NULL, debit.transfer_id, debit.created_at
    FROM debit WHERE debit.request_id <> ''
    RETURNING 1
)
SELECT debit.transfer_id, debit.balance FROM debit
"""  # noqa: S608 (module constants, no input)

# what charges must share to go in one statement: they credit one revenue bucket under one limit
_LaneKey = tuple[uuid.UUID, str, str, str, int]  # tenant, asset, kind, event type, balance limit


@dataclass(slots=True)
class _Waiting:
    params: ChargeParams
    answer: asyncio.Future[ChargeResult]


@dataclass(slots=True)
class _Lane:
    queue: list[_Waiting] = field(default_factory=list)
    running: int = 0
    busy: set[uuid.UUID] = field(default_factory=set)  # users whose charge is in a running statement


class ChargeBatcher(Lanes[_Lane]):
    """The lanes of one pool: one per (tenant, asset, ...), each with at most `in_flight`
    statements running; `single` is the one-charge statement, used for a batch of one and to
    retry the charges of a batch that failed as a whole."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        single: Callable[[ChargeParams], Awaitable[ChargeResult]],
        in_flight: int,
    ) -> None:
        super().__init__(in_flight)
        self._pool = pool
        self._single = single

    async def charge(self, p: ChargeParams) -> ChargeResult:
        key = (p.tenant, p.asset, p.kind, p.event_type, p.balance_limit)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        if lane.running < self._in_flight and not lane.queue and p.user not in lane.busy:
            return await self._alone(key, lane, p)
        waiting = _Waiting(p, asyncio.get_running_loop().create_future())
        lane.queue.append(waiting)
        self._start(key, lane)
        return await waiting.answer  # a cancelled caller's charge may still post, as a cancelled statement's may

    async def _alone(self, key: _LaneKey, lane: _Lane, p: ChargeParams) -> ChargeResult:
        """A charge that found its lane free runs at once, in this task."""
        lane.running += 1
        lane.busy.add(p.user)
        try:
            return await self._single(p)
        finally:
            lane.running -= 1
            lane.busy.discard(p.user)
            self._start(key, lane)
            self._forget_if_idle(key, lane)

    def _start(self, key: _LaneKey, lane: _Lane) -> None:
        """Start a statement for the queue if the lane has room (and anything it may take)."""
        if lane.running >= self._in_flight or not lane.queue:
            return
        batch = _take(lane)
        if not batch:
            self._forget_if_idle(key, lane)
            return
        lane.running += 1
        self._spawn(self._run(key, lane, batch))

    async def _run(self, key: _LaneKey, lane: _Lane, batch: list[_Waiting]) -> None:
        try:
            await settle([waiting.answer for waiting in batch], self._batch(batch))
        finally:
            lane.running -= 1
            for waiting in batch:
                lane.busy.discard(waiting.params.user)
            self._start(key, lane)
            self._forget_if_idle(key, lane)

    async def _batch(self, batch: list[_Waiting]) -> list[ChargeResult | BaseException]:
        first = batch[0].params
        charges = [w.params for w in batch]
        if len(charges) == 1:
            return [await self._single(first)]
        if self.on_batch is not None:
            self.on_batch(len(batch))
        try:
            rows = await self._pool.fetch(
                _BATCH,
                first.tenant,
                first.asset,
                first.kind,
                first.balance_limit,
                first.system_account,
                [c.user for c in charges],
                [c.amount for c in charges],
                [c.transfer_id for c in charges],
                [c.reference for c in charges],
                [c.now for c in charges],
                [c.event_prefix for c in charges],
                [c.event_suffix for c in charges],
                [c.method for c in charges],
                [c.request_id for c in charges],
                [c.request_hash for c in charges],
                first.event_type,
            )
        except asyncpg.PostgresError:
            # the server refused the statement, so nothing of it was written: a duplicate request
            # id, a bucket that is full or unknown (NOT NULL), a deadlock with a batch of another
            # core. Each charge alone gets the answer the single statement gives it; one of them
            # failing there is its caller's error alone. (A lost connection is not a PostgresError:
            # whether the batch committed is unknown, and its error goes to every caller of it.)
            return list(await asyncio.gather(*(self._single(c) for c in charges), return_exceptions=True))
        posted = {row[0]: int(row[1]) for row in rows}
        return [
            ChargeResult(Outcome.POSTED, posted[c.transfer_id]) if c.transfer_id in posted else _SHORT for c in charges
        ]

    def _forget_if_idle(self, key: _LaneKey, lane: _Lane) -> None:
        if not lane.running and not lane.queue and self._lanes.get(key) is lane:
            del self._lanes[key]

    async def close(self) -> None:
        """Wait for the statements still running (their callers are owed an answer)."""
        await self._finish()


_SHORT = ChargeResult(Outcome.SHORT)


def _take(lane: _Lane) -> list[_Waiting]:
    """The next batch: queued charges in arrival order, one per wallet, none of a busy wallet;
    callers who gave up are dropped (their charge never ran)."""
    batch: list[_Waiting] = []
    users: set[uuid.UUID] = set()
    kept: list[_Waiting] = []
    for waiting in lane.queue:
        user = waiting.params.user
        if waiting.answer.done():
            continue
        if len(batch) >= MAX_BATCH or user in users or user in lane.busy:
            kept.append(waiting)
            continue
        users.add(user)
        batch.append(waiting)
    lane.queue = kept
    lane.busy |= users
    return batch
