"""`/api/v1/stats`: a tenant admin's figures over a period; tenant-wide, so partner keys get 403."""

from __future__ import annotations

import datetime as dt

from tests.commerce.referrals import buy
from tests.rest.site import Site


def _period() -> dict[str, str]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start, end = now - dt.timedelta(days=2), now + dt.timedelta(days=1)
    return {"start_time": start.isoformat().replace("+00:00", "Z"), "end_time": end.isoformat().replace("+00:00", "Z")}


async def test_a_tenant_admin_reads_the_tenants_figures(site: Site) -> None:
    admin = site.tenant.admin_key
    buyer = await site.register("stats-1")
    await site.register("stats-2")
    await buy(site.tenant, buyer["id"], 250)
    stats = await site.get("/stats", key=admin, query=_period())
    assert stats.status == 200, stats.body
    body = stats.body
    assert (body["tenant_id"], body["users_total"], body["users_new"]) == (site.tenant_id, "2", "2")
    assert body["revenue"] == [{"asset": "XTR", "amount_minor": "250"}]
    assert body["orders_by_status"] == {"fulfilled": "1"}
    [top] = body["top_packages"]
    assert (top["orders"], top["revenue"]) == ("1", {"asset": "XTR", "amount_minor": "250"})
    assert (await site.get("/stats", key=admin)).status == 200  # the last 30 days by default

    series = await site.get("/stats/revenue", key=admin, query={"asset": "XTR", **_period()})
    assert series.status == 200, series.body
    points = series.body["points"]
    assert len(points) in (3, 4) and all(len(p["date"]) == 10 for p in points)
    assert sum(int(p["revenue"]["amount_minor"]) for p in points) == 250
    assert {p["revenue"]["asset"] for p in points} == {"XTR"}


async def test_partners_get_403_and_other_tenants_see_only_their_own(site: Site) -> None:
    buyer = await site.register("stats-3")
    await buy(site.tenant, buyer["id"], 100)
    for path, query in (("/stats", {}), ("/stats/revenue", {"asset": "XTR"}), ("/stats/workers", {})):
        refused = await site.get(path, query=query)
        assert refused.status == 403 and refused.error["code"] == "ROLE_NOT_ALLOWED", refused.body
        assert (await site.get(path, query=query, key="")).status == 401
    other = (await site.partner_of_another_tenant()).tenant
    theirs = await site.get("/stats", key=other.admin_key, query=_period())
    assert theirs.status == 200 and theirs.body["tenant_id"] == other.id
    assert (theirs.body["users_total"], theirs.body["revenue"]) == ("0", [])


async def test_bad_periods_are_a_clear_400(site: Site) -> None:
    admin = site.tenant.admin_key
    cases = [
        ("/stats", {"start_time": "yesterday"}, "start_time"),
        ("/stats", {"start_time": "0.5"}, "start_time"),  # not seconds since 1970 (found by the fuzzer)
        ("/stats", {"start_time": "2026-01-01T00:00:00"}, "start_time"),  # a time without its zone
        ("/stats", {"start_time": "2026-01-02T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"}, None),
        ("/stats", {"from": "2026-01-01T00:00:00Z"}, "from"),
        ("/stats/revenue", {}, "asset"),
        (
            "/stats/revenue",
            {"asset": "XTR", "start_time": "2020-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"},
            None,
        ),
    ]
    for path, query, field in cases:
        answer = await site.get(path, key=admin, query=query)
        assert answer.status == 400, (path, query, answer.body)
        if field:
            assert field in {v["field"] for v in answer.error["details"].get("field_violations", [])}, answer.body


async def test_a_tenant_admin_reads_the_core_workers_lag(site: Site) -> None:
    lag = await site.get("/stats/workers", key=site.tenant.admin_key)
    assert lag.status == 200, lag.body
    queues = [b["queue"] for b in lag.body["backlogs"]]
    assert queues == [
        "order_expiry",
        "hold_expiry",
        "subscription_renewal",
        "payment_reconciliation",
        "fulfillment_queued",
        "fulfillment_expired_leases",
        "outbound_webhooks",
    ]
    assert all(b["due"] == "0" and b.get("oldest_due_time") is None for b in lag.body["backlogs"])
    assert lag.body["read_time"].endswith("Z")
