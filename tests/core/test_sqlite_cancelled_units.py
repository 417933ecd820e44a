"""A write unit cancelled mid-statement on the embedded database must not leave the file locked.

A call cancelled by its client (a gateway stopping a stream, a deadline) cancels the unit of work
it was running. SQLAlchemy then drops the ORM writer's connection instead of rolling it back, and
aiosqlite closes it on its thread. Closing a sqlite3 connection whose statement a cursor still
holds (the cancelled statement's cursor lives on in the exception's traceback, a reference cycle)
leaves a "zombie" that keeps its transaction, and with it SQLite's write lock, until the collector
frees the cursor: every write of the core then waited the busy timeout and failed ("database is
locked"). The collector is switched off here so that the result does not depend on when it runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from core_server.store.db import Database, open_database
from core_server.store.unit_of_work import UnitOfWork
from tests.waiting import until

# a statement that runs for about 0.4 s on the writer's thread, long enough to be cancelled in
SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c"


async def _database(path: Path) -> Database:
    db = open_database(f"sqlite+aiosqlite:///{path}")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(text("CREATE TABLE t (x INTEGER)"))
        await uow.commit()
    return db


async def _cancelled_mid_statement(db: Database) -> None:
    started = asyncio.Event()

    async def write() -> None:
        async with UnitOfWork(db) as uow:
            await uow.session.execute(text("INSERT INTO t VALUES (1)"))
            started.set()
            await uow.session.execute(text(SLOW))

    task = asyncio.ensure_future(write())
    await started.wait()
    await asyncio.sleep(0.05)  # the slow statement is running on aiosqlite's thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def _can_write(path: Path) -> bool:
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        other.close()


@pytest.mark.usefixtures("no_collector")
async def test_a_write_unit_cancelled_mid_statement_leaves_the_file_unlocked(tmp_path: Path) -> None:
    db = await _database(tmp_path / "hub.db")
    try:
        await _cancelled_mid_statement(db)
        try:  # once the cancelled statement has run out on aiosqlite's thread and the connection closed
            await until(lambda: _can_write(tmp_path / "hub.db"), within=5)
        except TimeoutError:
            pytest.fail("the cancelled unit's transaction still holds the file's write lock")
        async with UnitOfWork(db) as uow:  # and the core's next write lands, without what was cancelled
            await uow.session.execute(text("INSERT INTO t VALUES (2)"))
            await uow.commit()
        async with UnitOfWork(db, read_only=True) as uow:
            assert (await uow.session.execute(text("SELECT x FROM t"))).scalars().all() == [2]
    finally:
        await db.dispose()
