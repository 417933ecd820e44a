"""Broadcasts from the admin menu, sent by the gateway's per-bot sender against the fake Bot API and
the real core: compose, preview exactly as users get it, confirm, progress in one edited message
with pause, resume and cancel, the final report; every user gets the message exactly once, across a
gateway restart too; blocked users are counted and marked; a bot never sends faster than its rate.

The 5 000-user restart test runs with the rate lifted (5 000 at 25/s would take 200 s); the 25/s
cap is measured separately on 100 messages (about 4 s) from the fake server's timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot_gateway.broadcasts.sender import BroadcastSender
from bot_gateway.callbacks import AdminCallback, AdminSection, BroadcastAction, BroadcastCallback
from bot_gateway.runner import BotRunner
from sdk.billinghub.v1 import bot_settings_pb2, broadcast_pb2, broadcast_service_pb2
from sdk.errors import PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import (
    EPOCH,
    TenantBot,
    TgUser,
    shared_board,
    shared_dispatcher,
    shared_i18n,
    shared_registry,
    shared_settings,
)
from tests.bots.telegram import BotRequest
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_buy import customer
from tests.broadcasts.broadcasts import get, telegram_users

P = bot_settings_pb2
B = broadcast_pb2
BROADCAST_DATA = AdminCallback(section=AdminSection.BROADCAST).pack()
NEW_DATA = BroadcastCallback(action=BroadcastAction.NEW).pack()
SENDS = ("sendmessage", "sendphoto")
_photo_ids = itertools.count(1)
_chat_bases = itertools.count(900_000_000, 10_000)


@contextlib.asynccontextmanager
async def gateway(shop: TenantBot, rate: float = 0.0, batch: int = 100) -> AsyncIterator[BotRunner]:
    """The shop's bot served by a runner (its notifier and broadcast sender beside it) until exit."""
    runner = BotRunner(
        shop.hub,
        shared_dispatcher(),
        poll_tenants_seconds=30,
        polling_timeout=1,
        telegram_api_url=shop.api.url,
        settings=shared_settings(),
        registry=shared_registry(),
        i18n=shared_i18n(),
        board=shared_board(),
        broadcast_rate=rate,
        broadcast_batch=batch,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def until(condition: Callable[[], Any], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110  # the fake server has no event to wait on
            await asyncio.sleep(0.02)


async def until_status(shop: TenantBot, broadcast_id: str, status: int, timeout: float = 60) -> B.Broadcast:
    async with asyncio.timeout(timeout):
        while (broadcast := await get(shop.tenant.admin, broadcast_id)).status != status:
            await asyncio.sleep(0.05)
    return broadcast


def sends(shop: TenantBot, chat_id: int | None = None, since: int = 0) -> list[BotRequest]:
    """The messages the shop's bot sent (to one chat), from the server's `since`-th request on."""
    return [
        r
        for r in shop.api.requests[since:]
        if r.token == shop.token and r.method in SENDS and (chat_id is None or r.chat_id == chat_id)
    ]


def as_seen(request: BotRequest) -> tuple[Any, ...]:
    """What a user sees of a message: the text or photo and caption, how it is parsed, its buttons."""
    params = request.params
    markup = params.get("reply_markup")
    return (request.method, params.get("text"), params.get("photo"), params.get("caption"), params.get("parse_mode"), markup)


async def send_photo(shop: TenantBot, user: TgUser, caption: str) -> list[BotRequest]:
    """The user sends a photo with a caption."""
    n = next(_photo_ids)
    photo = [
        {"file_id": f"PHOTO-{n}-small", "file_unique_id": f"u{n}s", "width": 90, "height": 90},
        {"file_id": f"PHOTO-{n}-big", "file_unique_id": f"u{n}b", "width": 800, "height": 800},
    ]
    message = {
        "message_id": 1_000_000 + n,
        "date": EPOCH,
        "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
        "from": user.as_json(),
        "photo": photo,
        "caption": caption,
    }
    return await shop._feed({"update_id": 2_000_000 + n, "message": message})


async def compose(shop: TenantBot, admin: TgUser, text: str, button: str | None, segment: str) -> list[BotRequest]:
    """The admin opens Broadcast, composes `text` with `button` (None: skipped) for `segment`;
    what the bot answered to the segment's press (the preview and the confirm question)."""
    (menu,) = await shop.send(admin, "/admin")
    (section, _spin) = await shop.press(admin, menu.button("Broadcast"))
    (ask, _spin) = await shop.press(admin, section.button("New broadcast"))
    assert ask.text.startswith("Send the message to broadcast"), ask.text
    (ask_button,) = await shop.send(admin, text)
    if button is None:
        (segments, _spin) = await shop.press(admin, ask_button.button("Without a button"))
    else:
        (segments,) = await shop.send(admin, button)
    assert segments.text == "Who gets it?", segments.text
    return await shop.press(admin, segments.button(segment))


async def test_compose_preview_confirm_and_every_user_gets_the_previewed_message_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    users = [(await customer(shop, language))[0] for language in ("en", "ru", "uk")]
    others = [(await customer(other, "en"))[0] for _ in range(2)]
    ada = await make_admin(shop, P.ADMIN_PERMISSION_BROADCAST)
    bob = await make_admin(other, P.ADMIN_PERMISSION_BROADCAST)

    drafted = await compose(shop, ada, "Big sale: -20% & free delivery", "Open the shop | https://example.com/sale", "Everyone")
    (_spin, note, preview, question) = drafted
    other_drafted = await compose(other, bob, "Shop B news", None, "Everyone")
    (progress, _spin) = await shop.press(ada, question.button("Start"))
    (other_progress, _spin) = await other.press(bob, other_drafted[-1].button("Start"))
    broadcast_id = BroadcastCallback.unpack(progress.button("Pause")).broadcast_id
    mark = len(shop.api.requests)
    async with gateway(shop), gateway(other):
        await until_status(shop, broadcast_id, B.BROADCAST_STATUS_FINISHED)
        await until(lambda: any("finished" in r.text for r in sends(shop, ada.id)))
        await until(lambda: any("finished" in r.text for r in sends(other, bob.id)))

    assert note.text == "Preview: this is exactly what users will get."
    assert as_seen(preview) == (
        "sendmessage", "Big sale: -20% &amp; free delivery", None, None, "HTML",
        {"inline_keyboard": [[{"text": "Open the shop", "url": "https://example.com/sale"}]]},
    )  # fmt: skip
    assert question.text == "Send it to 4 users?"  # three customers and the admin, who started the bot too
    assert progress.method == "editmessagetext"
    assert progress.text.startswith("📣 Broadcast: sending\n\nAudience: 4 users\n✅ Sent: 0\n")
    assert [label for label, _ in progress.buttons()] == ["⏸ Pause", "✖️ Cancel broadcast", "🔄 Refresh", "⬅️ Admin menu"]
    for user in users:
        assert [as_seen(r) for r in sends(shop, user.id, mark)] == [as_seen(preview)]  # exactly once, as previewed
    # the admin: the broadcast itself (they are a user too), then the final report
    (copy, report) = sends(shop, ada.id, mark)
    assert as_seen(copy) == as_seen(preview)
    assert report.text == "📣 Broadcast finished: 4 sent, 0 blocked the bot, 0 failed."
    final = [r for r in shop.api.of(shop.token) if r.method == "editmessagetext" and r.chat_id == ada.id][-1]
    assert final.text.startswith("📣 Broadcast: finished\n\nAudience: 4 users\n✅ Sent: 4\n")
    assert [label for label, _ in final.buttons()] == ["⬅️ Admin menu"]
    # the shops stay apart: each bot wrote to its own users only, each its own message
    assert {r.chat_id for r in sends(shop, since=mark)} == {u.id for u in (*users, ada)}
    assert {r.chat_id for r in sends(other, since=mark)} == {u.id for u in (*others, bob)}
    for user in others:
        assert [r.text for r in sends(other, user.id, mark)] == ["Shop B news"]
    assert other_progress.text.startswith("📣 Broadcast: sending")
    done = await get(shop.tenant.admin, broadcast_id)
    assert (done.audience, done.sent, done.blocked, done.failed, done.left) == (4, 4, 0, 0, 0)
