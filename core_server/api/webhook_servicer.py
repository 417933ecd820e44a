"""WebhookEndpointService over gRPC: tenant admins' outbound webhook endpoints and deliveries."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import enum_filter, mask_paths, timestamp
from core_server.domain.actor import ADMIN_ROLES
from core_server.domain.errors import Violations
from core_server.domain.webhooks.deliveries import Delivery, WebhookDeliveryService
from core_server.domain.webhooks.endpoints import Endpoint, EndpointSpec, WebhookEndpointService
from core_server.domain.webhooks.rules import DeliveryStatus
from sdk.billinghub.v1 import webhook_pb2, webhook_service_pb2_grpc
from sdk.billinghub.v1 import webhook_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
STATUSES = {
    webhook_pb2.WEBHOOK_DELIVERY_STATUS_PENDING: DeliveryStatus.PENDING,
    webhook_pb2.WEBHOOK_DELIVERY_STATUS_SUCCEEDED: DeliveryStatus.SUCCEEDED,
    webhook_pb2.WEBHOOK_DELIVERY_STATUS_FAILED_RETRYING: DeliveryStatus.FAILED_RETRYING,
    webhook_pb2.WEBHOOK_DELIVERY_STATUS_DEAD: DeliveryStatus.DEAD,
}
STATUSES_OUT = {value: key for key, value in STATUSES.items()}


def endpoint_message(endpoint: Endpoint) -> webhook_pb2.WebhookEndpoint:
    return webhook_pb2.WebhookEndpoint(
        id=str(endpoint.id),
        url=endpoint.url,
        event_types=list(endpoint.event_types),
        description=endpoint.description,
        enabled=endpoint.enabled,
        create_time=timestamp(endpoint.created_at),
        update_time=timestamp(endpoint.updated_at),
        previous_secret_expire_time=timestamp(endpoint.previous_secret_expires_at),
    )


def delivery_message(delivery: Delivery) -> webhook_pb2.WebhookDelivery:
    return webhook_pb2.WebhookDelivery(
        id=str(delivery.id),
        endpoint_id=str(delivery.endpoint_id),
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        series=delivery.series,
        status=STATUSES_OUT[delivery.status],
        attempts=delivery.attempts,
        last_response_code=delivery.last_response_code,
        last_error=delivery.last_error,
        next_attempt_time=timestamp(delivery.next_attempt_at),
        create_time=timestamp(delivery.created_at),
    )


def spec_in(message: webhook_pb2.WebhookEndpoint) -> EndpointSpec:
    return EndpointSpec(
        url=message.url,
        event_types=list(message.event_types),
        description=message.description,
        enabled=message.enabled,
    )


class WebhookEndpointServicer(webhook_service_pb2_grpc.WebhookEndpointServiceServicer):
    def __init__(self, endpoints: WebhookEndpointService, deliveries: WebhookDeliveryService) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries

    @rpc(roles=ADMIN_ROLES, mutation=Idempotency.SEALED)
    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: Context
    ) -> pb.CreateWebhookEndpointResponse:
        spec = EndpointSpec(url=request.url, event_types=list(request.event_types), description=request.description)
        endpoint, secret = await self._endpoints.create(current_actor(), spec)
        return pb.CreateWebhookEndpointResponse(webhook_endpoint=endpoint_message(endpoint), secret=secret)

    @rpc(roles=ADMIN_ROLES)
    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: Context
    ) -> pb.ListWebhookEndpointsResponse:
        endpoints, token = await self._endpoints.list_endpoints(current_actor(), request.page_size, request.page_token)
        return pb.ListWebhookEndpointsResponse(
            webhook_endpoints=[endpoint_message(e) for e in endpoints], next_page_token=token
        )

    @rpc(roles=ADMIN_ROLES)
    async def GetWebhookEndpoint(
        self, request: pb.GetWebhookEndpointRequest, context: Context
    ) -> pb.GetWebhookEndpointResponse:
        endpoint = await self._endpoints.get(current_actor(), request.webhook_endpoint_id)
        return pb.GetWebhookEndpointResponse(webhook_endpoint=endpoint_message(endpoint))

    @rpc(roles=ADMIN_ROLES, mutation=True)
    async def UpdateWebhookEndpoint(
        self, request: pb.UpdateWebhookEndpointRequest, context: Context
    ) -> pb.UpdateWebhookEndpointResponse:
        endpoint = await self._endpoints.update(
            current_actor(),
            request.webhook_endpoint.id,
            spec_in(request.webhook_endpoint),
            mask_paths(request.update_mask),
        )
        return pb.UpdateWebhookEndpointResponse(webhook_endpoint=endpoint_message(endpoint))

    @rpc(roles=ADMIN_ROLES, mutation=Idempotency.SEALED)
    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: Context
    ) -> pb.RotateWebhookSecretResponse:
        endpoint, secret = await self._endpoints.rotate_secret(
            current_actor(), request.webhook_endpoint_id, request.grace_period_seconds
        )
        return pb.RotateWebhookSecretResponse(webhook_endpoint=endpoint_message(endpoint), secret=secret)

    @rpc(roles=ADMIN_ROLES)
    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        v = Violations()
        status = enum_filter(STATUSES, request.status, "status", v)
        v.raise_if_any()
        deliveries, token = await self._deliveries.list_deliveries(
            current_actor(), request.endpoint_id, status, request.page_size, request.page_token
        )
        return pb.ListWebhookDeliveriesResponse(
            webhook_deliveries=[delivery_message(d) for d in deliveries], next_page_token=token
        )

    @rpc(roles=ADMIN_ROLES, mutation=True)
    async def RedeliverEvent(self, request: pb.RedeliverEventRequest, context: Context) -> pb.RedeliverEventResponse:
        delivery = await self._deliveries.redeliver(current_actor(), request.endpoint_id, request.event_id)
        return pb.RedeliverEventResponse(webhook_delivery=delivery_message(delivery))
