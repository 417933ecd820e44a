"""The sqlite3 connection class every connection of the core to a SQLite file is made with.

SQLAlchemy drops the ORM writer's connection, instead of rolling it back, when a cancelled call
interrupts one of its statements, and aiosqlite then closes it on its thread. sqlite3's `close()`
does not end the transaction itself: when a cursor still holds a statement (the interrupted
statement's cursor lives on in the exception's traceback, a reference cycle), SQLite keeps the
closed connection as a "zombie" with its transaction, and with it the file's write lock, until the
collector frees that cursor. Every write of the core then waited out its busy timeout and failed
("database is locked"); under load, seconds went by before a collection.
"""

from __future__ import annotations

import contextlib
import sqlite3


class SqliteConnection(sqlite3.Connection):
    """Rolls back an open transaction before it closes, so that its locks end with the close."""

    def close(self) -> None:
        try:
            if self.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # a failed rollback: the close still ends it
                    self.rollback()
        finally:
            super().close()
