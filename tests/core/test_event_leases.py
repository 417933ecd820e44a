"""A named event consumer is read by one stream at a time, across core replicas: two gateway
replicas running the same notifier must not both send each notice. A second stream of the
consumer waits, silent, and takes over where the first left off (its committed cursor) when the
first ends or its lease runs out; a holder that lost its lease ends its stream."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from core_server.api.server import CoreServer
from core_server.domain import event_leases
from core_server.domain.events import EventFeed
from core_server.store.repositories import events as event_repo
from sdk import BillingHubClient, FailedPrecondition
from sdk.billinghub.v1 import event_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from sdk.interceptors import NO_RETRY
from tests.hub import Hub, TenantHandle
from tests.money import fund, new_user
from tests.waiting import until

NOTIFIER = "bot-notifications"


@dataclasses.dataclass
class Reader:
    """A stream of the consumer that commits each event it reads, as the notifier does."""

    client: BillingHubClient
    consumer: str = NOTIFIER
    seen: list[str] = dataclasses.field(default_factory=list)
    task: asyncio.Task[None] | None = None
    error: BaseException | None = None

    def start(self) -> Reader:
        self.task = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        watch = self.client.events.WatchEvents(pb.WatchEventsRequest(consumer=self.consumer, types=["wallet."]))
        try:
            async for item in watch:
                self.seen.append(item.event.type)
                await self.client.events.CommitEventCursor(
                    pb.CommitEventCursorRequest(consumer=self.consumer, event_id=item.event.id)
                )
        except FailedPrecondition as error:
            self.error = error
        finally:
            watch.cancel()

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def gateway(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    return hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots"), shop.id)


@pytest.fixture
def quick_leases() -> Iterator[None]:
    """Short lease timers for the cores a test starts itself (read when a core is built)."""
    saved = (event_leases.LEASE_SECONDS, event_leases.RENEW_SECONDS, event_leases.CLAIM_SECONDS)
    event_leases.LEASE_SECONDS, event_leases.RENEW_SECONDS, event_leases.CLAIM_SECONDS = 1.0, 0.2, 0.1
    try:
        yield
    finally:
        event_leases.LEASE_SECONDS, event_leases.RENEW_SECONDS, event_leases.CLAIM_SECONDS = saved


@pytest.fixture
async def replica(hub: Hub, quick_leases: None) -> AsyncIterator[str]:
    """Another core on the same database (its own feed: it hears nothing of the first's writes)."""
    other = CoreServer(dataclasses.replace(hub.deps, feed=EventFeed()))
    port = other.bind("127.0.0.1:0")
    await other.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await other.stop(0)


async def test_a_second_stream_of_a_consumer_waits_and_takes_over_after_the_cursor(hub: Hub) -> None:
    shop = await hub.new_tenant("Lease")
    user = await new_user(shop)
    first = Reader(await gateway(hub, shop)).start()
    await fund(shop, user, 1)
    await until(lambda: first.seen == ["wallet.credited"])
    second = Reader(await gateway(hub, shop)).start()
    await asyncio.sleep(0.3)
    await fund(shop, user, 1)
    await until(lambda: len(first.seen) == 2)
    await asyncio.sleep(0.3)
    assert second.seen == []  # a hot standby: open and silent
    await first.stop()
    await fund(shop, user, 1)
    await until(lambda: second.seen == ["wallet.credited"])  # only what the first did not commit
    assert first.seen == ["wallet.credited", "wallet.credited"] and second.error is None
    await second.stop()


async def test_other_consumers_and_other_tenants_are_not_held_up(hub: Hub) -> None:
    shops = [await hub.new_tenant("Lease A"), await hub.new_tenant("Lease B")]
    users = [await new_user(shop) for shop in shops]
    readers = [
        Reader(await gateway(hub, shops[0])).start(),
        Reader(await gateway(hub, shops[0]), consumer="crm-sync").start(),
        Reader(await gateway(hub, shops[1])).start(),
    ]
    await asyncio.sleep(0.3)
    await fund(shops[0], users[0], 1)
    await fund(shops[1], users[1], 1)
    await until(lambda: all(reader.seen == ["wallet.credited"] for reader in readers))
    for reader in readers:
        await reader.stop()


async def test_a_lease_left_by_a_dead_replica_runs_out_and_is_taken_over(hub: Hub, replica: str) -> None:
    shop = await hub.new_tenant("Dead replica")
    user = await new_user(shop)
    now = dt.datetime.now(dt.UTC)
    async with hub.deps.uow() as uow:  # a replica that died holding the lease for another second
        await event_repo.claim_leases(
            uow, [(uuid.UUID(shop.id), NOTIFIER, uuid.uuid4())], now, now + dt.timedelta(seconds=1)
        )
        await uow.commit()
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots")
    async with BillingHubClient(replica, key, shop.id, retry=NO_RETRY) as client:
        reader = Reader(client).start()
        await fund(shop, user, 1)
        await asyncio.sleep(0.5)
        assert reader.seen == []  # the dead holder's lease still runs
        await until(lambda: reader.seen == ["wallet.credited"], within=10)
        await reader.stop()


async def test_a_holder_that_lost_its_lease_ends_its_stream(hub: Hub, replica: str) -> None:
    shop = await hub.new_tenant("Lost lease")
    user = await new_user(shop)
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots")
    async with BillingHubClient(replica, key, shop.id, retry=NO_RETRY) as client:
        reader = Reader(client).start()
        await fund(shop, user, 1)
        await until(lambda: reader.seen == ["wallet.credited"])
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        async with hub.deps.uow() as uow:  # the lease taken over behind the holder's back
            await event_repo.claim_leases(uow, [(uuid.UUID(shop.id), NOTIFIER, uuid.uuid4())], later, later)
            await uow.commit()
        assert reader.task is not None
        await asyncio.wait_for(reader.task, 5)
    assert isinstance(reader.error, FailedPrecondition) and reader.error.reason == "CONSUMER_LEASE_LOST"
