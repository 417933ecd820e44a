"""GatewayService: what the gateway processes serve."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import rpc
from core_server.api.call_context import current_actor
from core_server.domain.actor import Role
from core_server.domain.tenancy.tenants import TenantService
from sdk.billinghub.v1 import gateway_service_pb2 as pb
from sdk.billinghub.v1 import gateway_service_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


class GatewayServicer(gateway_service_pb2_grpc.GatewayServiceServicer):
    def __init__(self, tenants: TenantService) -> None:
        self._tenants = tenants

    @rpc(roles={Role.GATEWAY}, tenant_scoped=False)
    async def ListBotTenants(self, request: pb.ListBotTenantsRequest, context: Context) -> pb.ListBotTenantsResponse:
        bots = await self._tenants.bot_tenants(current_actor())
        return pb.ListBotTenantsResponse(
            bot_tenants=[
                pb.BotTenant(
                    tenant_id=str(b.tenant_id),
                    bot_token=b.bot_token,
                    default_locale=b.default_locale,
                    time_zone=b.time_zone,
                    broadcast_running=b.broadcast_running,
                )
                for b in bots
            ]
        )
