"""Stats: the tenant's figures for today, the last 7 or 30 days, and a chart of daily revenue.

Everything comes from ReportService, called on behalf of the admin (the core wants the STATS
permission for both calls): GetTenantStats for the figures, GetRevenueSeries once per asset that
earned in the period for the chart. Every period ends now. "Today" begins at the tenant's local
midnight, in the time zone the core lists with the bot (`BotTenant.time_zone`), so that an admin in
Kolkata sees the orders of their own calendar day rather than of the UTC one; 7 and 30 days are
rolling. The chart is drawn in a thread (`charts.render_revenue_chart`) and sent as a new photo.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from google.protobuf.timestamp_pb2 import Timestamp

from bot_gateway.admin_access import STATS
from bot_gateway.callbacks import AdminCallback, AdminSection, StatsCallback, StatsChartCallback, StatsPeriod
from bot_gateway.charts import Series, render_revenue_chart
from bot_gateway.formatting import Scales, asset_scales, money
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin import period_label, stats_keyboard
from bot_gateway.webhook_reply import answer_later
from sdk.billinghub.v1 import common_pb2, report_service_pb2
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant
from sdk.client import BillingHubClient

router = Router(name="admin_stats")

ROLLING_DAYS = {StatsPeriod.WEEK: 7, StatsPeriod.MONTH: 30}
DEFAULT_PERIOD = StatsPeriod.WEEK
NEEDS_STATS = {PERMISSION_FLAG: STATS}


@dataclass(frozen=True, slots=True)
class Window:
    """One period as the report requests take it, [start, end), and the tenant's zone it was cut in."""

    period: StatsPeriod
    start: dt.datetime
    end: dt.datetime
    zone: zoneinfo.ZoneInfo

    def timestamps(self) -> tuple[Timestamp, Timestamp]:
        start, end = Timestamp(), Timestamp()
        start.FromDatetime(self.start)
        end.FromDatetime(self.end)
        return start, end


