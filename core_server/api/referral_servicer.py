"""ReferralService over gRPC."""

from __future__ import annotations

from core_server.domain.referral_service import ReferralService
from sdk.billinghub.v1 import referral_service_pb2_grpc


class ReferralServicer(referral_service_pb2_grpc.ReferralServiceServicer):
    def __init__(self, service: ReferralService) -> None:
        self._service = service
