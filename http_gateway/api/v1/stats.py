"""`/api/v1/stats`: the tenant admin's figures (tenant-wide, so not for partner keys: 403)."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "stats"


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/stats", "ReportService.GetTenantStats", resource=TAG, unwrap="stats",
        summary="Tenant admins: users, revenue, orders by status, top packages, commissions and payouts over "
        "[start_time, end_time) (the last 30 days when unset).",
    )  # fmt: skip
    expose(
        api, "GET", "/stats/revenue", "ReportService.GetRevenueSeries", resource=TAG,
        summary="Tenant admins: the daily revenue of one asset, one point per day in the tenant's time zone "
        "(at most 366 days).",
    )  # fmt: skip
    expose(
        api, "GET", "/stats/workers", "ReportService.GetWorkerLag", resource=TAG,
        summary="Tenant admins: how far the core's background workers are behind for the tenant, per queue "
        "(orders and holds to expire, subscriptions to renew, payments to check, fulfillment tasks due and "
        "expired leases, webhook deliveries due): `due` items now and `oldest_due_seconds` since the oldest "
        "fell due.",
    )  # fmt: skip