def tenant_zone(bot_tenant: BotTenant) -> zoneinfo.ZoneInfo:
    """The tenant's time zone; UTC when the core sent none (an older core) or one this machine's
    tz database lacks, rather than no stats at all."""
    try:
        return zoneinfo.ZoneInfo(bot_tenant.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def period_window(period: StatsPeriod, zone: zoneinfo.ZoneInfo, now: dt.datetime | None = None) -> Window:
    """Today: [the local midnight that began the tenant's day, now) (its first occurrence if the
    clocks repeat it, the day's first instant if they skip it); else [now - the days, now)."""
    end = now or dt.datetime.now(dt.UTC)
    if period is StatsPeriod.TODAY:
        midnight = dt.datetime.combine(end.astimezone(zone).date(), dt.time(), tzinfo=zone)
        return Window(period, midnight.astimezone(dt.UTC), end, zone)
    return Window(period, end - dt.timedelta(days=ROLLING_DAYS[period]), end, zone)


def stats_heading(window: Window) -> str:
    """Today says which day and zone; a rolling period its length."""
    if window.period is StatsPeriod.TODAY:
        day = window.start.astimezone(window.zone).date().isoformat()
        return _("📊 Stats for today, {date} ({zone})").format(date=day, zone=window.zone.key)
    return _("📊 Stats for the last {period}").format(period=period_label(window.period))


def chart_title(window: Window) -> str:
    if window.period is StatsPeriod.TODAY:
        day = window.start.astimezone(window.zone).date().isoformat()
        return _("Revenue today, {date} ({zone})").format(date=day, zone=window.zone.key)
    return _("Revenue by day, last {period}").format(period=period_label(window.period))


def order_status_text(status: str) -> str:
    """An order status name of the report ("paid") in the admin's words; unknown names as they are."""
    texts = {
        "pending": _("pending"),
        "paid": _("paid"),
        "fulfilled": _("fulfilled"),
        "partially_refunded": _("partially refunded"),
        "refunded": _("refunded"),
        "failed": _("failed"),
        "expired": _("expired"),
        "cancelled": _("cancelled"),
    }
    return texts.get(status, status)


def _amounts(amounts: list[common_pb2.Money], scales: Scales) -> list[str]:
    return [f"• {money(amount, scales)}" for amount in amounts] or ["• " + _("none")]


def stats_text(stats: report_service_pb2.TenantStats, window: Window, scales: Scales) -> str:
    """Users, revenue, orders by status, top packages, commissions and payouts, a block each."""
    lines = [stats_heading(window), ""]
    lines.append(
        _("Users: {total} in all, {new} new, {active} active").format(
            total=stats.users_total, new=stats.users_new, active=stats.users_active
        )
    )
    lines += ["", _("Revenue:"), *_amounts(list(stats.revenue), scales)]
    lines += ["", _("Orders:")]
    by_status = sorted(stats.orders_by_status.items(), key=lambda item: (-item[1], item[0]))
    lines += [f"• {order_status_text(status)}: {count}" for status, count in by_status] or ["• " + _("none")]
    lines += ["", _("Top packages:")]
    for place, sales in enumerate(stats.top_packages, start=1):
        orders = ngettext("{count} order", "{count} orders", sales.orders).format(count=sales.orders)
        lines.append(f"{place}. {sales.title} — {orders}, {money(sales.revenue, scales)}")
    if not stats.top_packages:
        lines.append("• " + _("none"))
    lines += ["", _("Referral commissions:"), *_amounts(list(stats.referral_commissions), scales)]
    lines += ["", _("Payouts paid:"), *_amounts(list(stats.payouts), scales)]
    return "\n".join(lines)


async def _show_stats(
    event: Message | CallbackQuery, period: StatsPeriod, staff: BillingHubClient, bot_tenant: BotTenant
) -> None:
    window = period_window(period, tenant_zone(bot_tenant))
    start, end = window.timestamps()
    response: report_service_pb2.GetTenantStatsResponse = await staff.reports.GetTenantStats(
        report_service_pb2.GetTenantStatsRequest(start_time=start, end_time=end)
    )
    stats = response.stats
    assets = [m.asset for m in (*stats.revenue, *stats.referral_commissions, *stats.payouts)]
    assets += [sales.revenue.asset for sales in stats.top_packages]
    scales = await asset_scales(staff, *assets)
    await show(event, stats_text(stats, window, scales), stats_keyboard(period))


@router.message(Command("stats"), flags=NEEDS_STATS)
@router.callback_query(AdminCallback.filter(F.section == AdminSection.STATS), flags=NEEDS_STATS)
async def open_stats(event: Message | CallbackQuery, staff: BillingHubClient, bot_tenant: BotTenant) -> None:
    """The figures of the last 7 days."""
    await _show_stats(event, DEFAULT_PERIOD, staff, bot_tenant)


@router.callback_query(StatsCallback.filter(), flags=NEEDS_STATS)
async def choose_period(
    callback: CallbackQuery, callback_data: StatsCallback, staff: BillingHubClient, bot_tenant: BotTenant
) -> None:
    """The figures of another period."""
    await _show_stats(callback, callback_data.period, staff, bot_tenant)


def _major(amount_minor: int, scale: int) -> float:
    """Minor units in major ones, for drawing only (money itself is never a float)."""
    return float(Decimal(amount_minor).scaleb(-scale))


async def revenue_series(staff: BillingHubClient, window: Window, assets: list[str]) -> dict[str, Series]:
    """Each asset's daily revenue over the period, read concurrently, in major units."""
    start, end = window.timestamps()
    scales = await asset_scales(staff, *assets)
    responses: list[report_service_pb2.GetRevenueSeriesResponse] = await asyncio.gather(
        *(
            staff.reports.GetRevenueSeries(
                report_service_pb2.GetRevenueSeriesRequest(asset=asset, start_time=start, end_time=end)
            )
            for asset in assets
        )
    )
    return {
        asset: Series(
            days=[point.date[5:] for point in response.points],  # "2026-11-27" -> "11-27"
            amounts=[_major(point.revenue.amount_minor, scales.get(asset, 0)) for point in response.points],
        )
        for asset, response in zip(assets, responses, strict=True)
    }


@router.callback_query(StatsChartCallback.filter(), flags=NEEDS_STATS)
async def send_chart(
    callback: CallbackQuery, callback_data: StatsChartCallback, staff: BillingHubClient, bot_tenant: BotTenant
) -> None:
    """The period's daily revenue as a bar chart, one panel per asset that earned in it."""
    window = period_window(callback_data.period, tenant_zone(bot_tenant))
    start, end = window.timestamps()
    response: report_service_pb2.GetTenantStatsResponse = await staff.reports.GetTenantStats(
        report_service_pb2.GetTenantStatsRequest(start_time=start, end_time=end)
    )
    earned = [amount for amount in response.stats.revenue if amount.amount_minor]
    spinner = callback.answer(_("No revenue in this period.") if not earned else None)
    if not answer_later(spinner):
        await spinner
    if not earned or callback.bot is None or callback.from_user is None:
        return
    series = await revenue_series(staff, window, [amount.asset for amount in earned])
    title = chart_title(window)
    png = await asyncio.to_thread(render_revenue_chart, series, title)
    scales = await asset_scales(staff, *series)
    caption = "\n".join([title + ":", *(f"• {money(amount, scales)}" for amount in earned)])
    await callback.bot.send_photo(
        callback.from_user.id, BufferedInputFile(png, filename="revenue.png"), caption=caption
    )
