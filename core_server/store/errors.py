"""Errors the store raises for the domain to decide on, so that domain code never meets a driver's
or SQLAlchemy's exception."""

from __future__ import annotations

import sqlite3

import asyncpg
from sqlalchemy import exc as sa_exc

# Driver errors that say "not now" rather than "wrong": the server refuses connections (too many,
# starting, shutting down), a connection broke, the pool had none to give in time.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    sa_exc.TimeoutError,
    ConnectionError,
)


class ConstraintViolation(Exception):
    """A write broke a constraint of the database (a unique key other than the one it tolerates,
    a foreign key); what that write did is undone, the transaction goes on."""


CONNECTION_LOST = "the database connection was lost"
# asyncpg's refusal of a statement on a connection whose protocol is discarding a message it could
# not place (state 2): an idle connection that received its backend's FATAL error
_HEARD_ITS_END = "another operation (2) is in progress"


class WriterBusy(TimeoutError):
    """A SQLite write waited longer than BILLING_HUB_DB_WRITE_WAIT_SECONDS for the one writer."""


def unavailable_cause(error: BaseException) -> str | None:
    """Why the database could not take the call now, if that is what `error` (or an error it was
    raised from) says: the call may be retried and nothing it did was committed. None for any
    other failure."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, WriterBusy):
            return "the SQLite writer is busy"
        if isinstance(current, _UNAVAILABLE):
            return "no database connection could be had"
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return CONNECTION_LOST  # SQLAlchemy saw a disconnect: its pool starts anew
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return CONNECTION_LOST
        if isinstance(current, asyncpg.InternalClientError) and _HEARD_ITS_END in str(current):
            return CONNECTION_LOST  # its FATAL read, its end of file not yet (tests/core/test_database_restart.py)
        if isinstance(current, sqlite3.OperationalError) and "locked" in str(current):
            return "the SQLite database is locked"
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return None
