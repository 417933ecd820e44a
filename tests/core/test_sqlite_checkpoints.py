"""The embedded database's checkpoints (store/sqlite_writer.py) never get in the way of a commit.

Every CHECKPOINT_EVERY commits the raw transactions' connection checkpoints the WAL on a worker
thread. `PRAGMA wal_checkpoint` answers with a row; a cursor left holding it keeps the statement
running, and SQLite then refuses every COMMIT on that connection ("cannot commit transaction - SQL
statements in progress") until the cursor is collected. Under load that surfaced as INTERNAL
answers to racing purchases and holds on SQLite. The collector is switched off here, so whether
the cursor lingers does not depend on when it runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from core_server.store import sqlite_writer
from core_server.store.sqlite_writer import CHECKPOINT_EVERY, SqliteWriter


async def _write(writer: SqliteWriter, value: int) -> sqlite3.Connection:
    connection = await writer.begin(1.0)
    connection.execute("INSERT INTO t VALUES (?)", (value,))
    writer.commit(connection)
    return connection


async def _writer(path: Path) -> SqliteWriter:
    writer = SqliteWriter(path)
    connection = await writer.begin(1.0)
    connection.execute("CREATE TABLE t (x INTEGER)")
    writer.commit(connection)
    return writer


@pytest.mark.usefixtures("no_collector")
async def test_the_commit_after_a_checkpoint_lands(tmp_path: Path) -> None:
    writer = await _writer(tmp_path / "hub.db")
    for _round in range(3):
        for n in range(CHECKPOINT_EVERY):
            connection = await _write(writer, n)
        await writer.checkpoint_now_and_then(connection)
        await _write(writer, -1)
    assert writer.commits == 1 + 3 * (CHECKPOINT_EVERY + 1)
    await writer.close()


@pytest.mark.usefixtures("no_collector")
async def test_the_commit_after_a_cancelled_checkpoint_lands(tmp_path: Path) -> None:
    """A call cancelled during its turn's checkpoint: the checkpoint finishes on its thread, and the
    next turn's commit still lands."""
    writer = await _writer(tmp_path / "hub.db")
    for pause in (0.0, 0.001, 0.002):
        for n in range(CHECKPOINT_EVERY):
            connection = await _write(writer, n)
        checkpoint = asyncio.ensure_future(writer.checkpoint_now_and_then(connection))
        await asyncio.sleep(0)
        checkpoint.cancel()
        await asyncio.sleep(pause)
        await _write(writer, -1)
    await writer.close()


async def _cancelled_mid_checkpoint(path: Path, monkeypatch: pytest.MonkeyPatch, ended: list[str]) -> SqliteWriter:
    """A writer whose checkpoint was cancelled while its thread holds the checkpoint's first row
    (held 50 ms: widened, as a fresh-clone suite run once lost that race unwidened); how the
    thread's statement ended goes to `ended`."""

    def slow_checkpoint(connection: sqlite3.Connection) -> None:
        cursor = connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        time.sleep(0.05)
        try:
            cursor.fetchall()
        except sqlite3.Error as error:
            ended.append(f"failed: {error}")
            raise
        ended.append("done")

    monkeypatch.setattr(sqlite_writer, "_checkpoint", slow_checkpoint)
    writer = await _writer(path)
    for n in range(CHECKPOINT_EVERY):
        connection = await _write(writer, n)
    checkpoint = asyncio.ensure_future(writer.checkpoint_now_and_then(connection))
    await asyncio.sleep(0.01)  # the thread is between the checkpoint's first row and its last
    checkpoint.cancel()
    return writer


@pytest.mark.usefixtures("no_collector")
async def test_a_turn_after_a_cancelled_checkpoint_waits_for_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpoint's statement runs on a worker thread from its first row to its last; a turn
    that began in between would find it in progress and fail to commit."""
    ended: list[str] = []
    writer = await _cancelled_mid_checkpoint(tmp_path / "hub.db", monkeypatch, ended)
    await _write(writer, -1)
    assert writer.commits == 1 + CHECKPOINT_EVERY + 1
    assert ended == ["done"]
    await writer.close()


@pytest.mark.usefixtures("no_collector")
async def test_closing_waits_for_a_running_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A core stopping during a checkpoint (its call cancelled by the shutdown) closes the
    connection only after the checkpoint's thread is done with it."""
    ended: list[str] = []
    writer = await _cancelled_mid_checkpoint(tmp_path / "hub.db", monkeypatch, ended)
    await writer.close()
    assert ended == ["done"]
