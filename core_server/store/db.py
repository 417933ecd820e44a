"""Engines and session factories for the two backends: one for writes, one for read-only units.

SQLite (the embedded default) has one writer at a time, so the core keeps exactly one: every write
unit of work runs on the single connection of the *writer* engine (`BEGIN IMMEDIATE`) and waits
for its turn in a first-come-first-served asyncio queue (`WriterQueue`) instead of polling the
file lock with `busy_timeout`. (SQLAlchemy's pool queue alone is not fair: a connection coming back
goes to whoever asks next, and a woken waiter that lost it goes to the back of the line.) Read-only
units run on the *reader* engine: several connections with `PRAGMA query_only=ON` and a plain
deferred `BEGIN`. In WAL mode a reader sees the last committed snapshot and neither waits for the
writer nor holds it up. Every connection gets WAL, foreign keys, `synchronous=NORMAL` and a busy
timeout, which now only matters when another process (such as `billing-hub migrate`) holds the
lock. The raw transactions of the money hot paths take the same turns on a connection of their
own, used in place without aiosqlite's thread hops (store/sqlite_writer.py). An in-memory
database exists once per connection, so there the reader is the writer, read-only units queue
like writes and raw transactions run on the writer's aiosqlite connection.

How long a write may wait for its turn (`write_wait_seconds`, 60 s unless configured): the queue
drains at the writer's pace, so at normal load a write waits only for the writes ahead of it (64 in
flight at a few ms each: well under a second; thousands would be needed to come near the bound).
The bound is a backstop against a writer that does not come back (a stuck transaction, another
process holding the file lock for long), turning a hang into an error. A caller's own gRPC
deadline usually ends the wait first, and a cancelled call leaves the queue at once.

PostgreSQL goes through asyncpg with one pool; read-only units use the same pool with
`READ ONLY` transactions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from core_server.store.errors import WriterBusy
from core_server.store.sqlite_connection import SqliteConnection
from core_server.store.sqlite_writer import SqliteWriter

WRITE_WAIT_SECONDS = 60.0


class WriterQueue:
    """Turns at SQLite's one writer connection, first come first served (asyncio.Lock is fair)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._lock = asyncio.Lock()
        self._members = 0  # the unit holding the turn and those waiting for one

    async def acquire(self) -> None:
        self._members += 1
        if self._members == 1:  # nobody holds or waits: the turn is free at once, no timer needed
            await self._lock.acquire()
            return
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._lock.acquire()
        except TimeoutError:
            self._members -= 1
            raise WriterBusy(f"waited {self.wait_seconds:g} s for the SQLite writer") from None
        except BaseException:
            self._members -= 1
            raise

    def release(self) -> None:
        self._members -= 1
        self._lock.release()


@dataclass
class Database:
    """The engines and their session factories; one per process.

    `engine`/`sessions` write (and migrate); `reader`/`reads` serve read-only units. On PostgreSQL
    the reader shares the writer's pool; on an in-memory SQLite database it is the writer.
    `writer_queue` is set on SQLite: write units take a turn in it before they touch the writer.
    """

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    reader: AsyncEngine
    reads: async_sessionmaker[AsyncSession]
    writer_queue: WriterQueue | None = None
    # on a SQLite file: the raw transactions' own connection, used in place (store/sqlite_writer.py)
    sqlite_writer: SqliteWriter | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def reads_apart(self) -> bool:
        """True when read-only units run on the reader, not in the writer's turns (always, except on
        an in-memory SQLite database)."""
        return self.reader is not self.engine

    async def dispose(self) -> None:
        if self.sqlite_writer is not None:
            await self.sqlite_writer.close()
        if self.reader.sync_engine.pool is not self.engine.sync_engine.pool:  # SQLite's own readers
            await self.reader.dispose()
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see the "begin" listeners).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_writer_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    _sqlite_pragmas(dbapi_connection)


def _sqlite_reader_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    _sqlite_pragmas(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")  # a write in a read-only unit fails instead of landing
    cursor.close()


def _sqlite_writer_on_begin(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that later writes could find the
    # snapshot it read already overwritten by another process and fail instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_reader_on_begin(connection: Any) -> None:
    # Deferred: the snapshot starts at the first read and no lock is taken.
    connection.exec_driver_sql("BEGIN")


def _sqlite_engine(url: str, echo: bool, on_connect: Any, on_begin: Any, **pool: Any) -> AsyncEngine:
    # SqliteConnection: a connection dropped mid-transaction lets go of the file's locks at once
    engine = create_async_engine(url, echo=echo, connect_args={"factory": SqliteConnection}, **pool)
    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def open_database(
    url: str, *, echo: bool = False, pool_size: int = 20, write_wait_seconds: float = WRITE_WAIT_SECONDS
) -> Database:
    """Create the engines for a URL (`sqlite+aiosqlite:///...` or `postgresql+asyncpg://...`).

    `pool_size`: PostgreSQL's pool (and as many overflow connections); on SQLite, the readers'.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
        reader = engine.execution_options(postgresql_readonly=True)
        return Database(engine, _sessions(engine), reader, _sessions(reader))
    in_memory = not parsed.database or parsed.database == ":memory:" or "mode=memory" in str(parsed)
    queue = WriterQueue(write_wait_seconds)
    if in_memory:
        engine = _sqlite_engine(url, echo, _sqlite_writer_on_connect, _sqlite_writer_on_begin)
        return Database(engine, _sessions(engine), engine, _sessions(engine), queue)
    path = Path(parsed.database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = _sqlite_engine(
        url,
        echo,
        _sqlite_writer_on_connect,
        _sqlite_writer_on_begin,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=write_wait_seconds,
    )
    reader = _sqlite_engine(
        url,
        echo,
        _sqlite_reader_on_connect,
        _sqlite_reader_on_begin,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=write_wait_seconds,
    )
    raw_writer = SqliteWriter(path) if not parsed.query else None  # (options in the URL: aiosqlite's connection)
    return Database(writer, _sessions(writer), reader, _sessions(reader), queue, raw_writer)


def _sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
