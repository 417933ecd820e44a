"""PromoService over gRPC."""

from __future__ import annotations

from core_server.domain.promo_codes import PromoCodeService
from sdk.billinghub.v1 import promo_service_pb2_grpc


class PromoServicer(promo_service_pb2_grpc.PromoServiceServicer):
    def __init__(self, service: PromoCodeService) -> None:
        self._service = service
