"""The unit of work: one transaction, committed explicitly, rolled back otherwise.

Use cases open one, do their reads and writes through its session and repositories, and call
`commit()`; leaving the block on an exception rolls back, so a half-done change never lands.

A call can also run inside an *ambient* unit (`ambient(db)`): the idempotency mechanism opens one
around a whole mutating RPC so that the request's idempotency record commits in the same
transaction as its effects. Units opened inside it join it: their `commit()` only flushes, and
their `after_commit` callbacks run when the ambient unit really commits.

A *read-only* unit (`UnitOfWork(db, read_only=True)`) is for use cases that only read. On SQLite it
runs on the reader connections (see store/db.py), so it never waits for the single writer; on
PostgreSQL it is a `READ ONLY` transaction. Inside an ambient unit it joins that unit like any
other, so a mutating call reads its own uncommitted writes.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from core_server.store.db import Database, WriterQueue

_ambient: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar("ambient_uow", default=None)


class UnitOfWork:
    """`async with UnitOfWork(db) as uow: ...; await uow.commit()`"""

    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self._db = db
        self._read_only = read_only
        self._session: AsyncSession | None = None
        self._turn: WriterQueue | None = None  # the writer queue whose turn this unit holds
        self._committed = False
        self._outer: UnitOfWork | None = None
        self._after_commit: list[Callable[[], Any]] = []
        self._picked_buckets: dict[Any, Any] = {}

    @property
    def session(self) -> AsyncSession:
        if self._outer is not None:
            return self._outer.session
        if self._session is None:
            raise RuntimeError("unit of work used outside its `async with` block")
        return self._session

    @property
    def picked_buckets(self) -> dict[Any, Any]:
        """The system-account bucket each account got in this transaction (see the lock order)."""
        if self._outer is not None:
            return self._outer.picked_buckets
        return self._picked_buckets

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @property
    def db(self) -> Database:
        return self._db

    async def __aenter__(self) -> UnitOfWork:
        outer = _ambient.get()
        if outer is not None and outer._db is self._db:
            self._outer = outer
            return self
        if self._read_only and self._db.reads_apart:
            self._session = self._db.reads()
        else:
            if self._db.writer_queue is not None:
                await self._db.writer_queue.acquire()
                self._turn = self._db.writer_queue
            self._session = self._db.sessions()
        try:
            await self._session.begin()
        except BaseException:
            self._session = None
            self._end_turn()
            raise
        return self

    def _end_turn(self) -> None:
        if self._turn is not None:
            self._turn.release()
            self._turn = None

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run callback once the transaction has really committed (never if it rolls back)."""
        if self._outer is not None:
            self._outer.after_commit(callback)
        else:
            self._after_commit.append(callback)

    def savepoint(self) -> AsyncSessionTransaction:
        """A nested transaction: `async with uow.savepoint(): ...` undoes only its block on error."""
        return self.session.begin_nested()

    async def commit(self) -> None:
        if self._outer is not None:
            await self.session.flush()
            return
        await self.session.commit()
        self._committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._outer is not None:
            return  # the ambient unit decides
        session = self.session
        try:
            if exc_type is not None and not self._committed:
                await session.rollback()
        finally:
            # close() ends an uncommitted transaction too, but without expiring the loaded rows, so a
            # read-only unit may hand back what it read after the block.
            try:
                await session.close()
            finally:
                self._session = None
                self._end_turn()  # the writer connection is back in the pool: the next unit's turn


@asynccontextmanager
async def ambient(db: Database) -> AsyncIterator[UnitOfWork]:
    """Open a unit that every UnitOfWork(db) opened inside the block joins."""
    async with UnitOfWork(db) as uow:
        token = _ambient.set(uow)
        try:
            yield uow
        finally:
            _ambient.reset(token)
