"""A broadcast from draft to finished, as an admin and the bot gateway meet it: the audience frozen
at start, recipients leased in batches and reported, progress and events in the core; pause,
resume, cancel, and a second broadcast queued behind the first."""

from __future__ import annotations

import asyncio

import pytest

from sdk import FailedPrecondition
from sdk.billinghub.v1 import broadcast_pb2 as b
from sdk.billinghub.v1 import broadcast_service_pb2 as pb
from sdk.billinghub.v1 import common_pb2
from sdk.billinghub.v1 import gateway_service_pb2 as gateway_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.broadcasts.broadcasts import (
    BLOCKED,
    FAILED,
    St,
    broadcast_events,
    create,
    gateway_of,
    get,
    lease,
    register,
    report,
    results,
    send_all,
    start,
    started,
    telegram_users,
)
from tests.hub import Hub, TenantHandle


async def test_a_broadcast_reaches_every_user_once_and_finishes(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast lifecycle")
    users = await telegram_users(shop, 5, first=7001)
    await register(shop.admin, "site-user", platform=common_pb2.PLATFORM_WEB)  # no chat to send to
    gone = await register(shop.admin, "7100")
    await shop.admin.users.SetUserBotBlocked(users_pb.SetUserBotBlockedRequest(user_id=gone, bot_blocked=True))
    banned = await register(shop.admin, "7101")
    await shop.admin.users.UpdateUser(
        users_pb.UpdateUserRequest(user_id=banned, blocked=True, update_mask={"paths": ["blocked"]})
    )
    bot = await gateway_of(hub, shop)

    draft = await create(shop.admin, "<b>Sale</b>", parse_mode=b.BROADCAST_PARSE_MODE_HTML)
    assert (draft.status, draft.audience, draft.left) == (St.BROADCAST_STATUS_DRAFT, 0, 0)
    assert draft.content.parse_mode == b.BROADCAST_PARSE_MODE_HTML
    assert draft.created_by.startswith("tenant_admin:")
    counted = await shop.admin.broadcasts.CountBroadcastAudience(
        pb.CountBroadcastAudienceRequest(broadcast_id=draft.id)
    )
    assert counted.audience == 5
    assert (await lease(bot)).recipients == []  # nothing runs yet

    running = await start(shop.admin, draft.id)
    assert (running.status, running.audience, running.left) == (St.BROADCAST_STATUS_RUNNING, 5, 5)
    assert running.HasField("start_time")
    first = await lease(bot, max_recipients=2)
    assert first.broadcast.id == draft.id and first.broadcast.content.text == "<b>Sale</b>"
    assert [r.recipient_id for r in first.recipients] == [1, 2]
    rest = await lease(bot, draft.id, max_recipients=10)
    assert len(rest.recipients) == 3
    assert (await lease(bot)).recipients == []  # all five are leased
    leased = list(first.recipients) + list(rest.recipients)
    assert sorted(r.chat_id for r in leased) == [7001, 7002, 7003, 7004, 7005]
    assert {r.user_id for r in leased} == set(users)
    assert {r.language for r in leased} == {"en"}

    await report(bot, draft.id, results(leased[:3]))
    blocked = leased[3]
    progress = (
        await report(bot, draft.id, results([blocked], BLOCKED, "Forbidden: bot was blocked by the user"))
    ).broadcast
    assert (progress.status, progress.sent, progress.blocked, progress.left) == (St.BROADCAST_STATUS_RUNNING, 3, 1, 1)
    done = await report(bot, draft.id, results(leased[4:], FAILED, "Bad Request: chat not found"))
    assert done.recorded == 1
    finished = done.broadcast
    assert (finished.status, finished.sent, finished.blocked, finished.failed, finished.left) == (
        St.BROADCAST_STATUS_FINISHED,
        3,
        1,
        1,
        0,
    )
    assert finished.HasField("end_time")
    assert await get(shop.admin, draft.id) == finished
    marked = await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id=blocked.user_id))
    assert marked.user.bot_blocked and marked.user.HasField("bot_blocked_time")
    assert await broadcast_events(shop, draft.id) == ["broadcast.started", "broadcast.finished"]


