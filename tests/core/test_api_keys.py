"""API keys: shown once, hashed at rest, revocable, bound to their tenant."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core_server.store.models import ApiKeyRow
from sdk import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from sdk.billinghub.v1 import platform_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.hub import Hub


async def test_created_key_is_shown_once_and_stored_hashed(hub: Hub) -> None:
    handle = await hub.new_tenant("Keys")
    created = await hub.platform.platform.CreateApiKey(
        pb.CreateApiKeyRequest(tenant_id=handle.id, role=tenant_pb2.API_KEY_ROLE_PARTNER, name="website")
    )
    secret = created.secret
    assert secret.startswith(f"bh_partner_{created.api_key.id}_")
    assert created.api_key.tenant_id == handle.id
    listed = await hub.platform.platform.ListApiKeys(pb.ListApiKeysRequest(tenant_id=handle.id))
    assert {k.name for k in listed.api_keys} == {"admin", "website"}
    assert secret not in str(listed)
    async with hub.deps.uow() as uow:
        row = (
            await uow.session.execute(select(ApiKeyRow).where(ApiKeyRow.id == uuid.UUID(created.api_key.id)))
        ).scalar_one()
    assert len(row.secret_hash) == 32
    assert secret.rsplit("_", 1)[1].encode() not in row.secret_hash


async def test_revoked_key_is_refused_at_once(hub: Hub) -> None:
    handle = await hub.new_tenant("Revoke")
    await handle.admin.users.ListUsers(users_pb.ListUsersRequest())
    key_id = handle.admin_key.split("_")[3]
    revoked = await hub.platform.platform.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=key_id))
    assert revoked.api_key.HasField("revoke_time")
    with pytest.raises(Unauthenticated) as caught:
        await handle.admin.users.ListUsers(users_pb.ListUsersRequest())
    assert caught.value.reason == "API_KEY_REVOKED"
    again = await hub.platform.platform.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=key_id))
    assert again.api_key.revoke_time == revoked.api_key.revoke_time
    active = await hub.platform.platform.ListApiKeys(pb.ListApiKeysRequest(tenant_id=handle.id))
    assert key_id not in {k.id for k in active.api_keys}
    everything = await hub.platform.platform.ListApiKeys(
        pb.ListApiKeysRequest(tenant_id=handle.id, include_revoked=True)
    )
    assert key_id in {k.id for k in everything.api_keys}


@pytest.mark.parametrize(
    ("role", "with_tenant", "field"),
    [
        (tenant_pb2.API_KEY_ROLE_UNSPECIFIED, True, "role"),
        (tenant_pb2.API_KEY_ROLE_TENANT_ADMIN, False, "tenant_id"),
        (tenant_pb2.API_KEY_ROLE_PARTNER, False, "tenant_id"),
        (tenant_pb2.API_KEY_ROLE_PLATFORM, True, "tenant_id"),
    ],
)
async def test_key_scope_rules(hub: Hub, role: int, with_tenant: bool, field: str) -> None:
    handle = await hub.new_tenant("Scopes")
    before = await hub.platform.platform.ListApiKeys(pb.ListApiKeysRequest(tenant_id=handle.id))
    with pytest.raises(InvalidArgument) as caught:
        await hub.platform.platform.CreateApiKey(
            pb.CreateApiKeyRequest(tenant_id=handle.id if with_tenant else "", role=role)
        )
    assert field in {v.field for v in caught.value.field_violations}
    after = await hub.platform.platform.ListApiKeys(pb.ListApiKeysRequest(tenant_id=handle.id))
    assert after == before


async def test_key_for_unknown_tenant_and_unknown_key(hub: Hub) -> None:
    with pytest.raises(NotFound):
        await hub.platform.platform.CreateApiKey(
            pb.CreateApiKeyRequest(tenant_id=str(uuid.uuid4()), role=tenant_pb2.API_KEY_ROLE_TENANT_ADMIN)
        )
    with pytest.raises(NotFound):
        await hub.platform.platform.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=uuid.uuid4().hex))
    with pytest.raises(InvalidArgument):
        await hub.platform.platform.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id="zzz"))


async def test_list_keys_pages(hub: Hub) -> None:
    handle = await hub.new_tenant("Many keys")
    for n in range(4):
        await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, handle.id, f"k{n}")
    names: list[str] = []
    token = ""
    while True:
        page = await hub.platform.platform.ListApiKeys(
            pb.ListApiKeysRequest(tenant_id=handle.id, page_size=2, page_token=token)
        )
        names += [k.name for k in page.api_keys]
        token = page.next_page_token
        if not token:
            break
    assert names == ["admin", "k0", "k1", "k2", "k3"]


async def test_new_platform_key_works_and_tenant_keys_cannot_create_keys(hub: Hub) -> None:
    second = await hub.new_key(tenant_pb2.API_KEY_ROLE_PLATFORM, name="second owner")
    owner = hub.client(second)
    await owner.platform.ListTenants(pb.ListTenantsRequest(page_size=1))
    handle = await hub.new_tenant("Escalation")
    with pytest.raises(PermissionDenied):
        await handle.admin.platform.CreateApiKey(
            pb.CreateApiKeyRequest(tenant_id=handle.id, role=tenant_pb2.API_KEY_ROLE_TENANT_ADMIN)
        )
