"""Durable consumer cursors: a consumer (the bot's notifier) commits the last event it handled and
resumes after it, so a restart neither loses nor repeats an event; a cursor never moves back,
cursors are per tenant and per consumer, and resuming follows the outbox's delivery order (an
event that committed late, with a smaller id, is not skipped)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from core_server.store.repositories.events import insert_event
from sdk import BillingHubClient, InvalidArgument, PermissionDenied
from sdk.billinghub.v1 import event_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from tests.hub import Hub, TenantHandle
from tests.money import fund, new_user

NOTIFIER = "bot-notifications"


def commit(consumer: str, event_id: int, request_id: str = "") -> pb.CommitEventCursorRequest:
    return pb.CommitEventCursorRequest(consumer=consumer, event_id=event_id, request_id=request_id)


async def cursor_of(client: BillingHubClient, consumer: str = NOTIFIER) -> int:
    return (await client.events.GetEventCursor(pb.GetEventCursorRequest(consumer=consumer))).cursor.event_id


async def settled_ids(hub: Hub, shop: TenantHandle) -> list[int]:
    await hub.events_settled()  # every event written so far is listed
    return [e.id for e in (await shop.admin.events.ListEvents(pb.ListEventsRequest(page_size=1000))).events]


async def gateway_of(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    return hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots"), shop.id)


async def test_a_consumer_commits_and_reads_its_cursor(hub: Hub) -> None:
    shop = await hub.new_tenant("Cursor")
    user = await new_user(shop)
    await fund(shop, user, 5)
    ids = await settled_ids(hub, shop)
    bot = await gateway_of(hub, shop)
    never = await bot.events.GetEventCursor(pb.GetEventCursorRequest(consumer=NOTIFIER))
    assert (never.cursor.consumer, never.cursor.event_id, never.cursor.HasField("update_time")) == (NOTIFIER, 0, False)
    committed = await bot.events.CommitEventCursor(commit(NOTIFIER, ids[1]))
    assert (committed.cursor.event_id, committed.moved) == (ids[1], True)
    assert committed.cursor.HasField("update_time")
    read = await bot.events.GetEventCursor(pb.GetEventCursorRequest(consumer=NOTIFIER))
    assert read.cursor == committed.cursor
    assert await cursor_of(shop.admin) == ids[1]  # the tenant's admin sees the same cursor


async def test_a_cursor_never_moves_backwards_and_a_replay_changes_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Monotonic")
    user = await new_user(shop)
    await fund(shop, user, 5)
    ids = await settled_ids(hub, shop)
    events = shop.admin.events
    ahead = await events.CommitEventCursor(commit(NOTIFIER, ids[2], "c-1"))
    older = await events.CommitEventCursor(commit(NOTIFIER, ids[0]))
    assert (older.cursor, older.moved) == (ahead.cursor, False)  # a late acknowledgement: no-op
    same = await events.CommitEventCursor(commit(NOTIFIER, ids[2]))
    assert (same.cursor, same.moved) == (ahead.cursor, False)
    replayed = await events.CommitEventCursor(commit(NOTIFIER, ids[2], "c-1"))
    assert replayed == ahead  # the same request id answers the first response
    with pytest.raises(InvalidArgument) as reused:
        await events.CommitEventCursor(commit(NOTIFIER, ids[1], "c-1"))
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert await cursor_of(shop.admin) == ids[2]


async def test_concurrent_commits_leave_the_furthest(hub: Hub) -> None:
    shop = await hub.new_tenant("Racing commits")
    user = await new_user(shop)
    for _ in range(5):
        await fund(shop, user, 1)
    ids = await settled_ids(hub, shop)
    await asyncio.gather(*(shop.admin.events.CommitEventCursor(commit(NOTIFIER, i)) for i in reversed(ids)))
    assert await cursor_of(shop.admin) == ids[-1]


async def test_cursors_are_per_consumer_and_per_tenant(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha cursors"), await hub.new_tenant("Beta cursors")
    await new_user(alpha)
    await fund(alpha, await new_user(alpha, "2"), 1)
    await new_user(beta)
    alpha_ids, beta_ids = await settled_ids(hub, alpha), await settled_ids(hub, beta)
    await alpha.admin.events.CommitEventCursor(commit(NOTIFIER, alpha_ids[2]))
    await alpha.admin.events.CommitEventCursor(commit("crm.sync", alpha_ids[0]))
    assert (await cursor_of(alpha.admin), await cursor_of(alpha.admin, "crm.sync")) == (alpha_ids[2], alpha_ids[0])
    assert await cursor_of(beta.admin) == 0  # the same name in another tenant is another cursor
    with pytest.raises(InvalidArgument) as foreign:  # another tenant's event is no position here
        await beta.admin.events.CommitEventCursor(commit(NOTIFIER, alpha_ids[-1]))
    assert foreign.value.field_violations[0].field == "event_id"
    assert await cursor_of(beta.admin) == 0
    await beta.admin.events.CommitEventCursor(commit(NOTIFIER, beta_ids[0]))
    assert await cursor_of(alpha.admin) == alpha_ids[2]  # beta's commit moved only beta's cursor
    resumed = await beta.admin.events.ListEvents(pb.ListEventsRequest(consumer=NOTIFIER))
    assert (list(resumed.events), resumed.last_id) == ([], beta_ids[0])  # alpha's events never show


async def test_resuming_after_the_cursor_lists_and_streams_exactly_the_rest(hub: Hub) -> None:
    shop = await hub.new_tenant("Resume")
    user = await new_user(shop)
    await fund(shop, user, 5)
    ids = await settled_ids(hub, shop)
    bot = await gateway_of(hub, shop)
    fresh = await bot.events.ListEvents(pb.ListEventsRequest(consumer=NOTIFIER))
    assert [e.id for e in fresh.events] == ids  # no cursor yet: from the start
    await bot.events.CommitEventCursor(commit(NOTIFIER, ids[0]))
    listed = await bot.events.ListEvents(pb.ListEventsRequest(consumer=NOTIFIER))
    assert ([e.id for e in listed.events], listed.last_id) == (ids[1:], ids[-1])
    await bot.events.CommitEventCursor(commit(NOTIFIER, ids[1]))
    streamed: list[int] = []

    async def consume(expected: int) -> None:
        watch = bot.events.WatchEvents(pb.WatchEventsRequest(consumer=NOTIFIER))
        try:
            async for item in watch:
                streamed.append(item.event.id)
                if len(streamed) == expected:
                    return
        finally:
            watch.cancel()  # leaving the loop does not end the call

    await asyncio.wait_for(consume(len(ids) - 2), 10)
    assert streamed == ids[2:]
    await bot.events.CommitEventCursor(commit(NOTIFIER, ids[-1]))
    caught_up = await bot.events.ListEvents(pb.ListEventsRequest(consumer=NOTIFIER))
    assert (list(caught_up.events), caught_up.last_id) == ([], ids[-1])


async def test_an_event_committed_late_is_not_skipped_after_a_cursor(hub: Hub) -> None:
    """On PostgreSQL the delivery order is the writing transactions' order: an event whose
    transaction began first is delivered first even when its id is larger. A consumer that
    handled it and committed it still gets the smaller id delivered after it, which a cursor of
    "ids above N" would skip."""
    if hub.deps.db.dialect != "postgresql":
        pytest.skip("SQLite serializes writers: no transaction commits behind another")
    shop = await hub.new_tenant("Late cursor")
    before = await settled_ids(hub, shop)
    async with hub.deps.uow() as late:
        await late.session.execute(text("SELECT pg_current_xact_id()"))  # its transaction id comes first
        registered = await new_user(shop)  # an event with a smaller id, committed at once
        await insert_event(late, uuid.UUID(shop.id), "test.late", "{}", hub.deps.clock.now())  # a larger id
        await late.commit()
    ids = await settled_ids(hub, shop)
    listed = (await shop.admin.events.ListEvents(pb.ListEventsRequest(after_id=before[-1] if before else 0))).events
    assert [e.type for e in listed] == ["test.late", "user.registered"]
    late_event, registration = listed
    assert late_event.id > registration.id and registered in registration.data
    await shop.admin.events.CommitEventCursor(commit(NOTIFIER, late_event.id))
    resumed = await shop.admin.events.ListEvents(pb.ListEventsRequest(consumer=NOTIFIER))
    assert [e.id for e in resumed.events] == [registration.id]
    assert ids[-1] == registration.id  # the delivery order ends with the smaller id


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (commit("", 1), "consumer"),
        (commit("Bot Notifications", 1), "consumer"),
        (commit("x" * 65, 1), "consumer"),
        (commit(NOTIFIER, 0), "event_id"),
        (commit(NOTIFIER, 10**15), "event_id"),
    ],
)
async def test_bad_commits_are_refused_and_change_nothing(
    hub: Hub, request_: pb.CommitEventCursorRequest, field: str
) -> None:
    shop = await hub.new_tenant("Bad cursor")
    await new_user(shop)
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.events.CommitEventCursor(request_)
    assert [v.field for v in caught.value.field_violations] == [field]
    assert await cursor_of(shop.admin) == 0


async def test_bad_reads_and_roles(hub: Hub) -> None:
    shop = await hub.new_tenant("Cursor reads")
    user = await new_user(shop)
    ids = await settled_ids(hub, shop)
    with pytest.raises(InvalidArgument):
        await shop.admin.events.GetEventCursor(pb.GetEventCursorRequest(consumer=""))
    with pytest.raises(InvalidArgument):
        await shop.admin.events.ListEvents(pb.ListEventsRequest(consumer="UPPER"))
    with pytest.raises(InvalidArgument) as both:  # one start, not two
        await shop.admin.events.ListEvents(pb.ListEventsRequest(consumer=NOTIFIER, after_id=ids[0]))
    assert both.value.field_violations[0].field == "after_id"
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    with pytest.raises(PermissionDenied):
        await partner.events.CommitEventCursor(commit(NOTIFIER, ids[0]))
    with pytest.raises(PermissionDenied):
        await partner.events.GetEventCursor(pb.GetEventCursorRequest(consumer=NOTIFIER))
    assert await cursor_of(shop.admin) == 0
    platform_in_tenant = hub.client(hub.platform_key, shop.id)
    moved = await platform_in_tenant.events.CommitEventCursor(commit(NOTIFIER, ids[0]))
    assert moved.cursor.event_id == ids[0] and user
