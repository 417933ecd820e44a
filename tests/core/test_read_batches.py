"""The read lanes of the PostgreSQL fast path (store/reads/batches_pg.py) below the RPCs: what a
batch does with a statement that fails and with a caller that gives up. (What the screen reads
answer at once, through gRPC, is tests/core/test_screen_reads.py's.)

Each read here sleeps 50 ms in the database, so a read that runs alone keeps its lane busy while
the next ones queue behind it and leave together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from core_server.store.fastpath_pg import GENERIC_PLANS
from core_server.store.reads.batches_pg import ReadBatcher, batched_read
from tests.postgres import ADMIN_DSN, _unavailable

TENTH = batched_read("SELECT 10 / $1::int AS tenth, $2::text AS tag FROM pg_sleep(0.05)", {1: "int", 2: "text"})


@pytest.fixture
async def lanes() -> AsyncIterator[tuple[ReadBatcher, list[int]]]:
    """One statement in flight per lane, and the size of every batch run."""
    try:
        pool = await asyncpg.create_pool(ADMIN_DSN, min_size=1, max_size=2, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        _unavailable(str(error))
        raise
    batch_pool = await asyncpg.create_pool(ADMIN_DSN, min_size=1, max_size=2, server_settings=GENERIC_PLANS)
    batcher = ReadBatcher(pool, batch_pool, in_flight=1)
    sizes: list[int] = []
    batcher.on_batch = sizes.append
    yield batcher, sizes
    await batcher.close()
    await pool.close()


async def _queued(batcher: ReadBatcher, count: int) -> None:
    for _ in range(200):
        if batcher.queued >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the reads never queued")


async def test_queued_reads_leave_together_and_each_gets_its_own_rows(lanes: tuple[ReadBatcher, list[int]]) -> None:
    batcher, sizes = lanes
    first = asyncio.ensure_future(batcher.fetch(TENTH, 1, "first"))
    await asyncio.sleep(0.01)
    queued = [asyncio.ensure_future(batcher.fetch(TENTH, n, f"read {n}")) for n in (2, 5, 10, 2)]
    await _queued(batcher, 4)
    assert [list(r) for r in await first] == [[10, "first"]]
    answers = await asyncio.gather(*queued)
    assert [[tuple(r) for r in rows] for rows in answers] == [
        [(5, "read 2")],
        [(2, "read 5")],
        [(1, "read 10")],
        [(5, "read 2")],
    ]
    assert sizes == [4]
    assert (batcher.queued, batcher.reading) == (0, 0)


async def test_a_statement_that_fails_fails_every_read_of_it_and_no_other(lanes: tuple[ReadBatcher, list[int]]) -> None:
    """One read dividing by zero makes its batch's statement fail: the reads that went with it get
    the error, as each would from a statement it shared; the read before it and the reads after
    it are answered."""
    batcher, sizes = lanes
    first = asyncio.ensure_future(batcher.fetch(TENTH, 1, "alone"))
    await asyncio.sleep(0.01)
    doomed = [asyncio.ensure_future(batcher.fetch(TENTH, n, "doomed")) for n in (2, 0, 5)]
    await _queued(batcher, 3)
    assert len(await first) == 1
    for read in doomed:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await read
    assert sizes == [3]
    after = await asyncio.gather(batcher.fetch(TENTH, 5, "after"), batcher.fetch(TENTH, 10, "after"))
    assert [tuple(rows[0]) for rows in after] == [(2, "after"), (1, "after")]


async def test_a_read_whose_caller_gives_up_while_queued_is_dropped(lanes: tuple[ReadBatcher, list[int]]) -> None:
    batcher, sizes = lanes
    first = asyncio.ensure_future(batcher.fetch(TENTH, 1, "alone"))
    await asyncio.sleep(0.01)
    kept = asyncio.ensure_future(batcher.fetch(TENTH, 2, "kept"))
    given_up = asyncio.ensure_future(batcher.fetch(TENTH, 5, "given up"))
    await _queued(batcher, 2)
    given_up.cancel()
    await first
    assert [tuple(r) for r in await kept] == [(5, "kept")]
    assert given_up.cancelled()
    assert sizes == [1]  # the batch took the read still waited for, alone
    assert (batcher.queued, batcher.reading) == (0, 0)


def test_a_batched_read_names_only_parameters_its_statement_uses() -> None:
    with pytest.raises(ValueError):
        batched_read("SELECT $1::int", {2: "int"})
    shared = batched_read("SELECT $1::int, $2::text[], $3::int", {1: "int", 3: "int"})
    assert (shared.per_call, shared.shared) == ((1, 3), (2,))
    assert "unnest($1::int[], $2::int[])" in shared.batch and "$3::text[]" in shared.batch
