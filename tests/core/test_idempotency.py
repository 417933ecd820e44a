"""One idempotency mechanism for every mutation: replay the first response, refuse a reused id
with another request, keep records at least 24 hours."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from core_server.domain.clock import FrozenClock
from core_server.domain.idempotency import sweep_expired
from core_server.store.models import IdempotencyRow, TenantRow
from sdk import InvalidArgument
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import platform_service_pb2 as platform_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.hub import Hub


async def _tenants_named(hub: Hub, name: str) -> int:
    async with hub.deps.uow() as uow:
        statement = select(func.count()).select_from(TenantRow).where(TenantRow.name == name)
        return int((await uow.session.execute(statement)).scalar_one())


async def test_a_retried_create_returns_the_first_tenant(hub: Hub) -> None:
    name = f"Retried {uuid.uuid4().hex[:6]}"
    request = platform_pb.CreateTenantRequest(request_id=f"create-{name}", name=name)
    first = await hub.platform.platform.CreateTenant(request)
    again = await hub.platform.platform.CreateTenant(request)
    assert again == first
    assert await _tenants_named(hub, name) == 1


async def test_concurrent_duplicates_wait_for_the_first(hub: Hub) -> None:
    name = f"Raced {uuid.uuid4().hex[:6]}"
    request = platform_pb.CreateTenantRequest(request_id=f"create-{name}", name=name)
    results = await asyncio.gather(*(hub.platform.platform.CreateTenant(request) for _ in range(20)))
    assert len({r.tenant.id for r in results}) == 1
    assert await _tenants_named(hub, name) == 1


async def test_a_reused_id_with_another_request_is_refused_and_changes_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Reuse")
    register = users_pb.RegisterUserRequest(request_id="r-1", platform=common_pb2.PLATFORM_TELEGRAM, external_id="1")
    await shop.admin.users.RegisterUser(register)
    other = users_pb.RegisterUserRequest(request_id="r-1", platform=common_pb2.PLATFORM_TELEGRAM, external_id="2")
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.users.RegisterUser(other)
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    listed = await shop.admin.users.ListUsers(users_pb.ListUsersRequest())
    assert [u.external_id for u in listed.users] == ["1"]


async def test_request_ids_are_scoped_to_the_tenant_and_method(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha"), await hub.new_tenant("Beta")
    request = users_pb.RegisterUserRequest(request_id="same", platform=common_pb2.PLATFORM_TELEGRAM, external_id="1")
    a = await alpha.admin.users.RegisterUser(request)
    b = await beta.admin.users.RegisterUser(request)
    assert a.user.id != b.user.id


async def test_a_failed_call_can_be_retried_with_the_same_id(hub: Hub) -> None:
    shop = await hub.new_tenant("Fail then retry")
    bad = users_pb.RegisterUserRequest(request_id="x", platform=common_pb2.PLATFORM_TELEGRAM, external_id="")
    with pytest.raises(InvalidArgument):
        await shop.admin.users.RegisterUser(bad)
    good = users_pb.RegisterUserRequest(request_id="y", platform=common_pb2.PLATFORM_TELEGRAM, external_id="9")
    assert (await shop.admin.users.RegisterUser(good)).created


async def test_replayed_key_creation_returns_the_same_secret_stored_encrypted(hub: Hub) -> None:
    shop = await hub.new_tenant("Sealed")
    request = platform_pb.CreateApiKeyRequest(
        request_id="key-1", tenant_id=shop.id, role=tenant_pb2.API_KEY_ROLE_PARTNER, name="web"
    )
    first = await hub.platform.platform.CreateApiKey(request)
    again = await hub.platform.platform.CreateApiKey(request)
    assert again.secret == first.secret
    keys = await hub.platform.platform.ListApiKeys(platform_pb.ListApiKeysRequest(tenant_id=shop.id))
    assert [k.name for k in keys.api_keys].count("web") == 1
    async with hub.deps.uow() as uow:
        rows = (
            (await uow.session.execute(select(IdempotencyRow).where(IdempotencyRow.request_id == "key-1")))
            .scalars()
            .all()
        )
    assert rows
    assert all(first.secret.encode() not in (row.response or b"") for row in rows)


async def test_records_are_kept_a_day_then_swept(hub: Hub) -> None:
    shop = await hub.new_tenant("Sweep")
    request = users_pb.RegisterUserRequest(request_id="old", platform=common_pb2.PLATFORM_TELEGRAM, external_id="1")
    await shop.admin.users.RegisterUser(request)
    soon = dataclasses.replace(hub.deps, clock=FrozenClock(dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)))
    await sweep_expired(soon, soon.clock.now())
    async with hub.deps.uow() as uow:
        assert await uow.session.get(
            IdempotencyRow, (uuid.UUID(shop.id), "/billinghub.v1.UserService/RegisterUser", "old")
        )
    later = FrozenClock(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25))
    while await sweep_expired(hub.deps, later.now()):
        pass
    async with hub.deps.uow() as uow:
        gone = await uow.session.get(
            IdempotencyRow, (uuid.UUID(shop.id), "/billinghub.v1.UserService/RegisterUser", "old")
        )
    assert gone is None
