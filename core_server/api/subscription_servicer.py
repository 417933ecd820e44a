"""SubscriptionService over gRPC."""

from __future__ import annotations

from core_server.domain.subscription_service import SubscriptionService
from sdk.billinghub.v1 import subscription_service_pb2_grpc


class SubscriptionServicer(subscription_service_pb2_grpc.SubscriptionServiceServicer):
    def __init__(self, service: SubscriptionService) -> None:
        self._service = service
