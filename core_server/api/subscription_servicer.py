"""SubscriptionService over gRPC."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import STAFF_AND_PARTNERS, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import enum_filter, id_text, timestamp
from core_server.domain.entitlements.entitlements import Entitlement, EntitlementService
from core_server.domain.errors import Violations
from core_server.domain.payments.stars_renewal_cancels import StarsRenewalCancels
from core_server.domain.subscriptions.service import Subscription, SubscriptionService
from sdk.billinghub.v1 import subscription_pb2, subscription_service_pb2_grpc
from sdk.billinghub.v1 import subscription_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
STATUSES = {
    subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE: "active",
    subscription_pb2.SUBSCRIPTION_STATUS_CANCELLED: "cancelled",
    subscription_pb2.SUBSCRIPTION_STATUS_EXPIRED: "expired",
}
STATUSES_OUT = {value: key for key, value in STATUSES.items()}


def subscription_message(subscription: Subscription) -> subscription_pb2.Subscription:
    return subscription_pb2.Subscription(
        id=str(subscription.id),
        user_id=str(subscription.user_id),
        plan_code=subscription.plan_code,
        package_id=str(subscription.package_id),
        status=STATUSES_OUT[subscription.status],
        start_time=timestamp(subscription.start_at),
        end_time=timestamp(subscription.end_at),
        last_order_id=id_text(subscription.last_order_id),
        cancel_time=timestamp(subscription.cancel_at),
        renewed_by=subscription.renewed_by,
    )


def entitlement_message(entitlement: Entitlement) -> subscription_pb2.Entitlement:
    return subscription_pb2.Entitlement(
        code=entitlement.code, source=entitlement.source, end_time=timestamp(entitlement.end_at)
    )


class SubscriptionServicer(subscription_service_pb2_grpc.SubscriptionServiceServicer):
    def __init__(
        self, service: SubscriptionService, entitlements: EntitlementService, cancels: StarsRenewalCancels
    ) -> None:
        self._service = service
        self._entitlements = entitlements
        self._cancels = cancels  # a plan Telegram renews is cancelled at Telegram first

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetSubscription(self, request: pb.GetSubscriptionRequest, context: Context) -> pb.GetSubscriptionResponse:
        subscription = await self._service.get(current_actor(), request.subscription_id, request.user_id)
        return pb.GetSubscriptionResponse(subscription=subscription_message(subscription))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: Context
    ) -> pb.ListSubscriptionsResponse:
        v = Violations()
        status = enum_filter(STATUSES, request.status, "status", v)
        found, token = await self._service.list_subscriptions(
            current_actor(), request.user_id, status, request.plan_code, request.page_size, request.page_token, v
        )
        return pb.ListSubscriptionsResponse(
            subscriptions=[subscription_message(s) for s in found], next_page_token=token
        )

    # a website stops its user's renewal as the bot does for a user: the user's own decision
    @rpc(roles=STAFF_AND_PARTNERS, mutation=True)
    async def CancelSubscription(
        self, request: pb.CancelSubscriptionRequest, context: Context
    ) -> pb.CancelSubscriptionResponse:
        subscription = await self._cancels.cancel(current_actor(), request.subscription_id, request.user_id)
        return pb.CancelSubscriptionResponse(subscription=subscription_message(subscription))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListEntitlements(
        self, request: pb.ListEntitlementsRequest, context: Context
    ) -> pb.ListEntitlementsResponse:
        entitlements = await self._entitlements.list_entitlements(current_actor(), request.user_id)
        return pb.ListEntitlementsResponse(entitlements=[entitlement_message(e) for e in entitlements])
