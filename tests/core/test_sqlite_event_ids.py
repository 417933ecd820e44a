"""On SQLite an event's id is the largest id so far plus one (writers take turns). Finding the
largest must not read the whole outbox: it did, max(id) over every event's key, and a one-call
purchase of the embedded hub then cost a millisecond more for every few thousand events written
before it. Counted in SQLite's virtual machine steps (no timing): the lookup costs the same with
ten events as with thousands."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from core_server.store.db import open_database
from core_server.store.migrate import upgrade_database
from core_server.store.repositories.events import SQLITE_MAX_EVENT_ID


def steps(connection: sqlite3.Connection, sql: str) -> tuple[int, object]:
    """(virtual machine steps, in thousands, to run `sql`; its one value)."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    connection.set_progress_handler(count, 1000)
    try:
        value = connection.execute(sql).fetchone()[0]
    finally:
        connection.set_progress_handler(None, 0)
    return counted[0], value


def add_events(connection: sqlite3.Connection, tenants: list[str], first: int, count: int) -> None:
    with connection:  # one transaction
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO events (tenant_id, id, tx_order, type, data, created_at)"
            " VALUES (?, ?, 0, 'x', '{}', '2026-01-01')",
            [(tenants[n % len(tenants)], n) for n in range(first, first + count)],
        )


async def test_the_next_event_id_is_found_without_reading_every_event(tmp_path: Path) -> None:
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await upgrade_database(db)
    await db.dispose()
    connection = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
    tenants = [uuid.uuid4().hex for _ in range(3)]
    connection.executemany(
        "INSERT INTO tenants (id, name, status, suspended_reason, default_locale, time_zone, created_at, updated_at)"
        " VALUES (?, 'T', 'active', '', 'en', 'UTC', '2026-01-01', '2026-01-01')",
        [(tenant,) for tenant in tenants],
    )
    add_events(connection, tenants, 1, 10)
    few, largest = steps(connection, f"SELECT {SQLITE_MAX_EVENT_ID}")
    assert largest == 10
    add_events(connection, tenants, 11, 50_000)
    many, largest = steps(connection, f"SELECT {SQLITE_MAX_EVENT_ID}")
    assert largest == 50_010
    whole_table, _ = steps(connection, "SELECT max(id) FROM events")  # what it was: every key read
    assert whole_table > 50
    assert many == few == 0  # under a thousand steps either way
    connection.close()
