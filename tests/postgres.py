"""A throw-away PostgreSQL database per test session.

Locally the PostgreSQL tests skip with a reason when the server is unreachable; with CI=true they
fail instead, so a broken service can never turn the suite green by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

ADMIN_DSN = os.environ.get("BILLING_HUB_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")

# The server is shared (max_connections 100, other sessions run beside this one), so a session
# keeps its connections few: SQLAlchemy's pool holds POOL_SIZE and as many again in overflow, each
# running hub's fast path at most FASTPATH_POOL_SIZE, and its batches of screen reads at most
# READ_BATCH_POOL_SIZE. Races still run a dozen transactions and more at once; the rest of their
# callers queue for a connection, as in production under load.
POOL_SIZE = 12
FASTPATH_POOL_SIZE = 8
READ_BATCH_POOL_SIZE = 3


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI and unreachable at {ADMIN_DSN}: {reason}")
    pytest.skip(f"PostgreSQL unreachable at {ADMIN_DSN} ({reason}); set CI=true to make this a failure")


@asynccontextmanager
async def temporary_database() -> AsyncIterator[str]:
    """Create `billinghub_test_<random>`, yield its SQLAlchemy URL, drop it afterwards."""
    try:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        _unavailable(str(error))
        raise  # unreachable: skip/fail raise
    name = f"billinghub_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
