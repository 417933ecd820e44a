"""The admins' progress messages live in the core (AttachBroadcastProgress), so that a gateway that
restarts, or another replica, edits them on; the final report is claimed once
(ClaimBroadcastReport), however many gateways see the end. Bad input changes nothing; another
tenant's broadcast is NOT_FOUND; the list is bounded."""

from __future__ import annotations

import asyncio

import pytest

from sdk import BillingHubClient, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import broadcast_pb2 as b
from sdk.billinghub.v1 import broadcast_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from tests.bots_core.bots import P, admin, set_admins
from tests.broadcasts.broadcasts import (
    St,
    create,
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

ADMIN, VIEWER = 701, 702


async def attach(
    client: BillingHubClient, broadcast: str, chat_id: int, message_id: int, locale: str = "en", request_id: str = ""
) -> b.Broadcast:
    request = pb.AttachBroadcastProgressRequest(
        request_id=request_id, broadcast_id=broadcast, chat_id=chat_id, message_id=message_id, locale=locale
    )
    return (await client.broadcasts.AttachBroadcastProgress(request)).broadcast


async def claim(client: BillingHubClient, broadcast: str, request_id: str = "") -> pb.ClaimBroadcastReportResponse:
    request = pb.ClaimBroadcastReportRequest(broadcast_id=broadcast, request_id=request_id)
    return await client.broadcasts.ClaimBroadcastReport(request)


def shown(broadcast: b.Broadcast) -> list[tuple[int, int, str]]:
    return [(m.chat_id, m.message_id, m.locale) for m in broadcast.progress_messages]


async def test_progress_messages_are_kept_in_the_core_and_every_answer_carries_them(hub: Hub) -> None:
    shop = await hub.new_tenant("Progress kept")
    await telegram_users(shop, 3, first=70_000)
    broadcast = await started(shop.admin)
    bot = await gateway_of(hub, shop)

    attached = await attach(shop.admin, broadcast.id, 11, 5, "ru")
    assert shown(attached) == [(11, 5, "ru")]
    assert attached.progress_messages[0].attach_time.seconds > 0
    assert shown(await attach(shop.admin, broadcast.id, 11, 5, "uk")) == [(11, 5, "uk")]  # same message: locale
    assert shown(await attach(shop.admin, broadcast.id, 12, 9)) == [(11, 5, "uk"), (12, 9, "en")]
    assert shown(await attach(shop.admin, broadcast.id, 11, 6, "ru")) == [(12, 9, "en"), (11, 6, "ru")]  # the newest

    leased = await lease(bot, max_recipients=1)  # what a gateway restarted half-way reads first
    assert shown(leased.broadcast) == [(12, 9, "en"), (11, 6, "ru")]
    reported = await report(bot, broadcast.id, results(leased.recipients))
    assert shown(reported.broadcast) == [(12, 9, "en"), (11, 6, "ru")]
    assert shown(await get(shop.admin, broadcast.id)) == [(12, 9, "en"), (11, 6, "ru")]
    assert not reported.broadcast.report_claimed


async def test_a_broadcast_keeps_ten_chats_at_most_the_oldest_giving_way(hub: Hub) -> None:
    shop = await hub.new_tenant("Progress bound")
    await telegram_users(shop, 1, first=71_000)
    broadcast = await started(shop.admin)
    for chat in range(1, 13):
        after = await attach(shop.admin, broadcast.id, chat, 100 + chat)
    assert [m.chat_id for m in after.progress_messages] == list(range(3, 13))
    assert [m.chat_id for m in (await get(shop.admin, broadcast.id)).progress_messages] == list(range(3, 13))


async def test_bad_attachments_are_refused_with_every_field_and_change_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Progress bad input")
    await telegram_users(shop, 2, first=72_000)
    draft = await create(shop.admin)
    with pytest.raises(FailedPrecondition) as refused:
        await attach(shop.admin, draft.id, 1, 1)
    assert refused.value.reason == "BROADCAST_NOT_STARTED"
    broadcast = await started(shop.admin)
    await attach(shop.admin, broadcast.id, 1, 1)
    before = await get(shop.admin, broadcast.id)
    cases: list[tuple[str, int, int, str, set[str]]] = [
        ("nope", 1, 1, "en", {"broadcast_id"}),
        (broadcast.id, 0, 0, "", {"chat_id", "message_id", "locale"}),
        (broadcast.id, -5, 2**31, "de", {"chat_id", "message_id", "locale"}),
        (broadcast.id, 2**52 + 1, 1, "EN", {"chat_id", "locale"}),
    ]
    for broadcast_id, chat_id, message_id, locale, expected in cases:
        with pytest.raises(InvalidArgument) as caught:
            await attach(shop.admin, broadcast_id, chat_id, message_id, locale)
        assert {v.field for v in caught.value.field_violations} == expected
    assert await get(shop.admin, broadcast.id) == before

    await shop.admin.broadcasts.CancelBroadcast(pb.CancelBroadcastRequest(broadcast_id=broadcast.id))
    with pytest.raises(FailedPrecondition) as refused:
        await attach(shop.admin, broadcast.id, 2, 2)
    assert refused.value.reason == "BROADCAST_ENDED"
    assert shown(await get(shop.admin, broadcast.id)) == [(1, 1, "en")]


async def test_a_gateway_attaches_only_its_admins_own_chat_and_never_another_tenants(hub: Hub) -> None:
    shop = await hub.new_tenant("Progress access")
    await set_admins(shop, [admin(ADMIN, P.ADMIN_PERMISSION_BROADCAST), admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    await telegram_users(shop, 2, first=73_000)
    broadcast = await started(shop.admin)
    bot = await gateway_of(hub, shop)

    with pytest.raises(PermissionDenied) as denied:
        await attach(bot, broadcast.id, ADMIN, 1)  # no admin behind the call
    assert denied.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as denied:
        await attach(bot.on_behalf_of(VIEWER), broadcast.id, VIEWER, 1)
    assert denied.value.reason == "ADMIN_PERMISSION_MISSING"
    with pytest.raises(InvalidArgument) as caught:
        await attach(bot.on_behalf_of(ADMIN), broadcast.id, VIEWER, 1)  # someone else's chat
    assert [v.field for v in caught.value.field_violations] == ["chat_id"]
    assert shown(await attach(bot.on_behalf_of(ADMIN), broadcast.id, ADMIN, 3, "ru")) == [(ADMIN, 3, "ru")]

    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    for call in (attach(partner, broadcast.id, ADMIN, 4), claim(partner, broadcast.id)):
        with pytest.raises(PermissionDenied) as denied:
            await call
        assert denied.value.reason == "ROLE_NOT_ALLOWED"
    other = await hub.new_tenant("Progress stranger")
    stranger_bot = await gateway_of(hub, other)
    for call in (attach(other.admin, broadcast.id, ADMIN, 5), claim(stranger_bot, broadcast.id)):
        with pytest.raises(NotFound) as missing:
            await call
        assert missing.value.reason == "BROADCAST_NOT_FOUND"
    assert shown(await get(shop.admin, broadcast.id)) == [(ADMIN, 3, "ru")]


async def test_attaching_is_idempotent_by_request_id(hub: Hub) -> None:
    shop = await hub.new_tenant("Progress idempotent")
    await telegram_users(shop, 1, first=74_000)
    broadcast = await started(shop.admin)
    first = await attach(shop.admin, broadcast.id, 1, 10, request_id="attach-1")
    await attach(shop.admin, broadcast.id, 1, 11)  # the admin opened the progress again
    assert await attach(shop.admin, broadcast.id, 1, 10, request_id="attach-1") == first  # a retry: replayed
    assert shown(await get(shop.admin, broadcast.id)) == [(1, 11, "en")]
    with pytest.raises(InvalidArgument) as caught:
        await attach(shop.admin, broadcast.id, 2, 10, request_id="attach-1")
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_the_final_report_is_claimed_once_whatever_the_gateways(hub: Hub) -> None:
    shop = await hub.new_tenant("Progress claim")
    await telegram_users(shop, 2, first=75_000)
    broadcast = await started(shop.admin)
    await attach(shop.admin, broadcast.id, 1, 10)
    replicas = [await gateway_of(hub, shop) for _ in range(3)]
    with pytest.raises(FailedPrecondition) as refused:
        await claim(replicas[0], broadcast.id)
    assert refused.value.reason == "BROADCAST_NOT_ENDED"
    assert not (await get(shop.admin, broadcast.id)).report_claimed
    with pytest.raises(InvalidArgument):
        await claim(replicas[0], "nope")

    await send_all(replicas[0], broadcast.id)
    answers = await asyncio.gather(*(claim(r, broadcast.id, request_id=f"claim-{i}") for i, r in enumerate(replicas)))
    assert sorted(a.claimed for a in answers) == [False, False, True]
    winner = next(i for i, a in enumerate(answers) if a.claimed)
    assert all(shown(a.broadcast) == [(1, 10, "en")] for a in answers)
    assert all(a.broadcast.status == St.BROADCAST_STATUS_FINISHED and a.broadcast.report_claimed for a in answers)
    assert (await claim(replicas[winner], broadcast.id, request_id=f"claim-{winner}")).claimed  # its retry
    assert not (await claim(replicas[winner], broadcast.id)).claimed