async def test_pause_stops_leasing_and_resume_continues(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast pause")
    await telegram_users(shop, 4, first=7201)
    bot = await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    in_flight = (await lease(bot, max_recipients=1)).recipients

    paused = await shop.admin.broadcasts.PauseBroadcast(pb.PauseBroadcastRequest(broadcast_id=broadcast.id))
    assert paused.broadcast.status == St.BROADCAST_STATUS_PAUSED
    assert (await lease(bot)).recipients == []  # the running one: none
    named = await lease(bot, broadcast.id)
    assert (named.broadcast.status, list(named.recipients)) == (St.BROADCAST_STATUS_PAUSED, [])
    assert (await report(bot, broadcast.id, results(in_flight))).recorded == 1  # a lease given still reports
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.broadcasts.PauseBroadcast(pb.PauseBroadcastRequest(broadcast_id=broadcast.id))
    assert caught.value.reason == "BROADCAST_NOT_RUNNING"

    resumed = await shop.admin.broadcasts.ResumeBroadcast(pb.ResumeBroadcastRequest(broadcast_id=broadcast.id))
    assert resumed.broadcast.status == St.BROADCAST_STATUS_RUNNING
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.broadcasts.ResumeBroadcast(pb.ResumeBroadcastRequest(broadcast_id=broadcast.id))
    assert caught.value.reason == "BROADCAST_NOT_PAUSED"
    assert sorted(await send_all(bot) + [in_flight[0].chat_id]) == [7201, 7202, 7203, 7204]
    final = await get(shop.admin, broadcast.id)
    assert (final.status, final.sent, final.left) == (St.BROADCAST_STATUS_FINISHED, 4, 0)
    assert await broadcast_events(shop, broadcast.id) == [
        "broadcast.started",
        "broadcast.paused",
        "broadcast.resumed",
        "broadcast.finished",
    ]


async def test_a_second_broadcast_queues_and_starts_when_the_first_ends(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast queue")
    await telegram_users(shop, 3, first=7301)
    bot = await gateway_of(hub, shop)
    first = await started(shop.admin, text="first")
    second = await started(shop.admin, text="second")
    third = await started(shop.admin, text="third")
    assert (first.status, second.status, third.status) == (
        St.BROADCAST_STATUS_RUNNING,
        St.BROADCAST_STATUS_QUEUED,
        St.BROADCAST_STATUS_QUEUED,
    )
    assert second.audience == 3 and not second.HasField("start_time")
    assert (await lease(bot, second.id)).recipients == []  # queued: nothing handed out

    assert sorted(await send_all(bot, first.id)) == [7301, 7302, 7303]
    assert (await get(shop.admin, first.id)).status == St.BROADCAST_STATUS_FINISHED
    now_running = await get(shop.admin, second.id)
    assert now_running.status == St.BROADCAST_STATUS_RUNNING and now_running.HasField("start_time")
    assert (await lease(bot, max_recipients=1)).broadcast.content.text == "second"

    cancelled = await shop.admin.broadcasts.CancelBroadcast(pb.CancelBroadcastRequest(broadcast_id=second.id))
    assert (cancelled.broadcast.status, cancelled.broadcast.left) == (St.BROADCAST_STATUS_CANCELLED, 3)
    assert (await get(shop.admin, third.id)).status == St.BROADCAST_STATUS_RUNNING
    assert await broadcast_events(shop, second.id) == ["broadcast.started", "broadcast.cancelled"]
    listed = await shop.admin.broadcasts.ListBroadcasts(pb.ListBroadcastsRequest())
    assert [x.id for x in listed.broadcasts] == [third.id, second.id, first.id]
    only = await shop.admin.broadcasts.ListBroadcasts(pb.ListBroadcastsRequest(status=St.BROADCAST_STATUS_FINISHED))
    assert [x.id for x in only.broadcasts] == [first.id]


async def test_cancel_stops_handing_out_and_ends_for_good(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast cancel")
    await telegram_users(shop, 3, first=7401)
    bot = await gateway_of(hub, shop)
    broadcast = await started(shop.admin)
    in_flight = (await lease(bot, max_recipients=1)).recipients
    cancel = pb.CancelBroadcastRequest(broadcast_id=broadcast.id)
    cancelled = (await shop.admin.broadcasts.CancelBroadcast(cancel)).broadcast
    assert cancelled.status == St.BROADCAST_STATUS_CANCELLED and cancelled.HasField("end_time")
    assert (await lease(bot, broadcast.id)).recipients == []
    after = (await report(bot, broadcast.id, results(in_flight))).broadcast  # the message already went out
    assert (after.status, after.sent, after.left) == (St.BROADCAST_STATUS_CANCELLED, 1, 2)
    refusals = [
        (
            "BROADCAST_ENDED",
            shop.admin.broadcasts.CancelBroadcast(pb.CancelBroadcastRequest(broadcast_id=broadcast.id)),
        ),
        (
            "BROADCAST_NOT_PAUSED",
            shop.admin.broadcasts.ResumeBroadcast(pb.ResumeBroadcastRequest(broadcast_id=broadcast.id)),
        ),
        (
            "BROADCAST_NOT_DRAFT",
            shop.admin.broadcasts.StartBroadcast(pb.StartBroadcastRequest(broadcast_id=broadcast.id)),
        ),
    ]
    for reason, call in refusals:
        with pytest.raises(FailedPrecondition) as caught:
            await call
        assert caught.value.reason == reason
    assert await get(shop.admin, broadcast.id) == after
    draft = await create(shop.admin)
    dropped = (await shop.admin.broadcasts.CancelBroadcast(pb.CancelBroadcastRequest(broadcast_id=draft.id))).broadcast
    assert (dropped.status, dropped.audience) == (St.BROADCAST_STATUS_CANCELLED, 0)


async def test_concurrent_starts_run_one_broadcast_and_queue_the_rest(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast start race")
    await telegram_users(shop, 2, first=7501)
    bot = await gateway_of(hub, shop)
    drafts = [await create(shop.admin, text=f"news {n}") for n in range(6)]
    starts = await asyncio.gather(*(start(shop.admin, d.id) for d in drafts))
    statuses = sorted(s.status for s in starts)
    assert statuses == [St.BROADCAST_STATUS_QUEUED] * 5 + [St.BROADCAST_STATUS_RUNNING]
    for _ in drafts:  # each runs in turn, one at a time, until all have gone out
        running = [d for d in drafts if (await get(shop.admin, d.id)).status == St.BROADCAST_STATUS_RUNNING]
        assert len(running) == 1
        assert len(await send_all(bot, running[0].id)) == 2
    finished = [(await get(shop.admin, d.id)).status for d in drafts]
    assert finished == [St.BROADCAST_STATUS_FINISHED] * 6


async def test_the_gateway_s_tenant_list_says_whose_broadcast_is_running(hub: Hub) -> None:
    """A sender idles with its bot until a broadcast runs: the tenant list tells a gateway that
    heard no event of it (one started while it was down) which bots have one running."""
    running_shop = await hub.new_tenant("Listed running", bot_token="1001:" + "A" * 35)
    paused_shop = await hub.new_tenant("Listed paused", bot_token="1002:" + "B" * 35)
    for shop in (running_shop, paused_shop):
        await telegram_users(shop, 2)
    await started(running_shop.admin)
    paused = await started(paused_shop.admin)
    await paused_shop.admin.broadcasts.PauseBroadcast(pb.PauseBroadcastRequest(broadcast_id=paused.id))

    async def running(shop: TenantHandle) -> list[bool]:
        listed = await (await gateway_of(hub, shop)).gateway.ListBotTenants(gateway_pb.ListBotTenantsRequest())
        return [bot.broadcast_running for bot in listed.bot_tenants]

    assert await running(running_shop) == [True]
    assert await running(paused_shop) == [False]
