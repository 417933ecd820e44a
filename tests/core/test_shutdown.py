"""Graceful shutdown: a call in flight when the core is told to stop still completes; new calls
are refused."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import grpc
import pytest

from core_server.store.db import open_database
from core_server.store.migrate import upgrade_database
from sdk import BillingHubClient, Unavailable
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import platform_service_pb2 as platform_pb
from sdk.billinghub.v1 import user_service_pb2 as pb
from sdk.errors import BillingHubError
from sdk.interceptors import NO_RETRY
from tests.hub import start_hub


async def test_in_flight_calls_finish_during_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "drain.db"
    db = open_database(f"sqlite+aiosqlite:///{path}")
    await upgrade_database(db)
    hub = await start_hub(db, "sqlite")
    try:
        tenant = (await hub.platform.platform.CreateTenant(platform_pb.CreateTenantRequest(name="Drain"))).tenant
        key = await hub.new_key(tenant_pb2.API_KEY_ROLE_TENANT_ADMIN, tenant.id)
        admin = hub.client(key)
        await admin.users.ListUsers(pb.ListUsersRequest())  # warm the auth cache: no reads needed below

        # Hold the database's write lock so the next registration waits inside the core.
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        in_flight = asyncio.ensure_future(
            admin.users.RegisterUser(pb.RegisterUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id="1"))
        )
        await asyncio.sleep(0.3)
        assert not in_flight.done()
        stopping = asyncio.ensure_future(hub.server.stop(grace=10))
        async with asyncio.timeout(10):  # the stop says so at once; a loaded machine may take a while
            while (status := await _health(hub.target)) == "SERVING":  # noqa: ASYNC110  # polled: no event
                await asyncio.sleep(0.05)
        assert status in ("NOT_SERVING", "UNAVAILABLE", "CANCELLED")
        blocker.rollback()
        blocker.close()
        response = await asyncio.wait_for(in_flight, 10)
        assert response.created
        await asyncio.wait_for(stopping, 15)
        with pytest.raises(Unavailable):
            await BillingHubClient(hub.target, key, retry=NO_RETRY).users.ListUsers(pb.ListUsersRequest())
    finally:
        await hub.close()
        await db.dispose()


async def _health(target: str) -> str:
    try:
        async with BillingHubClient(target, "", retry=NO_RETRY) as client:
            return await client.health()
    except Unavailable:
        return "UNAVAILABLE"
    except BillingHubError as error:  # a health call the stopping server cancelled (CANCELLED)
        return error.code.name
    except grpc.aio.AioRpcError:
        return "UNAVAILABLE"
