"""TopupRequestService over gRPC."""

from __future__ import annotations

from core_server.domain.topup_requests import TopupRequestService
from sdk.billinghub.v1 import topup_service_pb2_grpc


class TopupRequestServicer(topup_service_pb2_grpc.TopupRequestServiceServicer):
    def __init__(self, service: TopupRequestService) -> None:
        self._service = service
