"""ReportService over gRPC."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc

from core_server.api.access import STAFF, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import money, optional_time, timestamp
from core_server.domain.actor import Role
from core_server.domain.errors import Violations
from core_server.domain.money.amounts import Money
from core_server.domain.reports.service import ReportService, TenantStats
from core_server.domain.reports.worker_lag import Backlog, WorkerLagReport, WorkerQueue
from sdk.billinghub.v1 import common_pb2, report_service_pb2_grpc
from sdk.billinghub.v1 import report_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
PLATFORM = {Role.PLATFORM}
QUEUES_OUT = {
    WorkerQueue.ORDER_EXPIRY: pb.WORKER_QUEUE_ORDER_EXPIRY,
    WorkerQueue.HOLD_EXPIRY: pb.WORKER_QUEUE_HOLD_EXPIRY,
    WorkerQueue.SUBSCRIPTION_RENEWAL: pb.WORKER_QUEUE_SUBSCRIPTION_RENEWAL,
    WorkerQueue.PAYMENT_RECONCILIATION: pb.WORKER_QUEUE_PAYMENT_RECONCILIATION,
    WorkerQueue.FULFILLMENT_QUEUED: pb.WORKER_QUEUE_FULFILLMENT_QUEUED,
    WorkerQueue.FULFILLMENT_EXPIRED_LEASES: pb.WORKER_QUEUE_FULFILLMENT_EXPIRED_LEASES,
    WorkerQueue.OUTBOUND_WEBHOOKS: pb.WORKER_QUEUE_OUTBOUND_WEBHOOKS,
}


def _amounts(amounts: list[Money]) -> list[common_pb2.Money]:
    return [money(m.asset, m.amount) for m in amounts]


def stats_message(stats: TenantStats) -> pb.TenantStats:
    return pb.TenantStats(
        tenant_id=str(stats.tenant_id),
        users_total=stats.users_total,
        users_new=stats.users_new,
        users_active=stats.users_active,
        revenue=_amounts(stats.revenue),
        orders_by_status=stats.orders_by_status,
        top_packages=[
            pb.PackageSales(
                package_id=str(p.package_id),
                title=p.title,
                orders=p.orders,
                revenue=money(p.revenue.asset, p.revenue.amount),
            )
            for p in stats.top_packages
        ],
        referral_commissions=_amounts(stats.referral_commissions),
        payouts=_amounts(stats.payouts),
    )


def _period(request: Any, v: Violations) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A report request's start_time and end_time (every report request names them alike)."""
    start = optional_time(request.start_time, request.HasField("start_time"), "start_time", v)
    end = optional_time(request.end_time, request.HasField("end_time"), "end_time", v)
    return start, end


def backlog_message(backlog: Backlog) -> pb.WorkerBacklog:
    return pb.WorkerBacklog(
        queue=QUEUES_OUT[backlog.queue],
        due=backlog.due,
        oldest_due_time=timestamp(backlog.oldest_due),
        oldest_due_seconds=backlog.oldest_seconds,
    )


class ReportServicer(report_service_pb2_grpc.ReportServiceServicer):
    def __init__(self, service: ReportService, worker_lag: WorkerLagReport) -> None:
        self._service = service
        self._worker_lag = worker_lag

    @rpc(roles=STAFF)
    async def GetTenantStats(self, request: pb.GetTenantStatsRequest, context: Context) -> pb.GetTenantStatsResponse:
        v = Violations()
        start, end = _period(request, v)
        stats = await self._service.tenant_stats(current_actor(), start, end, v)
        return pb.GetTenantStatsResponse(stats=stats_message(stats))

    @rpc(roles=PLATFORM, tenant_scoped=False)
    async def GetPlatformStats(
        self, request: pb.GetPlatformStatsRequest, context: Context
    ) -> pb.GetPlatformStatsResponse:
        v = Violations()
        start, end = _period(request, v)
        stats = await self._service.platform_stats(current_actor(), start, end, v)
        return pb.GetPlatformStatsResponse(
            tenants=[stats_message(t) for t in stats.tenants],
            users_total=stats.users_total,
            revenue=_amounts(stats.revenue),
        )

    @rpc(roles=STAFF)
    async def GetRevenueSeries(
        self, request: pb.GetRevenueSeriesRequest, context: Context
    ) -> pb.GetRevenueSeriesResponse:
        v = Violations()
        start, end = _period(request, v)
        points = await self._service.revenue_series(current_actor(), request.asset, start, end, v)
        return pb.GetRevenueSeriesResponse(
            points=[
                pb.RevenuePoint(date=p.date.isoformat(), revenue=money(p.revenue.asset, p.revenue.amount))
                for p in points
            ]
        )

    @rpc(roles=STAFF)
    async def GetWorkerLag(self, request: pb.GetWorkerLagRequest, context: Context) -> pb.GetWorkerLagResponse:
        lag = await self._worker_lag.read(current_actor())
        return pb.GetWorkerLagResponse(
            backlogs=[backlog_message(b) for b in lag.backlogs], read_time=timestamp(lag.read_at)
        )
