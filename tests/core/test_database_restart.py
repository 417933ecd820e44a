"""The database server drops every connection (a restart, a failover): the core must not answer
INTERNAL for it, and must serve the next calls on fresh connections without a restart of its own.

The core checks no connection before use (no pre-ping round trips on every checkout): a call that
meets a dropped connection fails UNAVAILABLE (DATABASE_UNAVAILABLE, so a client retries), the pool
is invalidated, and the calls after it connect anew."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import TypeVar

import asyncpg
import pytest

from core_server.store.db import open_database
from core_server.store.errors import CONNECTION_LOST, unavailable_cause
from core_server.store.migrate import upgrade_database
from sdk import Unavailable
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.hub import Hub, start_hub
from tests.money import assert_ledger_ok, balance, fund, new_user
from tests.postgres import ADMIN_DSN, temporary_database
from tests.read_crowds import read_batches, reads_at_once

pytestmark = pytest.mark.postgres
T = TypeVar("T")


@pytest.fixture
async def pg_hub() -> AsyncIterator[tuple[Hub, str]]:
    async with temporary_database() as url:
        db = open_database(url, pool_size=4)
        await upgrade_database(db)
        hub = await start_hub(db, "postgres")
        try:
            yield hub, db.engine.url.database or ""
        finally:
            await hub.close()
            await hub.server.stop(0)
            await db.dispose()


async def _drop_connections(database: str) -> int:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        dropped: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    return dropped


async def test_calls_after_the_server_dropped_every_connection_are_served(pg_hub: tuple[Hub, str]) -> None:
    hub, database = pg_hub
    shop = await hub.new_tenant("Restarted database")
    user = await new_user(shop)
    await fund(shop, user, 10)  # the ORM pool and the fast path's pool both hold connections now
    assert await _drop_connections(database) > 0
    # One call through each path: the fast path's raw transaction, the ORM's unit, a screen read.
    # Each may meet a dropped connection once (UNAVAILABLE, never INTERNAL); the one after is served.
    await _served(lambda: fund(shop, user, 1))  # AdjustBalance with no request_id: a failed one credited nothing
    await _served(lambda: assert_ledger_ok(shop))
    posted = await _served(lambda: balance(shop.admin, user))
    assert posted.posted.amount_minor == 11


async def _got(read: Callable[[], Awaitable[users_pb.GetUserResponse]]) -> str:
    """The user id a GetUser answered with, or why it was refused."""
    try:
        return (await read()).user.id
    except Unavailable as error:
        return error.reason


async def test_reads_queued_after_the_server_dropped_every_connection_are_served(pg_hub: tuple[Hub, str]) -> None:
    """Screen reads that queue go to the database in batches, on a pool of their own: that pool
    recovers as the others do. A crowd of reads right after the drop may meet a dead connection
    (UNAVAILABLE, never INTERNAL); a crowd after it, queued into batches, is served whole."""
    hub, database = pg_hub
    shop = await hub.new_tenant("Restarted reads")
    users = [await new_user(shop, external_id=f"reader-{n}") for n in range(12)]
    crowd = [
        partial(_got, partial(shop.admin.users.GetUser, users_pb.GetUserRequest(user_id=user))) for user in users * 2
    ]
    before = read_batches(hub)[0]
    assert await reads_at_once(hub, crowd) == users * 2
    assert read_batches(hub)[0] > before  # the batches' pool holds a connection now
    assert await _drop_connections(database) > 0
    after_drop = await asyncio.gather(*(read() for read in crowd))
    assert set(after_drop) <= {*users, "DATABASE_UNAVAILABLE"}
    before = read_batches(hub)[0]
    assert await reads_at_once(hub, crowd) == users * 2
    assert read_batches(hub)[0] > before


async def _served(call: Callable[[], Awaitable[T]]) -> T:
    reasons = []
    for _ in range(2):
        try:
            return await call()
        except Unavailable as error:
            reasons.append(error.reason)
    assert set(reasons) == {"DATABASE_UNAVAILABLE"}
    return await call()  # a third attempt must be served: the pools have renewed their connections


async def test_a_pooled_connection_that_heard_its_backend_end_is_unavailable_not_internal() -> None:
    """A dropped connection sends its FATAL error, then its end of file; asyncpg reads them in two
    turns of the event loop. A connection taken from the pool between the two refuses its first
    statement with an InternalClientError ("another operation (2) is in progress": the protocol is
    discarding the error it could not place), which once made a call answer INTERNAL in a full run
    of this module's restart test. It is the same broken connection: UNAVAILABLE, retry-safe."""
    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        fields = b"SFATAL\0C57P01\0Mterminating connection due to administrator command\0\0"
        connection._protocol.data_received(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)  # the FATAL alone
        with pytest.raises(asyncpg.InternalClientError) as caught:
            await connection.execute("BEGIN")
        assert unavailable_cause(caught.value) == CONNECTION_LOST
    finally:
        connection.terminate()
