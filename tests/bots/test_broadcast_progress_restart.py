"""The admin's progress message outlives the gateway that posted it: it is attached to the
broadcast in the core, so a gateway restarted half-way (a new runner with a progress board of its
own, nothing in its memory) goes on editing it, and the final report arrives once — also when two
gateway replicas send the same broadcast side by side and both see it end."""

from __future__ import annotations

import asyncio
import json

from bot_gateway.broadcasts.progress import ProgressBoard
from bot_gateway.callbacks import BroadcastCallback
from sdk.billinghub.v1 import bot_settings_pb2, broadcast_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, shared_i18n
from tests.bots.telegram import BotRequest
from tests.bots.test_admin_broadcast import _chat_bases, compose, gateway, sends, until_status
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_notifications import cursor
from tests.broadcasts.broadcasts import get, telegram_users
from tests.commerce.promos import settled_events
from tests.waiting import until

B = broadcast_pb2
REPORT = "📣 Broadcast finished:"


def fresh_board() -> ProgressBoard:
    """The progress board of a new gateway process: it knows no message yet."""
    return ProgressBoard(shared_i18n())


def edits_of(shop: TenantBot, admin: TgUser, message_id: int, since: int = 0) -> list[BotRequest]:
    return [
        r
        for r in shop.api.requests[since:]
        if r.token == shop.token
        and r.method == "editmessagetext"
        and r.chat_id == admin.id
        and int(r.params.get("message_id", 0)) == message_id
    ]


def reports_to(shop: TenantBot, admin: TgUser) -> list[BotRequest]:
    return [r for r in sends(shop, admin.id) if r.text.startswith(REPORT)]


async def notified_of_the_end(shop: TenantBot, broadcast_id: str) -> None:
    """Wait until the notifier has handled (and committed) the broadcast's broadcast.finished."""
    events = await settled_events(shop.tenant, "broadcast.finished")
    (finished,) = [e for e in events if json.loads(e.data)["broadcast_id"] == broadcast_id]
    async with asyncio.timeout(30):
        while await cursor(shop) < finished.id:  # noqa: ASYNC110  # the cursor is the core's: polled
            await asyncio.sleep(0.05)


async def started_from_the_bot(shop: TenantBot, users: int) -> tuple[TgUser, str, int]:
    """An admin composes a broadcast to everyone and starts it: (the admin, its id, the id of the
    message that shows its progress)."""
    await telegram_users(shop.tenant, users, first=next(_chat_bases))
    ada = await make_admin(shop, bot_settings_pb2.ADMIN_PERMISSION_BROADCAST)
    (*_, question) = await compose(shop, ada, "Restart-proof", None, "Everyone")
    (progress, _spin) = await shop.press(ada, question.button("Start"))
    broadcast_id = BroadcastCallback.unpack(progress.button("Pause")).broadcast_id
    return ada, broadcast_id, int(progress.params["message_id"])


async def test_a_restarted_gateway_edits_the_progress_message_and_reports_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    ada, broadcast_id, message_id = await started_from_the_bot(shop, 80)
    attached = await get(shop.tenant.admin, broadcast_id)
    assert [(m.chat_id, m.message_id) for m in attached.progress_messages] == [(ada.id, message_id)]

    # batches of one: the stopped process leaves at most one lease behind; the new one sends the
    # rest at once, and that recipient when its lease ends (10 s) and the runner's sync, every
    # second here, finds the broadcast still running
    async with gateway(shop, rate=40.0, batch=1, board=fresh_board()):  # stopped half-way
        await until(lambda: len(sends(shop)) >= 30)
    between = await get(shop.tenant.admin, broadcast_id)
    assert 0 < between.left < between.audience
    mark = len(shop.api.requests)
    async with gateway(
        shop, rate=40.0, batch=1, board=fresh_board(), sync_seconds=1
    ):  # a new process, nothing in memory
        await until_status(shop, broadcast_id, B.BROADCAST_STATUS_FINISHED)
        await until(lambda: len(reports_to(shop, ada)) >= 1)
    # (its notifier may not hold the event stream yet: the stopped one's consumer lease runs out
    # first; the replicas' test below waits for the notifier's claim too)

    edited = edits_of(shop, ada, message_id, since=mark)
    assert any(r.text.startswith("📣 Broadcast: sending\n") for r in edited)  # the new process follows it
    assert edited[-1].text.startswith("📣 Broadcast: finished\n\nAudience: 81 users\n✅ Sent: 81\n")
    assert [label for label, _ in edited[-1].buttons()] == ["⬅️ Admin menu"]
    (report,) = reports_to(shop, ada)
    assert report.text == "📣 Broadcast finished: 81 sent, 0 blocked the bot, 0 failed."


async def test_two_replicas_sending_one_broadcast_send_one_final_report(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    ada, broadcast_id, message_id = await started_from_the_bot(shop, 60)
    mark = len(shop.api.requests)  # the admin's preview before it

    async with (
        gateway(shop, rate=40.0, batch=10, board=fresh_board()),
        gateway(shop, rate=40.0, batch=10, board=fresh_board()),
    ):
        await until_status(shop, broadcast_id, B.BROADCAST_STATUS_FINISHED)
        await until(lambda: len(reports_to(shop, ada)) >= 1)
        await notified_of_the_end(shop, broadcast_id)

    per_chat = [r.chat_id for r in sends(shop, since=mark) if r.text == "Restart-proof"]
    assert len(per_chat) == len(set(per_chat)) == 61
    (report,) = reports_to(shop, ada)
    assert report.text == "📣 Broadcast finished: 61 sent, 0 blocked the bot, 0 failed."
    assert edits_of(shop, ada, message_id)[-1].text.startswith("📣 Broadcast: finished\n")
