"""A gateway that stops mid-batch gives back the recipients it leased and did not send, so the next
gateway sends them at once instead of after the lease; and a sender whose broadcast still runs while
others hold every recipient left keeps leasing (every few seconds) rather than ending, so what they
give back goes out without waiting for the runner's next sync. An idle bot still holds no task."""

from __future__ import annotations

import time
from collections import Counter

from sdk.billinghub.v1 import broadcast_pb2, broadcast_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.test_admin_broadcast import _chat_bases, gateway, sends, started_broadcast, until_status
from tests.broadcasts.broadcasts import get, lease, report, telegram_users
from tests.waiting import until

B = broadcast_pb2


async def test_a_stopped_gateway_gives_back_its_batch_and_the_next_sends_it_at_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await telegram_users(shop.tenant, 300, first=next(_chat_bases))
    broadcast = await started_broadcast(shop, "Given back")

    # 25/s and batches of 250: a 30 s lease, stopped 30 messages into its first batch
    async with gateway(shop, rate=25.0, batch=250):
        await until(lambda: len(sends(shop)) >= 30)
    half = len(sends(shop))
    between = await get(shop.tenant.admin, broadcast.id)
    restarted = time.monotonic()
    async with gateway(shop):
        done = await until_status(shop, broadcast.id, B.BROADCAST_STATUS_FINISHED, timeout=60)
        took = time.monotonic() - restarted

    assert 30 <= half < 250
    assert between.sent == half  # what went out was reported before the stop
    assert took < 10, took  # the 250 - half given back went out at once, not after the 30 s lease
    per_chat = Counter(r.chat_id for r in sends(shop))
    assert len(per_chat) == 300 and set(per_chat.values()) == {1}  # every user exactly once
    assert (done.sent, done.left) == (300, 0)


async def test_a_sender_keeps_leasing_while_others_hold_the_rest_then_rests(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await telegram_users(shop.tenant, 120, first=next(_chat_bases))
    broadcast = await started_broadcast(shop, "Held elsewhere")
    other = shop.hub  # the gateway key, as another gateway process holds it
    held = await lease(other, broadcast.id, max_recipients=20, lease_seconds=3600)  # another gateway's batch

    async with gateway(shop, sync_seconds=3600) as runner:  # no sync restarts its sender meanwhile
        await until(lambda: len(sends(shop)) >= 100)
        sender = runner._bots[shop.tenant.id].sender
        assert sender is not None and not sender.done()  # the broadcast runs: it waits, leasing again
        given = await report(
            other,
            broadcast.id,
            [],
            released=[r.recipient_id for r in held.recipients],
            lease_end=held.lease_expire_time,
        )
        assert given.released == 20
        given_at = time.monotonic()
        done = await until_status(shop, broadcast.id, B.BROADCAST_STATUS_FINISHED, timeout=30)
        assert time.monotonic() - given_at < 6  # within a wait or two, not at the next sync
        await until(sender.done, within=10)  # finished: the bot holds no sender task any more

    per_chat = Counter(r.chat_id for r in sends(shop))
    assert len(per_chat) == 120 and set(per_chat.values()) == {1}
    assert (done.sent, done.left) == (120, 0)


async def test_a_paused_broadcast_ends_the_sender_while_others_hold_the_rest(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await telegram_users(shop.tenant, 40, first=next(_chat_bases))
    broadcast = await started_broadcast(shop, "Paused elsewhere")
    other = shop.hub  # the gateway key, as another gateway process holds it
    await lease(other, broadcast.id, max_recipients=10, lease_seconds=3600)

    async with gateway(shop, sync_seconds=3600) as runner:
        await until(lambda: len(sends(shop)) >= 30)
        sender = runner._bots[shop.tenant.id].sender
        assert sender is not None
        await shop.tenant.admin.broadcasts.PauseBroadcast(
            broadcast_service_pb2.PauseBroadcastRequest(broadcast_id=broadcast.id)
        )
        await until(sender.done, within=10)  # paused: nothing to send, no task left waiting
    assert len(sends(shop)) == 30
