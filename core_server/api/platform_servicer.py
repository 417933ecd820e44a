"""PlatformService: tenants and API keys."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import (
    ROLES,
    ROLES_OUT,
    TENANT_STATUSES,
    TENANT_STATUSES_OUT,
    enum_filter,
    id_text,
    mask_paths,
    timestamp,
)
from core_server.domain.actor import ALL_ROLES, Role
from core_server.domain.errors import Violations
from core_server.domain.tenancy.api_keys import ApiKey, ApiKeyService
from core_server.domain.tenancy.tenants import Tenant, TenantChanges, TenantService
from sdk.billinghub.v1 import platform_service_pb2 as pb
from sdk.billinghub.v1 import platform_service_pb2_grpc, tenant_pb2

Context = grpc.aio.ServicerContext[Any, Any]
PLATFORM = {Role.PLATFORM}


def tenant_message(tenant: Tenant) -> tenant_pb2.Tenant:
    return tenant_pb2.Tenant(
        id=str(tenant.id),
        name=tenant.name,
        status=TENANT_STATUSES_OUT[tenant.status],
        default_locale=tenant.default_locale,
        time_zone=tenant.time_zone,
        has_bot_token=tenant.has_bot_token,
        suspended_reason=tenant.suspended_reason,
        create_time=timestamp(tenant.created_at),
        update_time=timestamp(tenant.updated_at),
    )


def api_key_message(key: ApiKey) -> tenant_pb2.ApiKey:
    return tenant_pb2.ApiKey(
        id=key.id.hex,
        tenant_id=id_text(key.tenant_id),
        role=ROLES_OUT[key.role],
        name=key.name,
        create_time=timestamp(key.created_at),
        revoke_time=timestamp(key.revoked_at),
    )


class PlatformServicer(platform_service_pb2_grpc.PlatformServiceServicer):
    def __init__(self, tenants: TenantService, keys: ApiKeyService) -> None:
        self._tenants = tenants
        self._keys = keys

    @rpc(roles=PLATFORM, tenant_scoped=False, mutation=True)
    async def CreateTenant(self, request: pb.CreateTenantRequest, context: Context) -> pb.CreateTenantResponse:
        changes = TenantChanges(request.name, request.default_locale, request.time_zone, request.bot_token)
        tenant = await self._tenants.create(current_actor(), changes)
        return pb.CreateTenantResponse(tenant=tenant_message(tenant))

    @rpc(roles=ALL_ROLES, tenant_scoped=False)
    async def GetTenant(self, request: pb.GetTenantRequest, context: Context) -> pb.GetTenantResponse:
        tenant = await self._tenants.get(current_actor(), request.tenant_id)
        return pb.GetTenantResponse(tenant=tenant_message(tenant))

    @rpc(roles=PLATFORM, tenant_scoped=False)
    async def ListTenants(self, request: pb.ListTenantsRequest, context: Context) -> pb.ListTenantsResponse:
        v = Violations()
        status = enum_filter(TENANT_STATUSES, request.status, "status", v)
        tenants, token = await self._tenants.list_tenants(
            current_actor(), request.page_size, request.page_token, status, v
        )
        return pb.ListTenantsResponse(tenants=[tenant_message(t) for t in tenants], next_page_token=token)

    @rpc(roles=PLATFORM, tenant_scoped=False, mutation=True)
    async def UpdateTenant(self, request: pb.UpdateTenantRequest, context: Context) -> pb.UpdateTenantResponse:
        changes = TenantChanges(request.name, request.default_locale, request.time_zone, request.bot_token)
        paths = mask_paths(request.update_mask)
        tenant = await self._tenants.update(current_actor(), request.tenant_id, changes, paths)
        return pb.UpdateTenantResponse(tenant=tenant_message(tenant))

    @rpc(roles=PLATFORM, tenant_scoped=False, mutation=True)
    async def SuspendTenant(self, request: pb.SuspendTenantRequest, context: Context) -> pb.SuspendTenantResponse:
        tenant = await self._tenants.suspend(current_actor(), request.tenant_id, request.reason)
        return pb.SuspendTenantResponse(tenant=tenant_message(tenant))

    @rpc(roles=PLATFORM, tenant_scoped=False, mutation=True)
    async def ResumeTenant(self, request: pb.ResumeTenantRequest, context: Context) -> pb.ResumeTenantResponse:
        tenant = await self._tenants.resume(current_actor(), request.tenant_id)
        return pb.ResumeTenantResponse(tenant=tenant_message(tenant))

    @rpc(roles=PLATFORM, tenant_scoped=False, mutation=Idempotency.SEALED)
    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: Context) -> pb.CreateApiKeyResponse:
        key, secret = await self._keys.create(current_actor(), ROLES.get(request.role), request.tenant_id, request.name)
        return pb.CreateApiKeyResponse(api_key=api_key_message(key), secret=secret)

    @rpc(roles=PLATFORM, tenant_scoped=False)
    async def ListApiKeys(self, request: pb.ListApiKeysRequest, context: Context) -> pb.ListApiKeysResponse:
        keys, token = await self._keys.list_keys(
            current_actor(), request.tenant_id, request.include_revoked, request.page_size, request.page_token
        )
        return pb.ListApiKeysResponse(api_keys=[api_key_message(k) for k in keys], next_page_token=token)

    @rpc(roles=PLATFORM, tenant_scoped=False, mutation=True)
    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: Context) -> pb.RevokeApiKeyResponse:
        key = await self._keys.revoke(current_actor(), request.api_key_id)
        return pb.RevokeApiKeyResponse(api_key=api_key_message(key))
