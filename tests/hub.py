"""An in-process core for tests: a real grpc.aio server on a free loopback port, a real database,
and helpers that create tenants and keys through the public RPCs."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from core_server.api.server import CoreServer
from core_server.domain.actor import Role
from core_server.domain.auth_cache import AuthCache
from core_server.domain.clock import Clock, SystemClock
from core_server.domain.deps import Deps
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

TEST_MASTER_KEY = bytes(range(32))


@dataclass
class TenantHandle:
    """A tenant created for one test, with an admin client of its own."""

    tenant: tenant_pb2.Tenant
    admin_key: str
    admin: BillingHubClient

    @property
    def id(self) -> str:
        return self.tenant.id


@dataclass
class Hub:
    target: str
    deps: Deps
    server: CoreServer
    platform_key: str
    backend: str
    http: httpx.AsyncClient | None = None
    _clients: list[BillingHubClient] = field(default_factory=list)

    def client(self, api_key: str, tenant_id: str | None = None) -> BillingHubClient:
        """A client that fails fast (no retries), closed at the end of the session."""
        client = BillingHubClient(self.target, api_key, tenant_id, retry=NO_RETRY)
        self._clients.append(client)
        return client

    @property
    def platform(self) -> BillingHubClient:
        if not self._clients:
            self.client(self.platform_key)
        return self._clients[0]

    async def new_key(self, role: int, tenant_id: str = "", name: str = "") -> str:
        request = platform_pb.CreateApiKeyRequest(tenant_id=tenant_id, role=role, name=name)
        return str((await self.platform.platform.CreateApiKey(request)).secret)

    async def new_tenant(self, name: str = "Acme", **fields: str) -> TenantHandle:
        tenant = (
            await self.platform.platform.CreateTenant(platform_pb.CreateTenantRequest(name=name, **fields))
        ).tenant
        key = await self.new_key(tenant_pb2.API_KEY_ROLE_TENANT_ADMIN, tenant.id, "admin")
        return TenantHandle(tenant, key, self.client(key))

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
        if self.deps.fastpath is not None:
            await self.deps.fastpath.close()
        if self.http is not None:
            await self.http.aclose()


async def start_hub(db: Database, backend: str, clock: Clock | None = None) -> Hub:
    """A core on a free port. On PostgreSQL the hot path runs over asyncpg, as in production."""
    fastpath = (
        await PgFastPath.connect(db.engine.url.render_as_string(hide_password=False))
        if db.dialect == "postgresql"
        else None
    )
    http = new_client()
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
    )
    async with deps.uow() as uow:
        _key, platform_key = await insert_key(uow, Role.PLATFORM, None, "tests")
        await uow.commit()
    server = CoreServer(deps)
    port = server.bind("127.0.0.1:0")
    await server.start()
    return Hub(f"127.0.0.1:{port}", deps, server, platform_key, backend, http)
