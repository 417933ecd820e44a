"""A fake PlatformService for the CLI to call: tests arrange its answers and read its requests.

It is a synchronous servicer (run by `conftest.platform` in background threads) because the CLI
runs `asyncio.run` itself and cannot share the test's event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from sdk.billinghub.v1 import platform_service_pb2, platform_service_pb2_grpc, tenant_pb2

PLATFORM_KEY = "bh_platform_0a1b2c3d_t0p-s3cret"


def tenant(tenant_id: str, name: str, **fields: Any) -> tenant_pb2.Tenant:
    defaults: dict[str, Any] = {"status": tenant_pb2.TENANT_STATUS_ACTIVE, "default_locale": "en", "time_zone": "UTC"}
    message = tenant_pb2.Tenant(id=tenant_id, name=name, **{**defaults, **fields})
    message.create_time.FromSeconds(1_767_225_600)  # 2026-01-01 00:00:00Z
    return message


@dataclass
class FakePlatform(platform_service_pb2_grpc.PlatformServiceServicer):
    """Serves `pages` of tenants to ListTenants; records requests and their metadata."""

    target: str = ""
    pages: list[list[tenant_pb2.Tenant]] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)

    def _record(self, request: Any, context: grpc.ServicerContext) -> None:
        self.requests.append(request)
        self.metadata.append({key: str(value) for key, value in context.invocation_metadata()})

    def ListTenants(
        self, request: platform_service_pb2.ListTenantsRequest, context: grpc.ServicerContext
    ) -> platform_service_pb2.ListTenantsResponse:
        self._record(request, context)
        index = int(request.page_token or 0)
        next_token = str(index + 1) if index + 1 < len(self.pages) else ""
        page = self.pages[index] if self.pages else []
        return platform_service_pb2.ListTenantsResponse(tenants=page, next_page_token=next_token)

    def CreateTenant(
        self, request: platform_service_pb2.CreateTenantRequest, context: grpc.ServicerContext
    ) -> platform_service_pb2.CreateTenantResponse:
        self._record(request, context)
        if not request.name:
            abort_invalid(context, "name: is required", "name", "is required")
        created = tenant("t-new", request.name, has_bot_token=bool(request.bot_token))
        created.default_locale = request.default_locale or "en"
        return platform_service_pb2.CreateTenantResponse(tenant=created)

    def UpdateTenant(
        self, request: platform_service_pb2.UpdateTenantRequest, context: grpc.ServicerContext
    ) -> platform_service_pb2.UpdateTenantResponse:
        self._record(request, context)
        updated = tenant(request.tenant_id, "Acme", has_bot_token=bool(request.bot_token))
        return platform_service_pb2.UpdateTenantResponse(tenant=updated)

    def CreateApiKey(
        self, request: platform_service_pb2.CreateApiKeyRequest, context: grpc.ServicerContext
    ) -> platform_service_pb2.CreateApiKeyResponse:
        self._record(request, context)
        key = tenant_pb2.ApiKey(id="k-1", tenant_id=request.tenant_id, role=request.role, name=request.name)
        return platform_service_pb2.CreateApiKeyResponse(api_key=key, secret="bh_partner_k-1_brand-new-secret")


def abort_invalid(context: grpc.ServicerContext, message: str, field_name: str, description: str) -> None:
    """Fail the call as the core does: INVALID_ARGUMENT with BadRequest and RequestInfo details."""
    bad_request = error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field=field_name, description=description)]
    )
    request_info = error_details_pb2.RequestInfo(request_id="req-42")
    details = []
    for detail in (bad_request, request_info):
        packed = any_pb2.Any()
        packed.Pack(detail)
        details.append(packed)
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=details)
    context.abort_with_status(rpc_status.to_status(status))
