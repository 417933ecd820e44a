"""PlatformService on tenants, as the platform owner and as the tenants themselves see it."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from core_server.store.models import TenantRow
from sdk import InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import gateway_service_pb2, tenant_pb2
from sdk.billinghub.v1 import platform_service_pb2 as pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.hub import Hub


async def test_create_then_get_and_list(hub: Hub) -> None:
    created = await hub.platform.platform.CreateTenant(
        pb.CreateTenantRequest(name="  Stars Shop ", default_locale="ru", time_zone="Europe/Moscow")
    )
    tenant = created.tenant
    assert tenant.name == "Stars Shop"
    assert (tenant.status, tenant.default_locale, tenant.time_zone) == (
        tenant_pb2.TENANT_STATUS_ACTIVE,
        "ru",
        "Europe/Moscow",
    )
    assert tenant.create_time.seconds > 0
    got = await hub.platform.platform.GetTenant(pb.GetTenantRequest(tenant_id=tenant.id))
    assert got.tenant == tenant

    seen: list[str] = []
    token = ""
    while True:
        page = await hub.platform.platform.ListTenants(pb.ListTenantsRequest(page_size=2, page_token=token))
        assert len(page.tenants) <= 2
        seen += [t.id for t in page.tenants]
        token = page.next_page_token
        if not token:
            break
    assert tenant.id in seen
    assert len(seen) == len(set(seen))


async def test_defaults_when_optional_fields_are_empty(hub: Hub) -> None:
    tenant = (await hub.platform.platform.CreateTenant(pb.CreateTenantRequest(name="Plain"))).tenant
    assert (tenant.default_locale, tenant.time_zone, tenant.has_bot_token) == ("en", "UTC", False)


async def test_invalid_create_names_every_bad_field_and_creates_nothing(hub: Hub) -> None:
    before = await _tenant_count(hub)
    with pytest.raises(InvalidArgument) as caught:
        await hub.platform.platform.CreateTenant(
            pb.CreateTenantRequest(name=" ", default_locale="de", time_zone="Mars/Olympus", bot_token="nocolon")
        )
    fields = {v.field for v in caught.value.field_violations}
    assert fields == {"name", "default_locale", "time_zone", "bot_token"}
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert await _tenant_count(hub) == before


async def test_bot_token_is_write_only_and_encrypted_at_rest(hub: Hub) -> None:
    token = "123456:AAE-secret-token"
    tenant = (await hub.platform.platform.CreateTenant(pb.CreateTenantRequest(name="Bot", bot_token=token))).tenant
    assert tenant.has_bot_token
    assert token not in str(tenant)
    async with hub.deps.uow() as uow:
        row = (await uow.session.execute(select(TenantRow).where(TenantRow.id == uuid.UUID(tenant.id)))).scalar_one()
    assert row.bot_token_encrypted is not None
    assert token.encode() not in row.bot_token_encrypted


async def test_update_applies_only_masked_fields(hub: Hub) -> None:
    handle = await hub.new_tenant("Before", default_locale="uk")
    updated = await hub.platform.platform.UpdateTenant(
        pb.UpdateTenantRequest(
            tenant_id=handle.id,
            name="After",
            default_locale="ru",
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        )
    )
    assert (updated.tenant.name, updated.tenant.default_locale) == ("After", "uk")


@pytest.mark.parametrize(
    ("mask", "field"),
    [([], "update_mask"), (["status"], "update_mask"), (["time_zone"], "time_zone")],
)
async def test_update_rejects_bad_masks(hub: Hub, mask: list[str], field: str) -> None:
    handle = await hub.new_tenant("Masked")
    with pytest.raises(InvalidArgument) as caught:
        await hub.platform.platform.UpdateTenant(
            pb.UpdateTenantRequest(
                tenant_id=handle.id, time_zone="nowhere", update_mask=field_mask_pb2.FieldMask(paths=mask)
            )
        )
    assert field in {v.field for v in caught.value.field_violations}
    got = await hub.platform.platform.GetTenant(pb.GetTenantRequest(tenant_id=handle.id))
    assert got.tenant == handle.tenant


async def test_list_bot_tenants_carries_each_tenants_time_zone(hub: Hub) -> None:
    """A bot cuts "today" at the tenant's local midnight: the zone comes with the bot, and follows
    an update of the tenant (a refused one changes nothing)."""
    kolkata = await hub.new_tenant("Kolkata", time_zone="Asia/Kolkata", bot_token="201:token-k")
    plain = await hub.new_tenant("Plain", bot_token="202:token-p")  # no zone given: UTC
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="bots"))

    async def zones() -> dict[str, str]:
        listed = await gateway.gateway.ListBotTenants(gateway_service_pb2.ListBotTenantsRequest())
        return {b.tenant_id: b.time_zone for b in listed.bot_tenants if b.tenant_id in (kolkata.id, plain.id)}

    before = await zones()
    await hub.platform.platform.UpdateTenant(
        pb.UpdateTenantRequest(
            tenant_id=plain.id,
            time_zone="Pacific/Kiritimati",
            update_mask=field_mask_pb2.FieldMask(paths=["time_zone"]),
        )
    )
    with pytest.raises(InvalidArgument):
        await hub.platform.platform.UpdateTenant(
            pb.UpdateTenantRequest(
                tenant_id=kolkata.id,
                time_zone="Mars/Olympus",
                update_mask=field_mask_pb2.FieldMask(paths=["time_zone"]),
            )
        )
    after = await zones()

    assert before == {kolkata.id: "Asia/Kolkata", plain.id: "UTC"}
    assert after == {kolkata.id: "Asia/Kolkata", plain.id: "Pacific/Kiritimati"}


async def test_suspended_tenant_keys_are_refused_until_resumed(hub: Hub) -> None:
    handle = await hub.new_tenant("Suspendable")
    await handle.admin.users.ListUsers(users_pb.ListUsersRequest())
    suspended = await hub.platform.platform.SuspendTenant(
        pb.SuspendTenantRequest(tenant_id=handle.id, reason="unpaid invoice")
    )
    assert suspended.tenant.status == tenant_pb2.TENANT_STATUS_SUSPENDED
    assert suspended.tenant.suspended_reason == "unpaid invoice"
    with pytest.raises(PermissionDenied) as caught:
        await handle.admin.users.ListUsers(users_pb.ListUsersRequest())
    assert caught.value.reason == "TENANT_SUSPENDED"
    resumed = await hub.platform.platform.ResumeTenant(pb.ResumeTenantRequest(tenant_id=handle.id))
    assert resumed.tenant.status == tenant_pb2.TENANT_STATUS_ACTIVE
    await handle.admin.users.ListUsers(users_pb.ListUsersRequest())


async def test_suspend_needs_a_reason(hub: Hub) -> None:
    handle = await hub.new_tenant("NoReason")
    with pytest.raises(InvalidArgument) as caught:
        await hub.platform.platform.SuspendTenant(pb.SuspendTenantRequest(tenant_id=handle.id, reason=""))
    assert [v.field for v in caught.value.field_violations] == ["reason"]


async def test_list_filters_by_status(hub: Hub) -> None:
    handle = await hub.new_tenant("Filtered")
    await hub.platform.platform.SuspendTenant(pb.SuspendTenantRequest(tenant_id=handle.id, reason="test"))
    suspended = await hub.platform.platform.ListTenants(
        pb.ListTenantsRequest(page_size=500, status=tenant_pb2.TENANT_STATUS_SUSPENDED)
    )
    assert handle.id in {t.id for t in suspended.tenants}
    assert all(t.status == tenant_pb2.TENANT_STATUS_SUSPENDED for t in suspended.tenants)


async def test_unknown_and_malformed_ids(hub: Hub) -> None:
    with pytest.raises(NotFound):
        await hub.platform.platform.GetTenant(pb.GetTenantRequest(tenant_id="01a20281-0000-7000-8000-000000000000"))
    with pytest.raises(InvalidArgument):
        await hub.platform.platform.GetTenant(pb.GetTenantRequest(tenant_id="not-an-id"))
    with pytest.raises(NotFound):
        await hub.platform.platform.SuspendTenant(
            pb.SuspendTenantRequest(tenant_id="01a20281-0000-7000-8000-000000000000", reason="x")
        )


async def test_a_tenant_sees_itself_and_nothing_else(hub: Hub) -> None:
    alpha = await hub.new_tenant("Alpha")
    beta = await hub.new_tenant("Beta")
    own = await alpha.admin.platform.GetTenant(pb.GetTenantRequest(tenant_id=alpha.id))
    assert own.tenant.name == "Alpha"
    with pytest.raises(NotFound):
        await alpha.admin.platform.GetTenant(pb.GetTenantRequest(tenant_id=beta.id))


@pytest.mark.parametrize(
    "call",
    ["CreateTenant", "ListTenants", "UpdateTenant", "SuspendTenant", "ResumeTenant", "CreateApiKey", "ListApiKeys"],
)
async def test_tenant_admins_cannot_use_the_platform_console(hub: Hub, call: str) -> None:
    handle = await hub.new_tenant("Curious")
    request_type = getattr(pb, f"{call}Request")
    request = request_type()
    if "tenant_id" in request_type.DESCRIPTOR.fields_by_name:
        request.tenant_id = handle.id
    with pytest.raises(PermissionDenied) as caught:
        await getattr(handle.admin.platform, call)(request)
    assert caught.value.reason == "ROLE_NOT_ALLOWED"


async def test_bad_page_token_and_size(hub: Hub) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await hub.platform.platform.ListTenants(pb.ListTenantsRequest(page_token="garbage!"))
    assert caught.value.field_violations[0].field == "page_token"
    with pytest.raises(InvalidArgument) as caught:
        await hub.platform.platform.ListTenants(pb.ListTenantsRequest(page_size=501))
    assert caught.value.field_violations[0].field == "page_size"
    first = await hub.platform.platform.ListTenants(pb.ListTenantsRequest(page_size=1))
    with pytest.raises(InvalidArgument):  # a token is bound to the filters it was issued for
        await hub.platform.platform.ListTenants(
            pb.ListTenantsRequest(page_size=1, page_token=first.next_page_token, status=tenant_pb2.TENANT_STATUS_ACTIVE)
        )


async def _tenant_count(hub: Hub) -> int:
    async with hub.deps.uow() as uow:
        return len((await uow.session.execute(select(TenantRow.id))).all())
