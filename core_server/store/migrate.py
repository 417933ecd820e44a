"""Schema migrations: `billing-hub migrate`, the core's start-up check, and the tests' setup.

`python -m core_server.store.migrate` is the migrate process (`billing-hub migrate` and `up` start
it): it reads the core's settings, migrates to the latest schema and exits 0, or 1 with one line.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from core_server.config import Settings
from core_server.logs import configure_logging
from core_server.store.db import Database, open_database
from sdk.settings_errors import load_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade_database(db: Database, revision: str = "head") -> None:
    """Bring the schema of an open database up to `revision`."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(run)


async def pending_revision(db: Database) -> str | None:
    """The head revision when the database is behind it, else None."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as connection:
        revision = await connection.run_sync(current)
    return head if revision != head else None


def upgrade_to_head(settings: Settings) -> None:
    """Migrate the configured database to the latest schema (blocking; for the CLI)."""

    async def run() -> None:
        db = open_database(settings.effective_database_url)
        try:
            await upgrade_database(db)
        finally:
            await db.dispose()

    asyncio.run(run())


def main() -> int:
    """The migrate process: the exit code, and one line on stdout or stderr for the operator."""
    settings = load_settings(Settings)  # a refused setting: one line, exit 2
    configure_logging(settings.log_format, settings.log_level)
    try:
        upgrade_to_head(settings)
    except Exception as error:  # report, don't dump a traceback on the operator
        print(f"error: migration failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("the database schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
