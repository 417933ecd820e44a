"""Giving leased recipients back, as a gateway that stops mid-batch does: a release ends only the
leases its own lease still holds (named by the lease's end, to the microsecond, on SQLite and
PostgreSQL alike), a late release of recipients leased again since changes nothing, bad releases
are refused and change nothing, and a replayed release answers as the first one did."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf import timestamp_pb2

from core_server.domain.clock import FrozenClock
from sdk import InvalidArgument
from sdk.billinghub.v1 import broadcast_pb2 as b
from tests.broadcasts.broadcasts import St, gateway_of, get, lease, report, results, send_all, started, telegram_users
from tests.broadcasts.test_access import fields
from tests.hub import Hub


def ids(recipients: object) -> list[int]:
    return [r.recipient_id for r in recipients]  # type: ignore[attr-defined]


async def test_a_release_ends_only_the_leases_it_still_holds(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Broadcast release")
    await telegram_users(shop, 10, first=60_000)
    stopping, other, third = [await gateway_of(hub, shop) for _ in range(3)]
    broadcast = await started(shop.admin)
    clock.advance(dt.timedelta(microseconds=123_457))  # the lease's end has microseconds to keep
    mine = await lease(stopping, max_recipients=6, lease_seconds=30)
    assert ids(mine.recipients) == [1, 2, 3, 4, 5, 6]
    assert mine.lease_expire_time.ToDatetime(tzinfo=dt.UTC) == clock.now() + dt.timedelta(seconds=30)
    clock.advance(dt.timedelta(microseconds=1))  # another lease, one microsecond later
    theirs = await lease(other, max_recipients=2, lease_seconds=30)
    assert ids(theirs.recipients) == [7, 8]
    assert theirs.lease_expire_time != mine.lease_expire_time

    # it sent 1 and 2, and gives back 2 (reported: stays), 3 to 5 (its own) and 8 (not its lease)
    stopped = await report(
        stopping, broadcast.id, results(mine.recipients[:2]), released=[2, 3, 4, 5, 8], lease_end=mine.lease_expire_time
    )
    assert (stopped.recorded, stopped.released) == (2, 3)
    assert (stopped.broadcast.sent, stopped.broadcast.left) == (2, 8)
    # 3 to 5 are free at once; 6 (not given back) and 7, 8 (the other lease) stay held
    assert ids((await lease(third, max_recipients=10)).recipients) == [3, 4, 5, 9, 10]
    assert (await lease(third)).recipients == []


async def test_a_late_release_of_recipients_leased_again_since_is_ignored(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Broadcast late release")
    await telegram_users(shop, 4, first=61_000)
    slow, fresh, third = [await gateway_of(hub, shop) for _ in range(3)]
    broadcast = await started(shop.admin)
    clock.advance(dt.timedelta(microseconds=654_321))
    stale = await lease(slow, lease_seconds=10)
    clock.advance(dt.timedelta(seconds=11))  # its lease ended: another gateway leases the four
    again = await lease(fresh, lease_seconds=60)
    assert ids(again.recipients) == ids(stale.recipients) == [1, 2, 3, 4]

    late = await report(slow, broadcast.id, [], released=[1, 2, 3, 4], lease_end=stale.lease_expire_time)
    assert (late.recorded, late.released) == (0, 0)
    assert (await lease(third)).recipients == []  # the new holder keeps them: nobody sends twice
    assert (await report(fresh, broadcast.id, results(again.recipients))).recorded == 4
    done = await get(shop.admin, broadcast.id)
    assert (done.status, done.sent, done.left) == (St.BROADCAST_STATUS_FINISHED, 4, 0)


async def test_bad_releases_are_refused_and_change_nothing(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Broadcast bad releases")
    await telegram_users(shop, 3, first=62_000)
    bot, other = await gateway_of(hub, shop), await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    clock.advance(dt.timedelta(microseconds=5))
    held = await lease(bot, max_recipients=2)
    end = held.lease_expire_time
    before = await get(shop.admin, broadcast.id)
    bad: list[tuple[list[b.BroadcastResult], list[int], timestamp_pb2.Timestamp | None, set[str]]] = [
        ([], [], None, {"results"}),  # neither results nor releases
        ([], [1, 2], None, {"released_lease_expire_time"}),
        ([], [1, 2], timestamp_pb2.Timestamp(seconds=end.seconds, nanos=-1), {"released_lease_expire_time"}),
        ([], [0, -3, 1], end, {"released_recipient_ids[0]", "released_recipient_ids[1]"}),
        ([], [1, 4], end, {"released_recipient_ids"}),  # there are 3
        ([], [1] * 1001, end, {"released_recipient_ids"}),
        (results(held.recipients), [1, 4], end, {"released_recipient_ids"}),  # the results are not recorded either
    ]
    for outcomes, released, lease_end, expected in bad:
        with pytest.raises(InvalidArgument) as caught:
            await report(bot, broadcast.id, outcomes, released=released, lease_end=lease_end)
        assert fields(caught.value) == expected, (released, lease_end)
    assert await get(shop.admin, broadcast.id) == before
    assert ids((await lease(other)).recipients) == [3]  # 1 and 2 are still held


async def test_a_replayed_release_answers_as_the_first_and_changes_nothing_more(
    clocked_hub: Hub, clock: FrozenClock
) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Broadcast release replay")
    await telegram_users(shop, 5, first=63_000)
    bot, other = await gateway_of(hub, shop), await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    clock.advance(dt.timedelta(microseconds=999_999))
    held = await lease(bot)
    end = held.lease_expire_time
    first = await report(
        bot, broadcast.id, results(held.recipients[:1]), "stop-1", released=[2, 3, 4, 5], lease_end=end
    )
    assert (first.recorded, first.released) == (1, 4)
    assert ids((taken := await lease(other)).recipients) == [2, 3, 4, 5]
    replay = await report(
        bot, broadcast.id, results(held.recipients[:1]), "stop-1", released=[2, 3, 4, 5], lease_end=end
    )
    assert replay == first
    with pytest.raises(InvalidArgument):  # the same id with another request
        await report(bot, broadcast.id, [], "stop-1", released=[2, 3], lease_end=end)
    assert (await lease(bot)).recipients == []  # the other gateway still holds them
    assert len(await send_all(other)) == 0
    assert (await report(other, broadcast.id, results(taken.recipients))).recorded == 4
    done = await get(shop.admin, broadcast.id)
    assert (done.status, done.sent) == (St.BROADCAST_STATUS_FINISHED, 5)
