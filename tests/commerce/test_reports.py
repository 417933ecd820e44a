"""Reports an admin reads: a tenant's figures over a period, every tenant's for the platform, and
daily revenue in the tenant's own time zone. Data is built through the public RPCs; the clock is
moved, never slept on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pytest
from google.protobuf import timestamp_pb2

from core_server.domain.clock import FrozenClock
from sdk import InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import referral_service_pb2 as referrals_pb
from sdk.billinghub.v1 import report_service_pb2 as pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.referrals import set_program
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, fund, money

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def stamp(when: dt.datetime) -> timestamp_pb2.Timestamp:
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(when)
    return result


def move_to(clock: FrozenClock, when: dt.datetime) -> None:
    clock.advance(when - clock.now())


def amounts(values: Iterable[common_pb2.Money]) -> list[tuple[str, int]]:
    return [(m.asset, m.amount_minor) for m in values]


async def register(shop: TenantHandle, external_id: str, referral_code: str = "") -> users_pb.RegisterUserResponse:
    request = users_pb.RegisterUserRequest(
        platform=common_pb2.PLATFORM_TELEGRAM, external_id=external_id, referral_code=referral_code
    )
    response: users_pb.RegisterUserResponse = await shop.admin.users.RegisterUser(request)
    return response


async def charge(shop: TenantHandle, user: str, amount: int, asset: str = "TOKEN") -> None:
    await shop.admin.wallet.ChargeUsage(wallet_pb.ChargeUsageRequest(user_id=user, amount=money(amount, asset)))


async def refund(shop: TenantHandle, order: str, amount: int) -> None:
    request = orders_pb.RefundOrderRequest(order_id=order, amount_minor=amount, reason="not delivered", actor="tg:1")
    await shop.admin.orders.RefundOrder(request)


async def tenant_stats(shop: TenantHandle, start: dt.datetime, end: dt.datetime) -> pb.TenantStats:
    request = pb.GetTenantStatsRequest(start_time=stamp(start), end_time=stamp(end))
    response: pb.GetTenantStatsResponse = await shop.admin.reports.GetTenantStats(request)
    return response.stats


async def series(shop: TenantHandle, asset: str, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
    request = pb.GetRevenueSeriesRequest(asset=asset, start_time=stamp(start), end_time=stamp(end))
    response = await shop.admin.reports.GetRevenueSeries(request)
    assert all(p.revenue.asset == asset for p in response.points)
    return [(p.date, p.revenue.amount_minor) for p in response.points]


async def decide_payouts(shop: TenantHandle, referrer: str) -> None:
    """Three payout requests of the referrer's earnings: one paid (7), one rejected (3), one pending (5)."""
    for amount, decision in ((7, "approve"), (3, "reject"), (5, "")):
        create = referrals_pb.CreatePayoutRequestRequest(user_id=referrer, amount_minor=amount, destination="card")
        payout = (await shop.admin.referrals.CreatePayoutRequest(create)).payout_request
        if decision == "approve":
            await shop.admin.referrals.ApprovePayoutRequest(
                referrals_pb.ApprovePayoutRequestRequest(payout_request_id=payout.id, payment_reference="tx", actor="a")
            )
        elif decision == "reject":
            await shop.admin.referrals.RejectPayoutRequest(
                referrals_pb.RejectPayoutRequestRequest(payout_request_id=payout.id, reason="no", actor="a")
            )


