"""Fixtures shared by the whole suite: a migrated database and a running core per backend.

Every test that needs storage runs on SQLite and on PostgreSQL. Tests share one database per
backend and session; they stay apart the way tenants do, by creating their own tenants.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core_server.domain.clock import FrozenClock
from core_server.store.db import Database, open_database
from core_server.store.migrate import upgrade_database
from tests.hub import Hub, start_hub
from tests.postgres import POOL_SIZE, temporary_database

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "hub.db"
        db = open_database(f"sqlite+aiosqlite:///{path}")
        await upgrade_database(db)
        yield db
        await db.dispose()
        return
    async with temporary_database() as url:
        db = open_database(url, pool_size=POOL_SIZE)
        await upgrade_database(db)
        yield db
        await db.dispose()


@pytest.fixture(autouse=True)
async def no_stream_left_open(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After each test on the session's core: no stream the test opened still runs there."""
    running = request.getfixturevalue("hub") if "hub" in request.fixturenames else None
    yield
    if isinstance(running, Hub):  # (tests/e2e has a `hub` of its own: `billing-hub up` in processes)
        await running.assert_no_stream_left_open()


@pytest.fixture(scope="session")
async def hub(database: Database) -> AsyncIterator[Hub]:
    running = await start_hub(database, database.dialect)
    yield running
    await running.close()
    await running.server.stop(0)


@pytest.fixture
async def clock() -> FrozenClock:
    """A clock the test moves: expiry, backoff, daily quotas and leases without sleeping."""
    return FrozenClock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The cyclic garbage collector off for the test: what a reference cycle keeps alive (a cursor
    in an exception's traceback, say) stays alive, whenever the collector would have run."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
async def clocked_hub(database: Database, clock: FrozenClock) -> AsyncIterator[Hub]:
    """A core of its own on the session's database, running on `clock`."""
    running = await start_hub(database, database.dialect, clock=clock)
    yield running
    await running.close()
    await running.server.stop(0)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Give a parametrized hypothesis test its own settings back before each case.

    hypothesis's pytest plugin replaces such a test's settings with new settings whose parent is
    the old ones, on every case it runs; the hostile sweep has some twelve hundred cases, and the
    chain of parents passed Python's recursion limit (a RecursionError inside hypothesis) once
    BroadcastService added its methods. Restored first, the chain is one link deep each time."""
    function = getattr(item, "obj", None)
    function = getattr(function, "__func__", function)
    current = getattr(function, "_hypothesis_internal_use_settings", None)
    if current is not None:
        own = getattr(function, "_billing_hub_own_settings", None)
        if own is None:
            function._billing_hub_own_settings = current  # type: ignore[union-attr]
        else:
            function._hypothesis_internal_use_settings = own  # type: ignore[union-attr]
    yield
