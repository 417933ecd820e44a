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
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot_gateway.broadcasts.progress import ProgressBoard
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
from tests.waiting import settled, until

P = bot_settings_pb2
B = broadcast_pb2
BROADCAST_DATA = AdminCallback(section=AdminSection.BROADCAST).pack()
NEW_DATA = BroadcastCallback(action=BroadcastAction.NEW).pack()
SENDS = ("sendmessage", "sendphoto")
_photo_ids = itertools.count(1)
_chat_bases = itertools.count(900_000_000, 10_000)


@contextlib.asynccontextmanager
async def gateway(
    shop: TenantBot, rate: float = 0.0, batch: int = 100, board: ProgressBoard | None = None, sync_seconds: float = 30
) -> AsyncIterator[BotRunner]:
    """The shop's bot served by a runner (its notifier and broadcast sender beside it) until exit;
    `board`: the progress board of a process of its own (the dispatcher's shared one by default)."""
    runner = BotRunner(
        shop.hub,
        shared_dispatcher(),
        poll_tenants_seconds=sync_seconds,
        polling_timeout=1,
        telegram_api_url=shop.api.url,
        settings=shared_settings(),
        registry=shared_registry(),
        i18n=shared_i18n(),
        board=board or shared_board(),
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


async def until_status(shop: TenantBot, broadcast_id: str, status: int, timeout: float = 60) -> B.Broadcast:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while (broadcast := await get(shop.tenant.admin, broadcast_id)).status != status:  # noqa: ASYNC110
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
    return (
        request.method,
        params.get("text"),
        params.get("photo"),
        params.get("caption"),
        params.get("parse_mode"),
        markup,
    )


def screen(press: list[BotRequest]) -> BotRequest:
    """The screen a press edited (the bot's messages to users sent meanwhile left out)."""
    return [r for r in press if r.method == "editmessagetext"][-1]


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

    drafted = await compose(
        shop, ada, "Big sale: -20% & free delivery", "Open the shop | https://example.com/sale", "Everyone"
    )
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


async def started_broadcast(shop: TenantBot, text: str = "News") -> B.Broadcast:
    """A broadcast to everyone, started with the tenant admin's key."""
    admin = shop.tenant.admin.broadcasts
    draft = await admin.CreateBroadcast(
        broadcast_service_pb2.CreateBroadcastRequest(
            content=B.BroadcastContent(text=text), segment=B.BroadcastSegment(kind=B.BROADCAST_SEGMENT_KIND_ALL)
        )
    )
    started = await admin.StartBroadcast(broadcast_service_pb2.StartBroadcastRequest(broadcast_id=draft.broadcast.id))
    return started.broadcast


async def test_five_thousand_users_across_a_gateway_restart_get_it_exactly_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    base = next(_chat_bases)
    await telegram_users(shop.tenant, 5000, first=base)
    blocked = {base + n for n in range(0, 5000, 97)}  # 52 users who blocked the bot
    shop.api.blocked_by |= blocked
    broadcast = await started_broadcast(shop, "Five thousand")

    async with gateway(shop):  # stopped half-way: the sender reports what it sent before it ends
        await until(lambda: len(sends(shop)) >= 2500, within=120)
    half = len(sends(shop))
    between = await get(shop.tenant.admin, broadcast.id)
    async with gateway(shop):  # a new gateway takes over where the core says
        done = await until_status(shop, broadcast.id, B.BROADCAST_STATUS_FINISHED, timeout=180)

    assert 2500 <= half < 5000
    # everything the first gateway sent was reported before it stopped
    assert between.sent + between.blocked + between.failed == half
    per_chat = Counter(r.chat_id for r in sends(shop))
    assert len(per_chat) == 5000 and set(per_chat.values()) == {1}  # every user exactly once
    assert (done.audience, done.sent, done.blocked, done.failed, done.left) == (
        5000,
        5000 - len(blocked),
        len(blocked),
        0,
        0,
    )
    for chat in sorted(blocked)[:3]:  # the users who blocked the bot are marked in the core
        assert (await shop.core_user(TgUser(chat))).bot_blocked
    assert not (await shop.core_user(TgUser(base + 1))).bot_blocked


async def test_a_bot_never_sends_more_than_its_rate_in_any_second(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await telegram_users(shop.tenant, 100, first=next(_chat_bases))
    broadcast = await started_broadcast(shop)

    async with gateway(shop, rate=25.0):
        await until_status(shop, broadcast.id, B.BROADCAST_STATUS_FINISHED, timeout=30)

    times = sorted(r.at for r in sends(shop))
    assert len(times) == 100
    # no window of one second holds 26 sends: the 26th after any send comes a full second later
    assert min(later - earlier for earlier, later in zip(times, times[25:], strict=False)) >= 1.0
    assert 99 / (times[-1] - times[0]) > 20  # and it is not far slower than the budget either


async def test_pause_resume_and_cancel_from_the_progress_message(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await telegram_users(shop.tenant, 150, first=next(_chat_bases))
    ada = await make_admin(shop, P.ADMIN_PERMISSION_BROADCAST)
    (*_, question) = await compose(shop, ada, "Paced", None, "Everyone")
    (progress, _spin) = await shop.press(ada, question.button("Start"))
    broadcast_id = BroadcastCallback.unpack(progress.button("Pause")).broadcast_id
    ben = await make_admin(shop, P.ADMIN_PERMISSION_BROADCAST)  # a second admin (each has a flood budget)
    queued_draft = await compose(shop, ben, "Second", None, "Everyone")
    (queued, _spin) = await shop.press(ben, queued_draft[-1].button("Start"))

    def paced() -> list[BotRequest]:  # the first broadcast's messages (the queued one follows its cancel)
        return [r for r in sends(shop) if r.text == "Paced"]

    async with gateway(shop, rate=20.0):
        await until(lambda: len(paced()) >= 10)
        paused = screen(await shop.press(ada, progress.button("Pause")))
        # the sender stops at the next message once the pause's event reaches it (at 20/s a second
        # with no send is a stop); then nothing goes out while paused
        held = await settled(lambda: len(paced()))
        await asyncio.sleep(1.0)
        assert len(paced()) == held
        resumed = screen(await shop.press(ada, paused.button("Resume")))
        await until(lambda: len(paced()) >= held + 10)
        cancelled = screen(await shop.press(ada, resumed.button("Cancel broadcast")))
        stopped = await settled(lambda: len(paced()))
        await asyncio.sleep(1.0)
        assert len(paced()) == stopped
        await until(lambda: any(r.text == "Second" for r in sends(shop)))  # the queued one runs now

    assert queued.text.startswith("📣 Broadcast: queued: it starts when the current broadcast ends")
    assert paused.text.startswith("📣 Broadcast: paused\n")
    assert [label for label, _ in paused.buttons()] == ["▶️ Resume", "✖️ Cancel broadcast", "🔄 Refresh", "⬅️ Admin menu"]
    assert resumed.text.startswith("📣 Broadcast: sending\n")
    assert cancelled.text.startswith("📣 Broadcast: cancelled\n")
    assert [label for label, _ in cancelled.buttons()] == ["⬅️ Admin menu"]
    final = await get(shop.tenant.admin, broadcast_id)
    assert final.status == B.BROADCAST_STATUS_CANCELLED
    assert 0 < final.sent < final.audience and final.left == final.audience - final.sent
    again = await shop.press(ada, cancelled.button("Admin menu"))
    assert again[0].text.startswith("Admin menu")


async def test_bad_input_is_refused_clearly_and_a_photo_is_previewed_as_sent(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    base = next(_chat_bases)
    await telegram_users(shop.tenant, 1, first=base, language="ru")  # the bot keeps the language users choose
    await telegram_users(shop.tenant, 2, first=base + 1, language="en")
    ada = await make_admin(shop, P.ADMIN_PERMISSION_BROADCAST)
    (menu,) = await shop.send(ada, "/admin")
    (section, _spin) = await shop.press(ada, menu.button("Broadcast"))
    await shop.press(ada, section.button("New broadcast"))

    (too_long,) = await shop.send(ada, "x" * 4097)
    (ask_button,) = await send_photo(shop, ada, "Fresh <stock>")
    (bad_button,) = await shop.send(ada, "no link here")
    (http_button,) = await shop.send(ada, "Shop | http://example.com")
    (segments,) = await shop.send(ada, "Shop | https://example.com")
    await asyncio.sleep(1.5)  # the anti-flood budget: 10 updates at once, then 2 a second
    (ask_language, _spin) = await shop.press(ada, segments.button("By language"))
    (bad_language,) = await shop.send(ada, "russian")
    (_note, preview, question) = await shop.send(ada, "ru")
    drafts = await shop.tenant.admin.broadcasts.ListBroadcasts(broadcast_service_pb2.ListBroadcastsRequest())

    assert too_long.text == "A message is at most 4096 characters."
    assert ask_button.text.startswith("Add a button that opens a link?")
    for refused in (bad_button, http_button):
        assert refused.text.startswith("That is not a button. Send: Button text | https://example.com")
    assert ask_language.text.startswith("Send the language code")
    assert bad_language.text == "A language code is 2 or 3 latin letters, such as en or ru. Send it again."
    assert preview.method == "sendphoto"
    assert (preview.params["photo"], preview.params["caption"], preview.params["parse_mode"]) == (
        "PHOTO-{}-big".format(preview.params["photo"].split("-")[1]),
        "Fresh &lt;stock&gt;",
        "HTML",
    )
    assert question.text == "Send it to 1 user?"  # the Russian speaker only
    (draft,) = drafts.broadcasts  # one draft: nothing refused was stored
    assert draft.segment.language == "ru" and draft.content.button.url == "https://example.com"
    (discarded, _spin) = await shop.press(ada, question.button("Discard"))
    assert discarded.text == "The draft was discarded."
    assert (await get(shop.tenant.admin, draft.id)).status == B.BROADCAST_STATUS_CANCELLED


async def test_only_admins_with_broadcast_may_broadcast(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await customer(shop, "en")
    ada = await make_admin(shop, P.ADMIN_PERMISSION_BROADCAST)
    quinn = await make_admin(shop, P.ADMIN_PERMISSION_STATS)  # an admin without BROADCAST
    draft = await compose(shop, ada, "Hello", None, "Everyone")
    start_data = draft[-1].button("Start")

    (quinn_menu,) = await shop.send(quinn, "/admin")
    presses = [await shop.press(quinn, data) for data in (BROADCAST_DATA, NEW_DATA, start_data)]
    request = broadcast_service_pb2.CreateBroadcastRequest(
        content=B.BroadcastContent(text="forged"), segment=B.BroadcastSegment(kind=B.BROADCAST_SEGMENT_KIND_ALL)
    )

    assert "📣 Broadcast" not in [label for label, _ in quinn_menu.buttons()]
    for press in presses:
        assert [r.method for r in press] == ["answercallbackquery"]
        assert press[0].params["text"] == "You do not have permission for this."
    start_id = BroadcastCallback.unpack(start_data).broadcast_id
    assert (await get(shop.tenant.admin, start_id)).status == B.BROADCAST_STATUS_DRAFT  # quinn's press did nothing
    with pytest.raises(PermissionDenied):
        await shop.hub.on_behalf_of(quinn.id).broadcasts.CreateBroadcast(request)
    with pytest.raises(PermissionDenied):
        await shop.hub.on_behalf_of(quinn.id).broadcasts.StartBroadcast(
            broadcast_service_pb2.StartBroadcastRequest(broadcast_id=start_id)
        )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", ("Рассылка", "Кому отправить?", "Отправить 2 пользователям?", "📣 Рассылка: идёт отправка")),
        ("uk", ("Розсилка", "Кому надіслати?", "Надіслати 2 користувачам?", "📣 Розсилка: надсилається")),
    ],
)
async def test_the_broadcast_screens_speak_the_admins_language(
    tenant_bot: NewBot, language: str, words: tuple[str, str, str, str]
) -> None:
    shop = await tenant_bot("Shop A")
    await customer(shop, "en")
    admin = await make_admin(shop, P.ADMIN_PERMISSION_BROADCAST, language=language)
    (menu,) = await shop.send(admin, "/admin")
    (section, _spin) = await shop.press(admin, menu.button(words[0]))
    (ask, _spin) = await shop.press(admin, section.buttons()[0][1])
    (ask_button,) = await shop.send(admin, "Привіт")
    (segments, _spin) = await shop.press(admin, ask_button.buttons()[0][1])
    (_spin, note, _preview, question) = await shop.press(admin, segments.buttons()[0][1])
    (progress, _spin) = await shop.press(admin, question.buttons()[0][1])

    assert segments.text == words[1]
    assert question.text == words[2]
    assert progress.text.startswith(words[3])
    for screen in (section, ask, ask_button, note):
        assert not screen.text.isascii()


def test_the_sender_leases_for_longer_than_a_batch_takes_at_its_rate() -> None:
    sender = BroadcastSender(None, None, str(uuid.uuid4()), rate=25.0, batch=100)  # type: ignore[arg-type]
    assert sender._lease_seconds == 18  # 100 at 25/s is 4 s: twice that and 10 s to spare
