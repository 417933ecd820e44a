"""Reports: a tenant's figures over a period, the platform's across tenants, daily revenue.

Rules where the contract is silent:
- a period is [start, end); an unset end is now, an unset start is 30 days before the end;
- revenue is the net movement of the `revenue` system account: what was credited to it (order
  payments, usage charges, captured holds) less what was debited from it (refunds);
- a package sold once its order was paid in the period, whatever happened to the order later
  (fulfilled, failed, refunded); its revenue is what those orders kept (total - refunded), so a
  refunded order counts as sold with no revenue. A package sold in two assets (its price asset was
  changed) is listed once per asset;
- a revenue series counts the transfers of [start, end) only; its days are the tenant-local days
  that period touches, so the series of a period sums to that period's revenue in GetTenantStats.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from core_server.domain.actor import Actor, Role
from core_server.domain.deps import Deps
from core_server.domain.errors import PermissionDenied, Violations
from core_server.domain.money.amounts import ASSET_CODE, Money
from core_server.domain.money.assets import require_asset
from core_server.domain.referrals.payout_model import PayoutStatus
from core_server.store.repositories import reports as queries
from core_server.store.sums import to_int64
from core_server.store.unit_of_work import UnitOfWork

DEFAULT_PERIOD = dt.timedelta(days=30)
MAX_SERIES_PERIOD = dt.timedelta(days=366)
TOP_PACKAGES = 10
HOUR = 3600


@dataclass(frozen=True, slots=True)
class PackageSales:
    package_id: uuid.UUID
    title: str
    orders: int
    revenue: Money


@dataclass(frozen=True, slots=True)
class TenantStats:
    tenant_id: uuid.UUID
    users_total: int
    users_new: int
    users_active: int
    revenue: list[Money]
    orders_by_status: dict[str, int]
    top_packages: list[PackageSales]
    referral_commissions: list[Money]
    payouts: list[Money]


@dataclass(frozen=True, slots=True)
class PlatformStats:
    tenants: list[TenantStats]
    users_total: int
    revenue: list[Money]


@dataclass(frozen=True, slots=True)
class RevenuePoint:
    date: dt.date
    revenue: Money


def resolve_period(
    start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime, v: Violations
) -> tuple[dt.datetime, dt.datetime]:
    end = end or now
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        v.add("end_time", "must be after start_time (a period is [start_time, end_time))")
    return start, end


def _amounts(sums: Iterable[tuple[str, int]]) -> list[Money]:
    """Per asset, sorted by asset, without the assets that came to zero."""
    totals: dict[str, int] = defaultdict(int)
    for asset, amount in sums:
        totals[asset] += amount
    return [Money(asset, to_int64(totals[asset])) for asset in sorted(totals) if totals[asset]]


def _title(titles: dict[str, object]) -> str:
    chosen = titles.get("en") or next(iter(titles.values()), "")
    return str(chosen)


async def _collect(
    uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime
) -> list[TenantStats]:
    """The figures of one tenant (or of every tenant when None): the same queries either way."""
    tenants = [tenant_id for tenant_id, _zone in await queries.tenant_zones(uow, tenant)]
    users = await queries.user_counts(uow, tenant, start, end)
    active = await queries.active_users(uow, tenant, start, end)
    revenue, orders, commissions, payouts = (defaultdict(list) for _ in range(4))
    for tenant_id, asset, amount in await queries.revenue(uow, tenant, start, end):
        revenue[tenant_id].append((asset, amount))
    for tenant_id, status, count in await queries.orders_by_status(uow, tenant, start, end):
        orders[tenant_id].append((status, count))
    for tenant_id, asset, amount in await queries.commissions(uow, tenant, start, end):
        commissions[tenant_id].append((asset, amount))
    for tenant_id, asset, amount in await queries.payouts(uow, tenant, PayoutStatus.PAID, start, end):
        payouts[tenant_id].append((asset, amount))
    sales: dict[uuid.UUID, list[tuple[uuid.UUID, str, int, int]]] = defaultdict(list)
    for tenant_id, package_id, asset, count, kept in await queries.package_sales(uow, tenant, start, end):
        sales[tenant_id].append((package_id, asset, count, kept))
    for rows in sales.values():  # best sellers first; ties by revenue, then stable by id
        rows.sort(key=lambda row: (-row[2], -row[3], str(row[0]), row[1]))
        del rows[TOP_PACKAGES:]
    titles = await queries.package_titles(uow, {(t, row[0]) for t, rows in sales.items() for row in rows})
    return [
        TenantStats(
            tenant_id=tenant_id,
            users_total=users.get(tenant_id, (0, 0))[0],
            users_new=users.get(tenant_id, (0, 0))[1],
            users_active=active.get(tenant_id, 0),
            revenue=_amounts(revenue[tenant_id]),
            orders_by_status=dict(orders[tenant_id]),
            top_packages=[
                PackageSales(package_id, _title(titles.get((tenant_id, package_id), {})), count, Money(asset, kept))
                for package_id, asset, count, kept in sales[tenant_id]
            ],
            referral_commissions=_amounts(commissions[tenant_id]),
            payouts=_amounts(payouts[tenant_id]),
        )
        for tenant_id in tenants
    ]


def local_days(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[dt.date]:
    """The tenant-local days [start, end) touches (end itself is outside the period)."""
    first = start.astimezone(zone).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def day_starts(days: list[dt.date], zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """The UTC instant each local day begins (local midnight; its first occurrence if repeated)."""
    return [dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC) for day in days]


def slot_seconds(starts: list[dt.datetime]) -> int:
    """The longest slot of Unix time (a divisor of an hour) that no local midnight falls inside:
    an hour for whole-hour offsets, 30 or 15 minutes for India or Nepal, seconds for odd historic
    offsets. Summing per slot in SQL then places every slot wholly in one local day."""
    return math.gcd(HOUR, *(int(start.timestamp()) % HOUR for start in starts))


class ReportService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def tenant_stats(
        self, actor: Actor, start: dt.datetime | None, end: dt.datetime | None, violations: Violations | None = None
    ) -> TenantStats:
        """`violations` (of each report): those found converting the request, reported with the
        period's own."""
        v = violations if violations is not None else Violations()
        start, end = resolve_period(start, end, self._deps.clock.now(), v)
        v.raise_if_any()
        async with self._deps.read_uow() as uow:
            (stats,) = await _collect(uow, actor.tenant, start, end)
        return stats

    async def platform_stats(
        self, actor: Actor, start: dt.datetime | None, end: dt.datetime | None, violations: Violations | None = None
    ) -> PlatformStats:
        if actor.role is not Role.PLATFORM:
            raise PermissionDenied("platform statistics are for the platform key only")
        v = violations if violations is not None else Violations()
        start, end = resolve_period(start, end, self._deps.clock.now(), v)
        v.raise_if_any()
        async with self._deps.read_uow() as uow:
            tenants = await _collect(uow, None, start, end)
        revenue = _amounts((m.asset, m.amount) for stats in tenants for m in stats.revenue)
        return PlatformStats(tenants, sum(stats.users_total for stats in tenants), revenue)

    async def revenue_series(
        self,
        actor: Actor,
        asset: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
        violations: Violations | None = None,
    ) -> list[RevenuePoint]:
        asset = asset.strip().upper()
        v = violations if violations is not None else Violations()
        if not asset:
            v.add("asset", "is required")
        elif not ASSET_CODE.match(asset):
            v.add("asset", "must be 2 to 10 upper-case letters or digits")
        start, end = resolve_period(start, end, self._deps.clock.now(), v)
        if end - start > MAX_SERIES_PERIOD:
            v.add("end_time", f"the period must be at most {MAX_SERIES_PERIOD.days} days")
        v.raise_if_any()
        async with self._deps.read_uow() as uow:
            await require_asset(uow, actor.tenant, asset)
            ((_tenant, zone_name),) = await queries.tenant_zones(uow, actor.tenant)
            zone = zoneinfo.ZoneInfo(zone_name)
            days = local_days(start, end, zone)
            starts = day_starts(days, zone)
            seconds = slot_seconds(starts)
            slots = await queries.revenue_slots(uow, actor.tenant, asset, start, end, seconds)
        totals = [0] * len(days)
        for slot, amount in slots:
            slot_start = dt.datetime.fromtimestamp(slot * seconds, dt.UTC)
            totals[max(0, bisect.bisect_right(starts, slot_start) - 1)] += amount
        return [RevenuePoint(day, Money(asset, to_int64(total))) for day, total in zip(days, totals, strict=True)]
