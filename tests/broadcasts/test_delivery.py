"""Leasing and reporting, as gateways that race and restart meet it: concurrent leases get disjoint
recipients, a lease that ends unreported hands its recipients out again, and every recipient
counts exactly once however often, and however concurrently, its outcome is reported."""

from __future__ import annotations

import asyncio
import datetime as dt

from core_server.domain.clock import FrozenClock
from sdk.billinghub.v1 import broadcast_pb2 as b
from tests.broadcasts.broadcasts import (
    BLOCKED,
    FAILED,
    SENT,
    St,
    gateway_of,
    get,
    lease,
    report,
    results,
    send_all,
    started,
    telegram_users,
)
from tests.hub import Hub


async def test_concurrent_leases_get_disjoint_recipients(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast race")
    await telegram_users(shop, 300, first=10_000)
    gateways = [await gateway_of(hub, shop) for _ in range(3)]
    broadcast = await started(shop.admin)
    leases = await asyncio.gather(*(lease(gateways[n % 3], broadcast.id, 30) for n in range(14)))
    handed = [r.recipient_id for leased in leases for r in leased.recipients]
    assert len(handed) == len(set(handed)) == 300  # 14 x 30 asked, each of the 300 once
    assert sorted(r.chat_id for leased in leases for r in leased.recipients) == list(range(10_000, 10_300))
    reports = [
        report(gateways[n % 3], broadcast.id, results(leased.recipients))
        for n, leased in enumerate(leases)
        if leased.recipients
    ]
    await asyncio.gather(*reports)
    done = await get(shop.admin, broadcast.id)
    assert (done.status, done.sent, done.left) == (St.BROADCAST_STATUS_FINISHED, 300, 0)


async def test_a_lease_that_ends_unreported_is_handed_out_again_and_counts_once(
    clocked_hub: Hub, clock: FrozenClock
) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Broadcast restart")
    await telegram_users(shop, 6, first=20_000)
    crashed, restarted = await gateway_of(hub, shop), await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    lost = (await lease(crashed, max_recipients=4, lease_seconds=30)).recipients  # then the gateway dies
    assert len(lost) == 4
    assert len((await lease(restarted, lease_seconds=60)).recipients) == 2  # the four are still held
    clock.advance(dt.timedelta(seconds=29))
    assert (await lease(restarted)).recipients == []
    clock.advance(dt.timedelta(seconds=2))  # the crashed gateway's lease has ended
    again = (await lease(restarted)).recipients
    assert [r.recipient_id for r in again] == [r.recipient_id for r in lost]
    assert (await report(restarted, broadcast.id, results(again))).recorded == 4
    late = await report(crashed, broadcast.id, results(lost, BLOCKED))  # a late report of the same four
    assert late.recorded == 0
    assert (late.broadcast.sent, late.broadcast.blocked, late.broadcast.left) == (4, 0, 2)
    clock.advance(dt.timedelta(seconds=31))
    assert len(await send_all(restarted)) == 2  # the other two, whose lease ended too
    done = await get(shop.admin, broadcast.id)
    assert (done.status, done.sent, done.blocked, done.failed) == (St.BROADCAST_STATUS_FINISHED, 6, 0, 0)


async def test_repeated_and_concurrent_reports_count_once_and_the_first_outcome_wins(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast reports")
    await telegram_users(shop, 40, first=30_000)
    bot = await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    leased = (await lease(bot, max_recipients=40)).recipients
    half = list(leased[:20])
    first = await report(bot, broadcast.id, results(half), request_id="batch-1")
    assert first.recorded == 20
    assert await report(bot, broadcast.id, results(half), request_id="batch-1") == first  # a replay
    assert (await report(bot, broadcast.id, results(half, BLOCKED))).recorded == 0  # sent stays sent
    doubled = [*results(leased[20:30]), *results(leased[20:30], BLOCKED)]  # the first entry counts
    assert (await report(bot, broadcast.id, doubled)).recorded == 10
    rest = results(leased[30:])
    recorded = await asyncio.gather(*(report(bot, broadcast.id, rest) for _ in range(6)))
    assert sum(r.recorded for r in recorded) == 10
    done = await get(shop.admin, broadcast.id)
    assert (done.status, done.sent, done.blocked, done.failed) == (St.BROADCAST_STATUS_FINISHED, 40, 0, 0)
    assert all(r.broadcast.sent <= 40 for r in recorded)


async def test_a_broadcast_with_many_recipients_goes_out_in_full_batches(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast batches")
    await telegram_users(shop, 1200, first=40_000)
    bot = await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    leased = await lease(bot, max_recipients=1000)
    assert len(leased.recipients) == 1000
    outcomes = [
        b.BroadcastResult(recipient_id=r.recipient_id, outcome=BLOCKED if r.recipient_id % 100 == 0 else SENT)
        for r in leased.recipients
    ]
    for n in range(5, 1000, 100):  # failures, each with Telegram's own words
        outcomes[n] = b.BroadcastResult(recipient_id=n + 1, outcome=FAILED, error=f"Bad Request: error {n}")
    assert (await report(bot, broadcast.id, outcomes)).recorded == 1000
    assert len(await send_all(bot, broadcast.id, batch=1000)) == 200
    done = await get(shop.admin, broadcast.id)
    assert (done.status, done.sent, done.blocked, done.failed, done.left) == (
        St.BROADCAST_STATUS_FINISHED,
        1180,
        10,
        10,
        0,
    )
