"""A core whose clock the test moves: leases that end and users inactive for days, without sleeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from core_server.domain.clock import FrozenClock
from core_server.store.db import Database
from tests.hub import Hub, start_hub


@pytest.fixture
async def clock() -> FrozenClock:
    return FrozenClock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
async def clocked_hub(database: Database, clock: FrozenClock) -> AsyncIterator[Hub]:
    running = await start_hub(database, database.dialect, clock=clock)
    yield running
    await running.close()
    await running.server.stop(0)
