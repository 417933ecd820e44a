"""Who may run broadcasts, and what bad input gets: a gateway key only on behalf of a bot admin
holding the broadcast permission (leasing and reporting are its own work), no partner at all,
another tenant's broadcast NOT_FOUND, and a clear INVALID_ARGUMENT that changes nothing."""

from __future__ import annotations

import pytest

from sdk import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import broadcast_pb2 as b
from sdk.billinghub.v1 import broadcast_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from tests.bots_core.bots import P, admin, set_admins
from tests.broadcasts.broadcasts import (
    ALL,
    SENT,
    St,
    create,
    gateway_of,
    get,
    lease,
    report,
    results,
    start,
    started,
    telegram_users,
)
from tests.hub import Hub

SENDER, VIEWER = 601, 602


def fields(error: InvalidArgument) -> set[str]:
    return {v.field for v in error.field_violations}


async def test_a_gateway_runs_broadcasts_only_for_an_admin_with_the_permission(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast staff")
    await set_admins(shop, [admin(SENDER, P.ADMIN_PERMISSION_BROADCAST), admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    await telegram_users(shop, 2, first=50_000)
    bot = await gateway_of(hub, shop)
    draft = await create(shop.admin)

    with pytest.raises(PermissionDenied) as caught:
        await create(bot)
    assert caught.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as caught:
        await start(bot, draft.id)
    assert caught.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as caught:
        await start(bot.on_behalf_of(VIEWER), draft.id)
    assert (caught.value.reason, caught.value.metadata["permission"]) == ("ADMIN_PERMISSION_MISSING", "broadcast")
    with pytest.raises(PermissionDenied):
        await create(bot.on_behalf_of(VIEWER))
    assert (await get(shop.admin, draft.id)).status == St.BROADCAST_STATUS_DRAFT
    listed = await shop.admin.broadcasts.ListBroadcasts(pb.ListBroadcastsRequest())
    assert [x.id for x in listed.broadcasts] == [draft.id]

    sender = bot.on_behalf_of(SENDER)
    own = await create(sender, "From the bot")
    assert own.created_by == f"telegram:{SENDER}"
    assert (await start(sender, own.id)).status == St.BROADCAST_STATUS_RUNNING
    leased = await lease(bot)  # the gateway's own work: no admin behind it
    assert len(leased.recipients) == 2
    assert (await report(bot, own.id, results(leased.recipients))).broadcast.status == St.BROADCAST_STATUS_FINISHED

    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    for call in (create(partner), lease(partner), get(partner, own.id)):
        with pytest.raises(PermissionDenied) as caught:
            await call
        assert caught.value.reason == "ROLE_NOT_ALLOWED"


async def test_another_tenants_broadcast_is_not_found(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast owner")
    await telegram_users(shop, 2, first=51_000)
    broadcast = await started(shop.admin)
    other = await hub.new_tenant("Broadcast stranger")
    stranger_bot = await gateway_of(hub, other)
    calls = [
        get(other.admin, broadcast.id),
        start(other.admin, broadcast.id),
        other.admin.broadcasts.PauseBroadcast(pb.PauseBroadcastRequest(broadcast_id=broadcast.id)),
        other.admin.broadcasts.CancelBroadcast(pb.CancelBroadcastRequest(broadcast_id=broadcast.id)),
        other.admin.broadcasts.CountBroadcastAudience(pb.CountBroadcastAudienceRequest(broadcast_id=broadcast.id)),
        lease(stranger_bot, broadcast.id),
        report(stranger_bot, broadcast.id, [b.BroadcastResult(recipient_id=1, outcome=SENT)]),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            await call  # type: ignore[misc]
        assert caught.value.reason == "BROADCAST_NOT_FOUND"
    assert not (await lease(stranger_bot)).HasField("broadcast")  # no running broadcast of its own
    assert (await other.admin.broadcasts.ListBroadcasts(pb.ListBroadcastsRequest())).broadcasts == []
    after = await get(shop.admin, broadcast.id)
    assert (after.status, after.sent, after.left) == (St.BROADCAST_STATUS_RUNNING, 0, 2)


async def test_bad_drafts_are_refused_with_every_field_and_nothing_is_created(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast bad drafts")
    long_caption = "x" * 1025
    cases: list[tuple[pb.CreateBroadcastRequest, set[str]]] = [
        (pb.CreateBroadcastRequest(segment=ALL), {"content"}),
        (pb.CreateBroadcastRequest(content=b.BroadcastContent(text="hi")), {"segment"}),
        (
            pb.CreateBroadcastRequest(
                content=b.BroadcastContent(
                    text="",
                    button=b.BroadcastButton(text="", url="http://example.com"),
                    parse_mode=7,  # type: ignore[arg-type]
                ),
                segment=b.BroadcastSegment(kind=b.BROADCAST_SEGMENT_KIND_LANGUAGE, inactive_days=3),
            ),
            {
                "content.text",
                "content.button.text",
                "content.button.url",
                "content.parse_mode",
                "segment.language",
                "segment.inactive_days",
            },
        ),
        (
            pb.CreateBroadcastRequest(
                content=b.BroadcastContent(text="y" * 4097),
                segment=b.BroadcastSegment(kind=b.BROADCAST_SEGMENT_KIND_INACTIVE),
            ),
            {"content.text", "segment.inactive_days"},
        ),
        (
            pb.CreateBroadcastRequest(
                content=b.BroadcastContent(text=long_caption, photo="https://cdn.example.com/sale.jpg"),
                segment=b.BroadcastSegment(kind=b.BROADCAST_SEGMENT_KIND_LANGUAGE, language="English"),
            ),
            {"content.text", "segment.language"},
        ),
        (
            pb.CreateBroadcastRequest(
                content=b.BroadcastContent(text="hi", photo="not a file id!"),
                segment=b.BroadcastSegment(kind=99),  # type: ignore[arg-type]
            ),
            {"content.photo", "segment.kind"},
        ),
    ]
    for request, expected in cases:
        with pytest.raises(InvalidArgument) as caught:
            await shop.admin.broadcasts.CreateBroadcast(request)
        assert fields(caught.value) == expected, request
    assert (await shop.admin.broadcasts.ListBroadcasts(pb.ListBroadcastsRequest())).broadcasts == []
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.broadcasts.CountBroadcastAudience(pb.CountBroadcastAudienceRequest(broadcast_id="nope"))
    assert fields(caught.value) == {"broadcast_id"}
    captioned = await create(
        shop.admin,
        "x" * 1024,
        photo="https://cdn.example.com/sale.jpg",
        button=b.BroadcastButton(text="Shop", url="https://shop.example.com"),
    )
    assert captioned.content.button.url == "https://shop.example.com"


async def test_bad_leases_and_reports_are_refused_and_change_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast bad reports")
    await telegram_users(shop, 3, first=52_000)
    bot = await gateway_of(hub, shop)
    draft = await create(shop.admin)
    with pytest.raises(FailedPrecondition) as caught:
        await report(bot, draft.id, [b.BroadcastResult(recipient_id=1, outcome=SENT)])
    assert caught.value.reason == "BROADCAST_NOT_STARTED"
    await start(shop.admin, draft.id)
    with pytest.raises(InvalidArgument) as caught:
        await lease(bot, max_recipients=1001, lease_seconds=5)
    assert fields(caught.value) == {"max_recipients", "lease_seconds"}
    leased = (await lease(bot, max_recipients=1)).recipients
    before = await get(shop.admin, draft.id)
    bad_reports: list[tuple[list[b.BroadcastResult], set[str]]] = [
        ([], {"results"}),
        (results(leased) * 1001, {"results"}),
        (
            [
                b.BroadcastResult(recipient_id=0, outcome=SENT),
                b.BroadcastResult(recipient_id=1),
                b.BroadcastResult(recipient_id=2, outcome=SENT, error="\x00"),
            ],
            {"results[0].recipient_id", "results[1].outcome", "results[2].error"},
        ),
        ([*results(leased), b.BroadcastResult(recipient_id=4, outcome=SENT)], {"results"}),  # there are 3
    ]
    for outcomes, expected in bad_reports:
        with pytest.raises(InvalidArgument) as caught:
            await report(bot, draft.id, outcomes)
        assert fields(caught.value) == expected
    assert await get(shop.admin, draft.id) == before
    assert (await report(bot, draft.id, results(leased))).recorded == 1
