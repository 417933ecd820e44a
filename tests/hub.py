"""An in-process core for tests: a real grpc.aio server on a free loopback port, a real database,
and helpers that create tenants and keys through the public RPCs."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

from core_server.api.server import CoreServer
from core_server.domain.actor import Role
from core_server.domain.auth_cache import AuthCache
from core_server.domain.clock import Clock, SystemClock
from core_server.domain.deps import Deps
from core_server.domain.events import EventFeed
from core_server.domain.payments.stars_renewal_recovery import StarsRenewalRecovery
from core_server.domain.rate_limits import RateLimit
from core_server.domain.tenancy.api_keys import insert_key
from core_server.providers.http import new_client
from core_server.providers.registry import fulfillment_adapters, payment_adapters
from core_server.store.db import Database
from core_server.store.fastpath_pg import PgFastPath
from core_server.store.secret_box import SecretBox
from sdk import BillingHubClient
from sdk.billinghub.v1 import platform_service_pb2 as platform_pb
from sdk.billinghub.v1 import tenant_pb2
from sdk.interceptors import NO_RETRY
from tests.payments.testpay import TestPay
from tests.postgres import FASTPATH_POOL_SIZE, READ_BATCH_POOL_SIZE

TEST_MASTER_KEY = bytes(range(32))
# how long a cancelled stream may take to end on the core (2 s was once too short in a loaded run)
STREAM_CLOSE_SECONDS = 10.0


class WatchedFeed(EventFeed):
    """The core's event feed, remembering the calls that wait on it: the WatchEvents streams."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet()

    async def wait(self, seconds: float, tenant: uuid.UUID | None = None) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._waiters.add(task)
        await super().wait(seconds, tenant)

    def open_streams(self) -> set[asyncio.Task[object]]:
        return {task for task in self._waiters if not task.done()}


def _waiting_at(task: asyncio.Task[object]) -> str:
    """Where a stream's task waits, innermost frames last: the line a stuck stream is stuck on."""
    frames = task.get_stack(limit=None)[-4:]
    return " > ".join(f"{frame.f_code.co_name}:{frame.f_lineno}" for frame in frames)


@dataclass
class TenantHandle:
    """A tenant created for one test, with an admin client of its own."""

    tenant: tenant_pb2.Tenant
    admin_key: str
    admin: BillingHubClient

    @property
    def id(self) -> str:
        return self.tenant.id


HORIZON = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"  # as store/repositories/events.py reads it


@dataclass
class Hub:
    target: str
    deps: Deps
    server: CoreServer
    platform_key: str
    backend: str
    http: httpx.AsyncClient | None = None
    _clients: list[BillingHubClient] = field(default_factory=list)
    _platform: BillingHubClient | None = None

    def client(self, api_key: str, tenant_id: str | None = None) -> BillingHubClient:
        """A client that fails fast (no retries), closed at the end of the session."""
        client = BillingHubClient(self.target, api_key, tenant_id, retry=NO_RETRY)
        self._clients.append(client)
        return client

    @property
    def platform(self) -> BillingHubClient:
        """The platform key's own client (not whichever client the session happened to create first)."""
        if self._platform is None:
            self._platform = self.client(self.platform_key)
        return self._platform

    async def new_key(self, role: int, tenant_id: str = "", name: str = "") -> str:
        request = platform_pb.CreateApiKeyRequest(tenant_id=tenant_id, role=role, name=name)
        return str((await self.platform.platform.CreateApiKey(request)).secret)

    async def new_tenant(self, name: str = "Acme", **fields: str) -> TenantHandle:
        tenant = (
            await self.platform.platform.CreateTenant(platform_pb.CreateTenantRequest(name=name, **fields))
        ).tenant
        key = await self.new_key(tenant_pb2.API_KEY_ROLE_TENANT_ADMIN, tenant.id, "admin")
        return TenantHandle(tenant, key, self.client(key))

    async def events_settled(self) -> None:
        """Wait until a list shows every event written so far. On PostgreSQL an event is listed once
        every older transaction of the whole server has ended (store/repositories/events.py), which
        another session on a shared server can delay; SQLite lists them at once."""
        if self.deps.db.dialect != "postgresql":
            return
        async with self.deps.uow() as uow:
            mark = (await uow.session.execute(text("SELECT pg_current_xact_id()::text::bigint"))).scalar_one()
            await uow.commit()
        for _ in range(3000):
            async with self.deps.uow() as uow:
                horizon = (await uow.session.execute(text(f"SELECT {HORIZON}"))).scalar_one()
            if horizon > mark:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("a transaction on the server stayed open for 30 s: events written since are not listed")

    async def assert_no_stream_left_open(self) -> None:
        """Fail when a stream the test opened still runs on the core. Leaving an `async for` over a
        gRPC stream does not end the call (and an active call is never garbage-collected): the
        core keeps streaming to nobody until the session ends, and every open WatchEvents stream
        re-runs its query on each event committed in the process, slowing every later test."""
        feed = self.deps.feed
        assert isinstance(feed, WatchedFeed)
        if streams := feed.open_streams():  # a cancelled stream may take a moment to end
            _done, left = await asyncio.wait(streams, timeout=STREAM_CLOSE_SECONDS)
            if left:  # ended here, so that the test that left them fails and no later one does
                where = "; ".join(_waiting_at(stream) for stream in left)
                for stream in left:
                    stream.cancel()
                await asyncio.wait(left, timeout=STREAM_CLOSE_SECONDS)
                raise AssertionError(
                    f"{len(left)} WatchEvents stream(s) left open on the core: cancel() a stream you stop reading"
                    f" (waiting at: {where})"
                )

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
        if self.deps.fastpath is not None:
            await self.deps.fastpath.close()
        if self.http is not None:
            await self.http.aclose()


async def start_hub(
    db: Database, backend: str, clock: Clock | None = None, rate_limits: Mapping[Role, RateLimit] | None = None
) -> Hub:
    """A core on a free port. On PostgreSQL the hot path runs over asyncpg, as in production.
    Nobody is rate limited unless `rate_limits` says so (tests/core/test_rate_limits.py)."""
    fastpath = (
        await PgFastPath.connect(
            db.engine.url.render_as_string(hide_password=False),
            size=FASTPATH_POOL_SIZE,
            charge_batches=1,
            read_batch_connections=READ_BATCH_POOL_SIZE,
        )
        if db.dialect == "postgresql"
        else None
    )
    http = new_client(public_only=False)  # the providers' fakes listen on 127.0.0.1
    deps = Deps(
        db=db,
        secrets=SecretBox(TEST_MASTER_KEY),
        clock=clock or SystemClock(),
        auth_cache=AuthCache(5.0),
        fastpath=fastpath,
        payment_adapters={**payment_adapters(http), TestPay.name: TestPay()},
        fulfillment_adapters=fulfillment_adapters(http),
        public_url="https://hub.example.test",
        insecure_provider_urls=True,  # the providers' fakes listen on http://127.0.0.1
        feed=WatchedFeed(),
        rate_limits=rate_limits or {},
    )
    deps.renewal_recovery = StarsRenewalRecovery(deps).recover
    async with deps.uow() as uow:
        _key, platform_key = await insert_key(uow, Role.PLATFORM, None, "tests")
        await uow.commit()
    server = CoreServer(deps)
    port = server.bind("127.0.0.1:0")
    await server.start()
    return Hub(f"127.0.0.1:{port}", deps, server, platform_key, backend, http)