async def test_tenant_stats_count_the_period_only(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Report shop")
    pack = await token_pack(shop, stars=100, tokens=1000)
    small = await create_package(
        shop, kind=pack.kind, price=money(50, "XTR"), delivers=money(300, "TOKEN"), title={"ru": "Малый"}
    )
    # Before the period: a referrer who bought once (revenue outside the period).
    old = (await register(shop, "old")).user
    await fund(shop, old.id, 1000, "XTR")
    await pay(shop, (await create_order(shop, old.id, pack.id)).id)
    clock.advance(2 * DAY)
    start = clock.now()
    await set_program(shop, level_rates_bps=[1000])
    buyer = (await register(shop, "buyer", old.referral_code)).user.id
    await register(shop, "idle")
    await fund(shop, buyer, 1000, "XTR")
    await fund(shop, buyer, 500, "TOKEN")
    await charge(shop, buyer, 30)
    first, second = (await create_order(shop, buyer, pack.id)).id, (await create_order(shop, buyer, pack.id)).id
    await pay(shop, first)
    await pay(shop, second)
    await refund(shop, second, 40)
    await pay(shop, (await create_order(shop, buyer, small.id)).id)
    await shop.admin.orders.CancelOrder(
        orders_pb.CancelOrderRequest(order_id=(await create_order(shop, buyer, pack.id)).id)
    )
    await create_order(shop, buyer, small.id)
    await decide_payouts(shop, old.id)
    clock.advance(HOUR)
    end = clock.now()
    # After the period: neither this sale nor the late user's registration counts in it.
    await pay(shop, (await create_order(shop, buyer, pack.id)).id)
    await register(shop, "late")

    stats = await tenant_stats(shop, start, end)

    assert stats.tenant_id == shop.id
    assert (stats.users_total, stats.users_new, stats.users_active) == (4, 2, 2)  # buyer and the referrer moved
    assert amounts(stats.revenue) == [("TOKEN", 30), ("XTR", 100 + 100 - 40 + 50)]
    assert dict(stats.orders_by_status) == {"fulfilled": 2, "partially_refunded": 1, "cancelled": 1, "pending": 1}
    sold = [(p.package_id, p.title, p.orders, p.revenue.asset, p.revenue.amount_minor) for p in stats.top_packages]
    assert sold == [(pack.id, "Package", 2, "XTR", 160), (small.id, "Малый", 1, "XTR", 50)]
    assert amounts(stats.referral_commissions) == [("XTR", 10 + 10 - 4 + 5)]  # 40 % of one clawed back
    assert amounts(stats.payouts) == [("XTR", 7)]
    clock.advance(HOUR)
    default = (await shop.admin.reports.GetTenantStats(pb.GetTenantStatsRequest())).stats  # the last 30 days
    assert (default.users_new, amounts(default.revenue)) == (4, [("TOKEN", 30), ("XTR", 410)])
    await assert_ledger_ok(shop)


async def test_top_packages_are_the_ten_best_sellers(hub: Hub) -> None:
    shop = await hub.new_tenant("Many packages")
    user = (await register(shop, "1")).user.id
    await fund(shop, user, 10_000, "XTR")
    packs = [await token_pack(shop, stars=100 + n, tokens=1) for n in range(12)]
    for pack in [*packs, packs[5]]:
        await pay(shop, (await create_order(shop, user, pack.id)).id)
    stats = (await shop.admin.reports.GetTenantStats(pb.GetTenantStatsRequest())).stats
    sold = [(p.package_id, p.orders, p.revenue.amount_minor) for p in stats.top_packages]
    # Two sales first; then one sale each, the larger revenue first.
    assert sold == [(packs[5].id, 2, 210)] + [(packs[n].id, 1, 100 + n) for n in (11, 10, 9, 8, 7, 6, 4, 3, 2)]
    await assert_ledger_ok(shop)


async def test_stats_of_one_tenant_never_include_another(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    start = clock.now()
    mine, theirs = await hub.new_tenant("Mine"), await hub.new_tenant("Theirs")
    for shop, amount in ((mine, 5), (theirs, 70)):
        user = (await register(shop, "same-id")).user.id
        await fund(shop, user, 100)
        await charge(shop, user, amount)
    pack = await token_pack(theirs)
    await create_order(theirs, (await register(theirs, "other")).user.id, pack.id)
    clock.advance(HOUR)
    stats = await tenant_stats(mine, start, clock.now())
    assert (stats.users_total, stats.users_active, amounts(stats.revenue)) == (1, 1, [("TOKEN", 5)])
    assert (dict(stats.orders_by_status), list(stats.top_packages)) == ({}, [])
    as_platform = hub.client(hub.platform_key, mine.id)
    request = pb.GetTenantStatsRequest(start_time=stamp(start), end_time=stamp(clock.now()))
    assert (await as_platform.reports.GetTenantStats(request)).stats == stats
    await assert_ledger_ok(mine)
    await assert_ledger_ok(theirs)


async def test_platform_stats_list_every_tenant(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    start = clock.now()
    a, b = await hub.new_tenant("Platform A"), await hub.new_tenant("Platform B")
    for shop, users, spent in ((a, 2, 12), (b, 3, 40)):
        for n in range(users):
            user = (await register(shop, f"u{n}")).user.id
            await fund(shop, user, 100)
            await charge(shop, user, spent)
    clock.advance(HOUR)
    request = pb.GetPlatformStatsRequest(start_time=stamp(start), end_time=stamp(clock.now()))
    report = await hub.platform.reports.GetPlatformStats(request)
    listed = {t.tenant_id: t for t in report.tenants}
    for shop in (a, b):
        assert listed[shop.id] == await tenant_stats(shop, start, clock.now())
    assert (listed[a.id].users_total, amounts(listed[a.id].revenue)) == (2, [("TOKEN", 24)])
    assert (listed[b.id].users_total, amounts(listed[b.id].revenue)) == (3, [("TOKEN", 120)])
    assert report.users_total == sum(t.users_total for t in report.tenants)
    totals: dict[str, int] = {}
    for stats in report.tenants:
        for m in stats.revenue:
            totals[m.asset] = totals.get(m.asset, 0) + m.amount_minor
    assert amounts(report.revenue) == sorted((asset, v) for asset, v in totals.items() if v)
    with pytest.raises(PermissionDenied):
        await a.admin.reports.GetPlatformStats(request)
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, a.id))
    with pytest.raises(PermissionDenied):
        await partner.reports.GetTenantStats(pb.GetTenantStatsRequest())
    with pytest.raises(PermissionDenied):
        await partner.reports.GetRevenueSeries(pb.GetRevenueSeriesRequest(asset="TOKEN"))
    await assert_ledger_ok(a)
    await assert_ledger_ok(b)


async def test_revenue_series_has_a_point_per_local_day(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Moscow shop", time_zone="Europe/Moscow")  # UTC+3, no DST
    day = (clock.now() + 2 * DAY).replace(hour=0, minute=0, second=0)  # a UTC midnight, day D
    move_to(clock, day + 20 * HOUR)  # 23:00 in Moscow: still day D there
    user = (await register(shop, "1")).user.id
    await fund(shop, user, 10_000)
    await fund(shop, user, 1_000, "XTR")
    await charge(shop, user, 1000)
    move_to(clock, day + dt.timedelta(hours=22, minutes=30))  # 01:30 on D+1 in Moscow
    await charge(shop, user, 30)
    pack = await token_pack(shop, stars=100, tokens=10)
    order = (await create_order(shop, user, pack.id)).id
    await pay(shop, order)
    move_to(clock, day + DAY + 20 * HOUR)  # 23:00 on D+1 in Moscow
    await charge(shop, user, 5)
    move_to(clock, day + 3 * DAY + 10 * HOUR)  # 13:00 on D+3 in Moscow
    await charge(shop, user, 7)
    await refund(shop, order, 60)
    local = [(day + n * DAY).date().isoformat() for n in range(6)]
    midnight = day - 3 * HOUR  # Moscow's midnight of day D, in UTC

    # Moscow days D+1 .. D+4; D's late charge is before the period, D+5 starts at the end.
    assert await series(shop, "TOKEN", midnight + DAY, midnight + 5 * DAY) == [
        (local[1], 35),
        (local[2], 0),
        (local[3], 7),
        (local[4], 0),
    ]
    assert await series(shop, "XTR", midnight + DAY, midnight + 5 * DAY) == [
        (local[1], 100),
        (local[2], 0),
        (local[3], -60),
        (local[4], 0),
    ]
    # A period starting mid-day touches that day; the series sums to the period's revenue.
    since_noon = await series(shop, "TOKEN", day + 12 * HOUR, midnight + 5 * DAY)
    assert since_noon == [(local[0], 1000), (local[1], 35), (local[2], 0), (local[3], 7), (local[4], 0)]
    stats = await tenant_stats(shop, day + 12 * HOUR, midnight + 5 * DAY)
    assert amounts(stats.revenue) == [("TOKEN", 1042), ("XTR", 40)]
    # Unset: the 30 days up to now (14:00 in Moscow), 31 local days.
    clock.advance(HOUR)
    last_month = await shop.admin.reports.GetRevenueSeries(pb.GetRevenueSeriesRequest(asset="token"))
    assert (len(last_month.points), last_month.points[-1].date) == (31, local[3])
    assert sum(p.revenue.amount_minor for p in last_month.points) == 1042
    await assert_ledger_ok(shop)


async def test_revenue_series_in_a_half_hour_time_zone(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Kolkata shop", time_zone="Asia/Kolkata")  # UTC+5:30
    day = (clock.now() + 2 * DAY).replace(hour=0, minute=0, second=0)
    user = (await register(shop, "1")).user.id
    await fund(shop, user, 100)
    move_to(clock, day + dt.timedelta(hours=18, minutes=15))  # 23:45 in Kolkata
    await charge(shop, user, 1)
    move_to(clock, day + dt.timedelta(hours=18, minutes=45))  # 00:15 on the next day there
    await charge(shop, user, 2)
    points = await series(shop, "TOKEN", day, day + DAY)
    assert points == [(day.date().isoformat(), 1), ((day + DAY).date().isoformat(), 2)]
    await assert_ledger_ok(shop)


async def test_bad_report_requests_are_refused(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad reports")
    now = dt.datetime.now(dt.UTC)
    backwards = {"start_time": stamp(now), "end_time": stamp(now - HOUR)}
    with pytest.raises(InvalidArgument) as error:
        await shop.admin.reports.GetTenantStats(pb.GetTenantStatsRequest(**backwards))
    assert [v.field for v in error.value.field_violations] == ["end_time"]
    with pytest.raises(InvalidArgument):
        await shop.admin.reports.GetTenantStats(pb.GetTenantStatsRequest(start_time=stamp(now), end_time=stamp(now)))
    with pytest.raises(InvalidArgument):
        await hub.platform.reports.GetPlatformStats(pb.GetPlatformStatsRequest(**backwards))
    with pytest.raises(InvalidArgument):
        await shop.admin.reports.GetRevenueSeries(pb.GetRevenueSeriesRequest(asset="TOKEN", **backwards))
    with pytest.raises(InvalidArgument) as error:
        await shop.admin.reports.GetRevenueSeries(pb.GetRevenueSeriesRequest())
    assert [v.field for v in error.value.field_violations] == ["asset"]
    with pytest.raises(InvalidArgument):
        await shop.admin.reports.GetRevenueSeries(pb.GetRevenueSeriesRequest(asset="no such!"))
    with pytest.raises(NotFound) as missing:
        await shop.admin.reports.GetRevenueSeries(pb.GetRevenueSeriesRequest(asset="RUB"))
    assert missing.value.reason == "ASSET_NOT_FOUND"
    too_long = pb.GetRevenueSeriesRequest(asset="TOKEN", start_time=stamp(now - 367 * DAY), end_time=stamp(now))
    with pytest.raises(InvalidArgument) as error:
        await shop.admin.reports.GetRevenueSeries(too_long)
    assert [v.field for v in error.value.field_violations] == ["end_time"]
    year = pb.GetRevenueSeriesRequest(asset="TOKEN", start_time=stamp(now - 366 * DAY), end_time=stamp(now))
    points = (await shop.admin.reports.GetRevenueSeries(year)).points
    assert len(points) in (366, 367) and all(p.revenue.amount_minor == 0 for p in points)
