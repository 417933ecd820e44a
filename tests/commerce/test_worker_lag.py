"""GetWorkerLag (issue 13): how far the core's workers are behind in a tenant, per queue: how many
items are due and how long the oldest has waited, at the core's clock. The workers do not run in
the test core, so what falls due stays due until the test looks; another tenant's backlog is never
counted. Staff only: a gateway acts for a bot admin with the queues permission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.payments.service import FIRST_CHECK
from core_server.domain.webhook_api import PostResult
from core_server.domain.webhooks.dispatcher import WebhookDispatcher
from sdk import PermissionDenied
from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from sdk.billinghub.v1 import order_service_pb2 as opb
from sdk.billinghub.v1 import package_pb2, tenant_pb2
from sdk.billinghub.v1 import report_service_pb2 as pb
from sdk.billinghub.v1 import wallet_service_pb2 as wpb
from sdk.billinghub.v1 import webhook_service_pb2 as hpb
from sdk.client import BillingHubClient
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order
from tests.commerce.test_fulfillment import _input, _service_order
from tests.commerce.test_subscriptions import end_of, plan, subscribe
from tests.hub import Hub, TenantHandle
from tests.money import fund, money, new_user
from tests.payments.shop import open_topup, shop_with_testpay

Q = pb.WorkerQueue
QUEUE_KEEPER, VIEWER = 701, 702


async def lag(client: BillingHubClient) -> dict[int, tuple[int, int]]:
    response = await client.reports.GetWorkerLag(pb.GetWorkerLagRequest())
    assert [b.queue for b in response.backlogs] == list(range(1, 8))  # every queue, in enum order
    for b in response.backlogs:
        assert b.HasField("oldest_due_time") == (b.due > 0)
        if b.due:
            waited = response.read_time.ToDatetime(dt.UTC) - b.oldest_due_time.ToDatetime(dt.UTC)
            assert int(waited.total_seconds()) == b.oldest_due_seconds
    return {b.queue: (b.due, b.oldest_due_seconds) for b in response.backlogs}


class NeverSent:
    """A sender the fan-out needs to exist and never calls (nothing is dispatched here)."""

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, deadline: float) -> PostResult:
        raise AssertionError("no delivery is sent in these tests")


async def seeded(hub: Hub, clock: FrozenClock, name: str) -> TenantHandle:
    """A tenant whose workers have work waiting: two pending orders and a hold past their expiry,
    a queued service task and a task whose lease ran out, and a webhook delivery due."""
    shop = await hub.new_tenant(name)
    package = (await token_pack(shop)).id
    buyer = await new_user(shop, "41")
    await create_order(shop, buyer, package)  # expires after the default 3600 s
    await fund(shop, buyer, 100)
    await shop.admin.wallet.CreateHold(wpb.CreateHoldRequest(user_id=buyer, amount=money(10), ttl_seconds=1800))
    _user, service = await _service_order(shop, posts_per_day=5)
    await shop.admin.orders.SubmitServiceInput(_input(service, 1))
    await shop.admin.orders.SubmitServiceInput(_input(service, 2))
    await shop.admin.fulfillment.LeaseTasks(
        fpb.LeaseTasksRequest(kind=package_pb2.PACKAGE_KIND_SERVICE, max_tasks=1, lease_seconds=3000)
    )
    await shop.admin.webhooks.CreateWebhookEndpoint(hpb.CreateWebhookEndpointRequest(url="https://example.com/hook"))
    clock.advance(dt.timedelta(minutes=20))
    await create_order(shop, buyer, package)  # the second pending order, 20 minutes younger
    await hub.events_settled()  # on PostgreSQL the fan-out reads only events listed already
    await WebhookDispatcher(hub.deps, NeverSent()).fan_out()  # the dispatcher's first half only
    return shop


async def test_each_queue_counts_what_is_due_and_the_age_of_the_oldest(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await seeded(clocked_hub, clock, "Lagging")
    quiet = await clocked_hub.new_tenant("Quiet")
    now = await lag(shop.admin)
    assert now[Q.WORKER_QUEUE_ORDER_EXPIRY] == (0, 0)  # not expired yet
    assert now[Q.WORKER_QUEUE_FULFILLMENT_QUEUED] == (1, 20 * 60)
    assert now[Q.WORKER_QUEUE_FULFILLMENT_EXPIRED_LEASES] == (0, 0)
    assert now[Q.WORKER_QUEUE_HOLD_EXPIRY] == (0, 0)

    clock.advance(dt.timedelta(minutes=50))  # 70 minutes after the first order, 50 after the second
    later = await lag(shop.admin)
    assert later[Q.WORKER_QUEUE_ORDER_EXPIRY] == (1, 10 * 60)
    assert later[Q.WORKER_QUEUE_HOLD_EXPIRY] == (1, 40 * 60)
    assert later[Q.WORKER_QUEUE_FULFILLMENT_QUEUED] == (1, 70 * 60)
    assert later[Q.WORKER_QUEUE_FULFILLMENT_EXPIRED_LEASES] == (1, 20 * 60)  # leased for 50 minutes
    deliveries, oldest = later[Q.WORKER_QUEUE_OUTBOUND_WEBHOOKS]
    assert deliveries >= 1 and oldest == 50 * 60  # the fan-out made them due 50 minutes ago
    assert later[Q.WORKER_QUEUE_SUBSCRIPTION_RENEWAL] == (0, 0)
    assert later[Q.WORKER_QUEUE_PAYMENT_RECONCILIATION] == (0, 0)

    clock.advance(dt.timedelta(minutes=20))
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_ORDER_EXPIRY] == (2, 30 * 60)
    assert set((await lag(quiet.admin)).values()) == {(0, 0)}  # another tenant's backlog is not counted


async def test_a_worked_queue_empties(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Drained")
    package = (await token_pack(shop)).id
    order = await create_order(shop, await new_user(shop), package)
    clock.advance(dt.timedelta(hours=2))
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_ORDER_EXPIRY] == (1, 3600)
    await shop.admin.orders.CancelOrder(opb.CancelOrderRequest(order_id=order.id))
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_ORDER_EXPIRY] == (0, 0)


async def test_a_gateway_reads_it_for_an_admin_with_the_queues_permission(hub: Hub) -> None:
    shop = await hub.new_tenant("Worker lag staff")
    await set_admins(shop, [admin(QUEUE_KEEPER, P.ADMIN_PERMISSION_QUEUES), admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as alone:
        await gateway.reports.GetWorkerLag(pb.GetWorkerLagRequest())
    assert alone.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as viewer:
        await gateway.on_behalf_of(VIEWER).reports.GetWorkerLag(pb.GetWorkerLagRequest())
    assert viewer.value.reason == "ADMIN_PERMISSION_MISSING" and viewer.value.metadata["permission"] == "queues"
    assert len(await lag(gateway.on_behalf_of(QUEUE_KEEPER))) == 7
    site = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    with pytest.raises(PermissionDenied):
        await site.reports.GetWorkerLag(pb.GetWorkerLagRequest())


async def test_a_plan_past_its_end_waits_for_the_renewal_worker(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Renewals due")
    buyer = await new_user(shop)
    await fund(shop, buyer, 100, "XTR")
    subscription = await subscribe(shop, buyer, await plan(shop, days=1))
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_SUBSCRIPTION_RENEWAL] == (0, 0)
    clock.advance(end_of(subscription) - clock.now() + dt.timedelta(minutes=5))
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_SUBSCRIPTION_RENEWAL] == (1, 5 * 60)


async def test_a_pending_provider_payment_waits_for_its_check(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop, user = await shop_with_testpay(clocked_hub, "Checks due")
    await open_topup(shop, user, 50_000)
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_PAYMENT_RECONCILIATION] == (0, 0)
    clock.advance(FIRST_CHECK + dt.timedelta(minutes=3))
    assert (await lag(shop.admin))[Q.WORKER_QUEUE_PAYMENT_RECONCILIATION] == (1, 3 * 60)
