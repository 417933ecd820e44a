"""The raw transactions' connection on a SQLite file: a plain sqlite3 connection used in place, on
the event loop's thread.

Why not aiosqlite, as the ORM's writer: aiosqlite runs each statement on its connection's own
thread, a hop there and back per statement, and under load the hop back waits for the event
loop's thread to let go of the GIL (up to `sys.getswitchinterval()`, 5 ms, when the loop always
has work). A one-call purchase of a dozen statements held the single writer's turn about 6 ms,
mostly waiting, which capped the embedded hub near 170 purchases/s. In WAL mode with
`synchronous=NORMAL` a statement of the hot paths takes tens of microseconds and a commit only
appends to the WAL (no sync), so running them in place costs less than one hop: a turn now lasts
as long as its statements.

The writer queue still hands out the turns (store/db.py): this connection and the ORM's writer
never write at once. Nothing here may stall the event loop on a lock another process holds
(`billing-hub migrate`, say): the connection's busy timeout is 0 and `BEGIN IMMEDIATE` is tried
again after an asyncio sleep until the write wait runs out (inside a transaction that began, WAL
statements and the commit need no lock anyone else can hold).

Checkpoints (copying the WAL back into the database file, with its syncs) would run in place at a
commit now and then and stall the loop for milliseconds, so this connection does not checkpoint
by itself: every CHECKPOINT_EVERY commits it checkpoints on a worker thread, still in the turn
(the WAL then starts over at the next write, as after an automatic checkpoint). The ORM's writer
keeps SQLite's automatic checkpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

from core_server.store.errors import WriterBusy
from core_server.store.sqlite_connection import SqliteConnection

CHECKPOINT_EVERY = 100  # commits between checkpoints: about SQLite's own 1000 pages of a purchase's writes
BEGIN_RETRY_SECONDS = 0.002  # between tries of BEGIN IMMEDIATE while another process holds the lock


class SqliteWriter:
    """One sqlite3 connection to the database file, opened on first use; used by one turn at a time."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._commits = 0  # since the last checkpoint
        self._committed = 0
        # the running checkpoint's thread (see checkpoint_now_and_then), awaited by the next begin
        self._checkpointing: asyncio.Task[None] | None = None

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False: used on the loop's thread, and for checkpoints on a worker thread,
        # never by two at once (the writer queue's turn covers both).
        connection = sqlite3.connect(
            self._path, isolation_level=None, check_same_thread=False, factory=SqliteConnection
        )
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=0",
            "PRAGMA wal_autocheckpoint=0",
        ):
            connection.execute(pragma)
        self._connection = connection
        return connection

    async def begin(self, wait_seconds: float) -> sqlite3.Connection:
        """The connection, in a transaction that holds the write lock (`BEGIN IMMEDIATE`)."""
        await self._checkpoint_ended()  # its statement must end before ours begin
        connection = self._connection or self._open()
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return connection
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise WriterBusy(f"waited {wait_seconds:g} s for the SQLite file lock") from None
            await asyncio.sleep(BEGIN_RETRY_SECONDS)

    @property
    def commits(self) -> int:
        """Transactions committed on this connection so far."""
        return self._committed

    def commit(self, connection: sqlite3.Connection) -> None:
        connection.execute("COMMIT")
        self._commits += 1
        self._committed += 1

    async def checkpoint_now_and_then(self, connection: sqlite3.Connection) -> None:
        """After a commit, still in the turn: every CHECKPOINT_EVERY commits, a passive checkpoint on
        a worker thread. Best effort: what it leaves, the next one copies (a failure is not the
        committed transaction's). Cancelled, it finishes on its thread, and the next turn's begin
        waits for that: SQLite serializes the connection per call, not per statement, so a COMMIT
        made between the checkpoint's first row and its last would find it in progress and fail."""
        if self._commits < CHECKPOINT_EVERY:
            return
        self._commits = 0
        self._checkpointing = asyncio.ensure_future(_checkpoint_quietly(connection))
        await asyncio.shield(self._checkpointing)

    def rollback(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")

    async def _checkpoint_ended(self) -> None:
        """Wait for a checkpoint still running on its worker thread (one whose turn was cancelled)."""
        if self._checkpointing is not None and not self._checkpointing.done():
            await asyncio.shield(self._checkpointing)

    async def close(self) -> None:
        """Close once a running checkpoint's thread is done with the connection: a core stopping
        during a checkpoint (its call cancelled by the shutdown) would otherwise pull the
        connection from under the thread between the checkpoint's first row and its last."""
        await self._checkpoint_ended()
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def _checkpoint_quietly(connection: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        await asyncio.to_thread(_checkpoint, connection)


def _checkpoint(connection: sqlite3.Connection) -> None:
    """The checkpoint, its answer row read to the end on the same thread: a cursor left holding
    that row keeps the statement running, and SQLite refuses every COMMIT on the connection
    ("SQL statements in progress") until the cursor is collected. Returned from the thread, the
    cursor lived on in the executor's future, and raw commits failed until the collector ran."""
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
