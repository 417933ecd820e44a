"""Screen reads made all at once, so that on PostgreSQL they are sure to queue in the core's read
lanes (store/reads/batches_pg.py) and go to the database in batches.

Left to timing, a crowd of calls through gRPC may reach the core one by one and never queue. So the
tables the reads look at stay locked, from a connection of the test's own, until every read has
reached the lanes: those that found room in their lane wait on the lock, the others in the queue;
then the lock is let go."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from core_server.store.fastpath_pg import asyncpg_dsn
from tests.hub import Hub


async def reads_at_once(hub: Hub, reads: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """What each read gives (let each catch the errors it expects); on SQLite, where reads are
    never batched, they simply run at once."""
    fastpath = hub.deps.fastpath
    if fastpath is None:
        return list(await asyncio.gather(*(read() for read in reads)))
    url = hub.deps.db.engine.url.render_as_string(hide_password=False)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE users, packages IN ACCESS EXCLUSIVE MODE")
            crowd = [asyncio.ensure_future(read()) for read in reads]
            for _ in range(500):
                if fastpath.reads_in_progress == len(reads):
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the crowd never formed")
    finally:
        await connection.close()
    return list(await asyncio.gather(*crowd))


def read_batches(hub: Hub) -> tuple[float, float]:
    """(batches of screen reads, reads in them) so far on this core, from its Prometheus metric."""
    registry = hub.deps.metrics.registry
    count = registry.get_sample_value("billinghub_read_batch_size_count") or 0.0
    total = registry.get_sample_value("billinghub_read_batch_size_sum") or 0.0
    return count, total
