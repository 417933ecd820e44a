"""ReportService over gRPC."""

from __future__ import annotations

from core_server.domain.reports import ReportService
from sdk.billinghub.v1 import report_service_pb2_grpc


class ReportServicer(report_service_pb2_grpc.ReportServiceServicer):
    def __init__(self, service: ReportService) -> None:
        self._service = service
