"""Storage: the migrations build exactly the models' schema, SQLite runs as configured, secrets
are encrypted with their context."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.exceptions import InvalidTag
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core_server.store.db import Database, open_database
from core_server.store.models import Base
from core_server.store.secret_box import MasterKeyError, SecretBox, load_or_create_key_file, parse_master_key
from core_server.store.unit_of_work import UnitOfWork


async def test_migrations_match_the_models(database: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_tenant_owned_tables_lead_with_tenant_id() -> None:
    platform_tables = {"tenants", "api_keys", "rate_buckets"}  # rate_buckets: per API key
    for table in Base.metadata.sorted_tables:
        if table.name in platform_tables:
            continue
        assert next(iter(table.primary_key.columns)).name == "tenant_id", table.name
        for constraint in table.constraints:
            columns = [c.name for c in getattr(constraint, "columns", [])]
            if columns:
                assert columns[0] == "tenant_id", (table.name, constraint.name)


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.dispose()


async def test_a_read_only_unit_refuses_to_write(database: Database) -> None:
    # SQLite: the reader connections are query_only; PostgreSQL: the transaction is READ ONLY.
    async with UnitOfWork(database, read_only=True) as uow:
        with pytest.raises(DBAPIError, match="read"):
            await uow.session.execute(text("UPDATE tenants SET name = name WHERE id IS NULL"))


def test_secret_box_round_trip_and_context_binding() -> None:
    box = SecretBox(bytes(32))
    blob = box.encrypt("123:token", b"tenant:a:bot_token")
    assert b"123:token" not in blob
    assert box.decrypt(blob, b"tenant:a:bot_token") == "123:token"
    assert box.encrypt("123:token", b"ctx") != box.encrypt("123:token", b"ctx")  # fresh nonce each time
    with pytest.raises(InvalidTag):
        box.decrypt(blob, b"tenant:b:bot_token")
    with pytest.raises(InvalidTag):
        SecretBox(bytes(range(32))).decrypt(blob, b"tenant:a:bot_token")


def test_master_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "master.key"
    key = load_or_create_key_file(path)
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key_file(path) == key


@pytest.mark.parametrize("value", ["not base64!", "c2hvcnQ="])
def test_malformed_master_keys_are_refused(value: str) -> None:
    with pytest.raises(MasterKeyError):
        parse_master_key(value)
