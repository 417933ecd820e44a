"""Coalesced screen reads on PostgreSQL: the reads of one kind that arrive while others of that
kind are running go to the database together, as one statement.

Why: a screen read is one indexed lookup, and the database's part of it is tens of microseconds.
The core's part of the round trip is more: asyncpg's work, a socket write, a wake-up of the event
loop for the answer. GetUser answered from a memo instead of the database ran at 5 169 calls a
second where it ran at 2 886 with the database (bench/purchase.py, 64 in flight, two runs on one
machine). N reads that wait together share one round trip.

Nobody waits for a batch to fill, as with the charges (store/charge_batches_pg.py): a read that
finds fewer than `in_flight` statements of its kind running runs at once, as its own statement;
only reads arriving while `in_flight` are running queue, and leave together when one ends. At low
load nothing changes.

What each read keeps:
- its own answer. The batch is the read's own statement run once per queued read, as a LATERAL
  subquery over the unnested parameters of every read (`BatchedRead`): each read's rows are
  tagged with its place in the batch and handed back to it alone, exactly as its own statement
  returns them. Every read's tenant is one of its own parameters, so no row of a tenant reaches
  another tenant's caller;
- what it sees: the batch starts after the read arrived, so everything committed before the call
  was made is in its snapshot (a client that got a write's answer and then reads sees the write);
- its errors: a statement that fails fails each read of it (a lost connection, a timeout). A read
  whose caller gave up is dropped from the queue, or its answer is thrown away.

The batches run on connections of their own that plan each statement once, for any parameters
(`plan_cache_mode = force_generic_plan`, store/fastpath_pg.py). Left to choose, PostgreSQL planned
a batch again on every run, since the array's length changes its estimate: that doubled the
database's CPU per read (0.033 -> 0.069 ms for GetUser in the bench). The subquery is fenced
(`OFFSET 0`) so that the one plan looks each read up by its own indexes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from core_server.store.batch_lanes import Lanes, settle

# more queued reads than this go in the next statement (the arrays and the answer stay small)
MAX_BATCH = 128

_PARAMETER = re.compile(r"\$(\d+)\b")

Row = Sequence[Any]


@dataclass(frozen=True, slots=True)
class BatchedRead:
    """A read's statement (`single`, parameters $1..$n) and its batch form (`batch`).

    `per_call` gives the SQL type of each parameter that differs from read to read, by position;
    the others are shared: equal for every read of one batch (a lane per distinct value), passed
    once. `batch` takes one array per per-call parameter, then the shared ones, and returns each
    row of `single` followed by the 1-based place of the read it answers."""

    single: str
    batch: str
    per_call: tuple[int, ...]
    shared: tuple[int, ...]


def batched_read(single: str, per_call: dict[int, str]) -> BatchedRead:
    """`single` and its batch form; `per_call` maps the position of each per-call parameter to its
    SQL type (`uuid`, `text`, `timestamptz`...)."""
    used = sorted({int(n) for n in _PARAMETER.findall(single)})
    if not per_call or any(n not in used for n in per_call):
        raise ValueError("each per-call parameter must be one the statement uses")
    varying = tuple(sorted(per_call))
    shared = tuple(n for n in used if n not in per_call)
    names = {n: f"k.p{n}" for n in varying}
    names.update({n: f"${len(varying) + place}" for place, n in enumerate(shared, start=1)})
    inner = _PARAMETER.sub(lambda m: names[int(m.group(1))], single)
    arrays = ", ".join(f"${place}::{per_call[n]}[]" for place, n in enumerate(varying, start=1))
    columns = ", ".join(f"p{n}" for n in varying)
    # OFFSET 0 keeps the read a subquery run once per read, by its own indexes: pulled up into a
    # join, GetUser's batch was planned as a hash join over a scan of every user of the database
    batch = (
        f"SELECT x.*, k.n FROM unnest({arrays}) WITH ORDINALITY AS k({columns}, n)"  # noqa: S608  # our statements
        f" CROSS JOIN LATERAL (SELECT * FROM ({inner}) AS one OFFSET 0) AS x"
    )
    return BatchedRead(single, batch, varying, shared)


@dataclass(slots=True)
class _Waiting:
    args: Sequence[Any]
    answer: asyncio.Future[list[Row]]


@dataclass(slots=True)
class _Lane:
    read: BatchedRead
    shared: list[Any]
    queue: list[_Waiting] = field(default_factory=list)
    running: int = 0


def _hashable(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list | tuple) else value


class ReadBatcher(Lanes[_Lane]):
    """The read lanes of one pool: one per statement and shared parameters, each with at most
    `in_flight` statements running."""

    def __init__(self, pool: asyncpg.Pool, batch_pool: asyncpg.Pool, in_flight: int) -> None:
        """`pool` runs a read alone, `batch_pool` (generic plans) the batches."""
        super().__init__(in_flight)
        self._pool = pool
        self._batch_pool = batch_pool
        self._reading = 0

    @property
    def reading(self) -> int:
        """Reads not answered yet: queued, or in a statement (or waiting for a connection for one)."""
        return self._reading

    async def fetch(self, read: BatchedRead, *args: Any) -> Sequence[Row]:
        """The rows `read.single` returns for `args`, from its own statement or from a batch."""
        self._reading += 1
        try:
            return await self._fetch(read, args)
        finally:
            self._reading -= 1

    async def _fetch(self, read: BatchedRead, args: Sequence[Any]) -> Sequence[Row]:
        shared = [args[n - 1] for n in read.shared]
        key = (read.single, *(_hashable(value) for value in shared))
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(read, shared)
        if lane.running < self._in_flight and not lane.queue:
            lane.running += 1
            try:
                return await self._pool.fetch(read.single, *args)  # type: ignore[no-any-return]
            finally:
                lane.running -= 1
                self._start(key, lane)
        waiting = _Waiting(args, asyncio.get_running_loop().create_future())
        lane.queue.append(waiting)
        self._start(key, lane)
        return await waiting.answer

    def _start(self, key: Hashable, lane: _Lane) -> None:
        """A statement for the queued reads, if the lane has room; forget an idle lane."""
        if lane.running < self._in_flight:
            lane.queue = [waiting for waiting in lane.queue if not waiting.answer.done()]  # gave up: dropped
            if lane.queue:
                batch, lane.queue = lane.queue[:MAX_BATCH], lane.queue[MAX_BATCH:]
                lane.running += 1
                self._spawn(self._run(key, lane, batch))
        if not lane.running and not lane.queue and self._lanes.get(key) is lane:
            del self._lanes[key]

    async def _run(self, key: Hashable, lane: _Lane, batch: list[_Waiting]) -> None:
        try:
            await settle([waiting.answer for waiting in batch], self._rows(lane, batch))
        finally:
            lane.running -= 1
            self._start(key, lane)

    async def _rows(self, lane: _Lane, batch: list[_Waiting]) -> list[list[Row]]:
        """Each read's rows, by its place in the batch."""
        if self.on_batch is not None:
            self.on_batch(len(batch))
        read = lane.read
        arrays = [[waiting.args[n - 1] for waiting in batch] for n in read.per_call]
        records = await self._batch_pool.fetch(read.batch, *arrays, *lane.shared)
        answers: list[list[Row]] = [[] for _ in batch]
        for record in records:
            row = tuple(record)
            answers[row[-1] - 1].append(row[:-1])
        return answers

    async def connections_lost(self) -> None:
        await self._batch_pool.expire_connections()

    async def close(self) -> None:
        """Wait for the statements still running (their callers are owed an answer), then close
        the batches' pool."""
        await self._finish()
        await self._batch_pool.close()
