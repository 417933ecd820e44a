"""Alembic environment: runs migrations on a connection handed over by `migrate.py`.

The caller opens an async engine and passes its sync connection through `config.attributes`,
so the same code migrates SQLite and PostgreSQL, from the CLI and from tests.
"""

from __future__ import annotations

from alembic import context

from core_server.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through core_server.store.migrate, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
