"""The event feed wakes only the streams of the tenant whose events were committed: a gateway holds
a stream per tenant bot, and waking them all for each event made every event cost a query each."""

from __future__ import annotations

import asyncio
import uuid

from core_server.domain.events import EventFeed


async def test_an_event_of_one_tenant_wakes_its_streams_and_the_all_tenant_ones_only() -> None:
    feed = EventFeed()
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    a = asyncio.create_task(feed.wait(5, tenant_a))
    a_again = asyncio.create_task(feed.wait(5, tenant_a))
    b = asyncio.create_task(feed.wait(5, tenant_b))
    anyone = asyncio.create_task(feed.wait(5))
    await asyncio.sleep(0)

    feed.notify(tenant_a)
    await asyncio.wait_for(asyncio.gather(a, a_again, anyone), 1)
    await asyncio.sleep(0.05)
    assert not b.done()  # tenant B's stream still waits for its own events

    feed.notify()  # None: every stream
    await asyncio.wait_for(b, 1)


async def test_a_stream_waits_no_longer_than_its_poll_period() -> None:
    feed = EventFeed()
    await asyncio.wait_for(feed.wait(0.05, uuid.uuid4()), 1)
