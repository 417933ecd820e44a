"""Events reach tenants' endpoints: signed, with the full event object, retried with backoff until
the receiver recovers or 24 hours pass (dead), redelivered on request, signed with both secrets
during a rotation's grace period; a hanging receiver delays no other endpoint, a redirect is not
followed, and two dispatchers on one database deliver each event once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

import pytest
from google.protobuf import field_mask_pb2

from core_server.domain.clock import FrozenClock
from core_server.domain.webhooks.dispatcher import DispatchPolicy, WebhookDispatcher
from core_server.providers.webhook_http import HttpWebhookSender, webhook_client
from core_server.store.repositories.events import insert_event
from sdk import FailedPrecondition, NotFound
from sdk.billinghub.v1 import event_service_pb2 as events_pb
from sdk.billinghub.v1 import webhook_pb2 as wh
from sdk.billinghub.v1 import webhook_service_pb2 as pb
from tests.hub import Hub
from tests.money import fund, new_user
from tests.webhooks_out.conftest import NewReceiver, add_endpoint, deliveries, step

SUCCEEDED, RETRYING, DEAD = (
    wh.WEBHOOK_DELIVERY_STATUS_SUCCEEDED,
    wh.WEBHOOK_DELIVERY_STATUS_FAILED_RETRYING,
    wh.WEBHOOK_DELIVERY_STATUS_DEAD,
)


async def test_an_event_arrives_signed_with_the_full_object(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver, clock: FrozenClock
) -> None:
    shop = await webhook_hub.new_tenant("Signed")
    await new_user(shop, "before")  # before the endpoint: never sent
    everything, wallets = await receivers(), await receivers()
    await add_endpoint(shop, everything)
    await add_endpoint(shop, wallets, ["wallet.*"])
    user = await new_user(shop, "after")
    await fund(shop, user, 5)
    await step(webhook_hub, dispatcher)

    listed = await shop.admin.events.ListEvents(events_pb.ListEventsRequest())
    after = [e for e in listed.events if e.id > listed.events[0].id]
    # deliveries run side by side (several slots an endpoint): they arrive in any order
    arrived = sorted(everything.events(), key=lambda event: int(event["id"]))
    assert [e["type"] for e in arrived] == [e.type for e in after]
    assert [e["type"] for e in wallets.events()] == ["wallet.credited"]
    registered = arrived[0]
    first = after[0]
    assert registered == {
        "id": str(first.id),
        "type": "user.registered",
        "created_at": first.create_time.ToDatetime(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z"),
        "tenant_id": shop.id,
        "data": json.loads(first.data),
    }
    assert registered["data"]["user_id"] == user
    (headers,) = [r.headers for r in everything.received if r.event is not None and r.event["id"] == str(first.id)]
    assert headers["BillingHub-Event-Id"] == str(first.id)
    assert headers["BillingHub-Event-Type"] == "user.registered"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("BillingHub-Webhooks/")
    assert headers["BillingHub-Signature"].startswith(f"t={int(clock.now().timestamp())},v1=")
    done = await deliveries(shop)
    assert {(d.status, d.attempts, d.last_response_code) for d in done} == {(SUCCEEDED, 1, 200)}
    assert len(done) == len(after) + 1
    await step(webhook_hub, dispatcher)  # nothing new: nothing sent again
    assert len(everything.received) == len(after) and len(wallets.received) == 1


async def test_a_failing_receiver_gets_each_event_once_it_recovers(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver, clock: FrozenClock
) -> None:
    shop = await webhook_hub.new_tenant("Flaky")
    receiver = await receivers()
    await add_endpoint(shop, receiver)
    receiver.status = 500
    await new_user(shop)
    await step(webhook_hub, dispatcher)
    [failed] = await deliveries(shop)
    assert (failed.status, failed.attempts, failed.last_response_code, failed.last_error) == (
        RETRYING,
        1,
        500,
        "answered 500",
    )
    wait = failed.next_attempt_time.ToDatetime(tzinfo=dt.UTC) - clock.now()
    assert dt.timedelta(seconds=9) <= wait <= dt.timedelta(seconds=11)
    await step(webhook_hub, dispatcher)  # not due yet
    assert len(receiver.received) == 1
    receiver.status = 200
    clock.advance(dt.timedelta(seconds=12))
    await step(webhook_hub, dispatcher)
    [delivered] = await deliveries(shop)
    assert (delivered.status, delivered.attempts, delivered.last_error) == (SUCCEEDED, 2, "")
    assert [e["type"] for e in receiver.events()] == ["user.registered", "user.registered"]
    assert len({e["id"] for e in receiver.events()}) == 1  # the same event, the same id


async def test_a_day_of_failures_is_dead_and_redeliver_sends_it_again(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver, clock: FrozenClock
) -> None:
    shop = await webhook_hub.new_tenant("Dead letters")
    receiver = await receivers()
    endpoint = await add_endpoint(shop, receiver)
    receiver.status = 503
    counted_before = _delivery_counts(webhook_hub)
    await new_user(shop)
    for _ in range(20):
        await step(webhook_hub, dispatcher)
        [delivery] = await deliveries(shop)
        if delivery.status == DEAD:
            break
        clock.advance(dt.timedelta(hours=2))
    assert delivery.status == DEAD and not delivery.HasField("next_attempt_time")
    assert 10 <= delivery.attempts == len(receiver.received) <= 14
    with pytest.raises(NotFound) as never:
        await shop.admin.webhooks.RedeliverEvent(  # an event this endpoint never had
            pb.RedeliverEventRequest(endpoint_id=endpoint, event_id=delivery.event_id + 1000)
        )
    assert never.value.reason == "WEBHOOK_DELIVERY_NOT_FOUND"

    receiver.status = 200
    request = pb.RedeliverEventRequest(request_id="again-1", endpoint_id=endpoint, event_id=delivery.event_id)
    again = (await shop.admin.webhooks.RedeliverEvent(request)).webhook_delivery
    assert (await shop.admin.webhooks.RedeliverEvent(request)).webhook_delivery == again  # replayed, not doubled
    assert (again.series, again.status, again.attempts) == (2, wh.WEBHOOK_DELIVERY_STATUS_PENDING, 0)
    await step(webhook_hub, dispatcher)
    statuses = sorted((d.series, d.status) for d in await deliveries(shop))
    assert statuses == [(1, DEAD), (2, SUCCEEDED)]
    counted = _delivery_counts(webhook_hub)  # the core's metrics count each recorded attempt
    assert counted["dead"] - counted_before["dead"] == 1
    assert counted["retrying"] - counted_before["retrying"] == delivery.attempts - 1
    assert counted["succeeded"] - counted_before["succeeded"] == 1
    assert receiver.received[-1].event is not None and receiver.received[-1].event["id"] == str(delivery.event_id)

    await shop.admin.webhooks.UpdateWebhookEndpoint(
        pb.UpdateWebhookEndpointRequest(
            webhook_endpoint=wh.WebhookEndpoint(id=endpoint, enabled=False),
            update_mask=field_mask_pb2.FieldMask(paths=["enabled"]),
        )
    )
    with pytest.raises(FailedPrecondition) as off:
        await shop.admin.webhooks.RedeliverEvent(
            pb.RedeliverEventRequest(endpoint_id=endpoint, event_id=delivery.event_id)
        )
    assert off.value.reason == "WEBHOOK_ENDPOINT_DISABLED"
    sent = len(receiver.received)
    await new_user(shop, "while off")
    await step(webhook_hub, dispatcher)
    assert len(receiver.received) == sent


def _delivery_counts(hub: Hub) -> dict[str, float]:
    registry = hub.deps.metrics.registry
    return {
        outcome: registry.get_sample_value("billinghub_webhook_deliveries_total", {"outcome": outcome}) or 0.0
        for outcome in ("succeeded", "retrying", "dead")
    }


async def test_a_rotation_signs_with_both_secrets_until_the_grace_period_ends(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver, clock: FrozenClock
) -> None:
    shop = await webhook_hub.new_tenant("Rotation")
    receiver = await receivers()
    endpoint = await add_endpoint(shop, receiver)
    old = receiver.secrets[0]
    rotated = await shop.admin.webhooks.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(webhook_endpoint_id=endpoint, grace_period_seconds=3600)
    )
    receiver.secrets.append(rotated.secret)
    await new_user(shop, "during")
    await step(webhook_hub, dispatcher)
    during = receiver.received[-1]
    assert during.headers["BillingHub-Signature"].count("v1=") == 2
    assert during.verified_with == [old, rotated.secret]

    clock.advance(dt.timedelta(seconds=3601))
    await new_user(shop, "after")
    await step(webhook_hub, dispatcher)
    after = receiver.received[-1]
    assert after.headers["BillingHub-Signature"].count("v1=") == 1
    assert after.verified_with == [rotated.secret]
    got = await shop.admin.webhooks.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(webhook_endpoint_id=endpoint))
    assert not got.webhook_endpoint.HasField("previous_secret_expire_time")


async def test_a_hanging_receiver_does_not_delay_another_endpoint(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver
) -> None:
    shop = await webhook_hub.new_tenant("Hanging")
    hanging, healthy = await receivers(), await receivers()
    hanging.delay = 3.0  # past the dispatcher's 1 s deadline
    await add_endpoint(shop, hanging)
    healthy_id = await add_endpoint(shop, healthy)
    await new_user(shop)
    await webhook_hub.events_settled()
    running = asyncio.create_task(dispatcher.run_due())
    await asyncio.wait_for(healthy.arrived.wait(), 0.5)
    for _ in range(50):  # its outcome is written as soon as it is known, not after the hanging one
        done = await deliveries(shop, healthy_id)
        if done[0].status == SUCCEEDED:
            break
        await asyncio.sleep(0.01)
    assert done[0].status == SUCCEEDED and not running.done()
    await running
    slow = [d for d in await deliveries(shop) if d.endpoint_id != healthy_id]
    assert [(d.status, d.last_response_code, d.last_error) for d in slow] == [(RETRYING, 0, "timed out after 1 s")]


async def test_a_redirect_is_a_failure_and_is_not_followed(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver
) -> None:
    shop = await webhook_hub.new_tenant("Redirect")
    receiver = await receivers()
    await add_endpoint(shop, receiver)
    receiver.status, receiver.location = 302, receiver.url.replace("/hook", "/elsewhere")
    await new_user(shop)
    await step(webhook_hub, dispatcher)
    assert [r.path for r in receiver.received] == ["/hook"]
    [failed] = await deliveries(shop)
    assert (failed.status, failed.last_response_code) == (RETRYING, 302)
    assert "redirects are not followed" in failed.last_error


async def test_two_dispatchers_on_one_database_deliver_each_event_once(
    webhook_hub: Hub, receivers: NewReceiver
) -> None:
    shop = await webhook_hub.new_tenant("Replicas")
    receiver = await receivers()
    await add_endpoint(shop, receiver)
    for n in range(12):
        await new_user(shop, f"u{n}")
    await webhook_hub.events_settled()
    clients = [webhook_client(allow_loopback=True) for _ in range(2)]
    replicas = [
        WebhookDispatcher(webhook_hub.deps, HttpWebhookSender(c), DispatchPolicy(timeout=2.0, per_endpoint=3))
        for c in clients
    ]
    try:
        for _ in range(6):
            await asyncio.gather(*(replica.run_due() for replica in replicas))
    finally:
        for c in clients:
            await c.aclose()
    ids = [e["id"] for e in receiver.events()]
    assert len(ids) == len(set(ids)) == 12
    assert {(d.status, d.attempts) for d in await deliveries(shop)} == {(SUCCEEDED, 1)}


async def test_an_event_committed_late_is_not_skipped(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver, clock: FrozenClock
) -> None:
    if webhook_hub.deps.db.dialect != "postgresql":
        pytest.skip("SQLite serializes writers: no transaction commits behind another")
    shop = await webhook_hub.new_tenant("Late commit")
    receiver = await receivers()
    await add_endpoint(shop, receiver)
    async with webhook_hub.deps.uow() as late:  # an event written first, committed last
        await insert_event(late, uuid.UUID(shop.id), "test.late", "{}", clock.now())
        await new_user(shop)
        await dispatcher.run_due()  # the later event is not readable yet: the cursor stays before both
        assert receiver.received == []
        await late.commit()
    await step(webhook_hub, dispatcher)
    assert sorted(e["type"] for e in receiver.events()) == ["test.late", "user.registered"]


async def test_without_the_loopback_exception_a_loopback_address_is_refused_at_send_time(
    webhook_hub: Hub, receivers: NewReceiver
) -> None:
    shop = await webhook_hub.new_tenant("Public only")
    receiver = await receivers()
    await add_endpoint(shop, receiver)  # (the core's setting allowed the URL; the sender below does not)
    client = webhook_client(allow_loopback=False)
    strict = WebhookDispatcher(webhook_hub.deps, HttpWebhookSender(client), DispatchPolicy(timeout=2.0))
    try:
        await new_user(shop)
        await step(webhook_hub, strict)
    finally:
        await client.aclose()
    assert receiver.received == []
    [refused] = await deliveries(shop)
    assert (refused.status, refused.last_error) == (RETRYING, "refused: the host is not a public address")


async def test_one_worker_step_sends_a_backlog_to_one_endpoint_as_slots_free_up(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver
) -> None:
    """A busy tenant writes many events a second to one endpoint: the worker's step refills each
    slot an answer frees instead of sending `per_endpoint` deliveries a tick (4 a second)."""
    shop = await webhook_hub.new_tenant("Backlog")
    receiver = await receivers()
    await add_endpoint(shop, receiver, ["wallet.credited"])
    user = await new_user(shop)
    backlog = 3 * dispatcher.policy.per_endpoint * 4
    for _ in range(backlog):
        await fund(shop, user, 1)
    await webhook_hub.events_settled()
    sent = await dispatcher.run_busy()
    await dispatcher.drain()
    assert sent == backlog
    assert len(receiver.received) == backlog
    assert {d.status for d in await deliveries(shop)} == {SUCCEEDED}
