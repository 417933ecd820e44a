"""Broadcast: compose a message, pick a segment, see the audience and a preview exactly as users will
get it, confirm; then follow its progress in one message with pause, resume and cancel.

Everything an admin types goes through `BroadcastStates`: the message (a text, or a photo with a
caption: its formatting is kept as Telegram HTML), an optional URL button ("text | https://..."),
and for those segments a language code or a number of days. The draft is created in the core
(CreateBroadcast on the admin's behalf: the core checks BROADCAST again and validates the content),
its audience counted, the preview sent with the very call the sender uses (`send_content`), then
StartBroadcast runs it or queues it behind the tenant's current broadcast. The progress message is
attached to the broadcast in the core (AttachBroadcastProgress, on the admin's behalf), so whichever
gateway process sends goes on editing it, after a restart too (`ProgressBoard`).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot_gateway.admin_access import BROADCAST
from bot_gateway.broadcasts.content import send_content
from bot_gateway.broadcasts.progress import OVER, ProgressBoard, progress_text
from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    BroadcastAction,
    BroadcastCallback,
    BroadcastSegmentCallback,
    BroadcastSegmentChoice,
)
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards import admin_broadcast as keyboards
from bot_gateway.states import BroadcastStates
from bot_gateway.webhook_reply import answer_later
from sdk.billinghub.v1 import broadcast_pb2, broadcast_service_pb2
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound

router = Router(name="admin_broadcast")

NEEDS_BROADCAST = {PERMISSION_FLAG: BROADCAST}
B = broadcast_pb2
St = B.BroadcastStatus
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
BUTTON_TEXT_LIMIT, URL_LIMIT = 64, 2048
LANGUAGE = re.compile(r"[a-z]{2,3}")
MAX_INACTIVE_DAYS = 3650
CURRENT = (St.BROADCAST_STATUS_RUNNING, St.BROADCAST_STATUS_PAUSED, St.BROADCAST_STATUS_QUEUED)
KINDS = {
    BroadcastSegmentChoice.ALL: B.BROADCAST_SEGMENT_KIND_ALL,
    BroadcastSegmentChoice.PAID: B.BROADCAST_SEGMENT_KIND_PAID,
    BroadcastSegmentChoice.ACTIVE_SUBSCRIPTION: B.BROADCAST_SEGMENT_KIND_ACTIVE_SUBSCRIPTION,
    BroadcastSegmentChoice.LANGUAGE: B.BROADCAST_SEGMENT_KIND_LANGUAGE,
    BroadcastSegmentChoice.INACTIVE: B.BROADCAST_SEGMENT_KIND_INACTIVE,
}


async def _spin(callback: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    spinner = callback.answer(text, show_alert=alert)
    if not answer_later(spinner):
        await spinner


async def current_broadcast(staff: BillingHubClient) -> broadcast_pb2.Broadcast | None:
    """The tenant's running or paused broadcast, else the oldest queued one; None without any."""
    for status in CURRENT:
        response: broadcast_service_pb2.ListBroadcastsResponse = await staff.broadcasts.ListBroadcasts(
            broadcast_service_pb2.ListBroadcastsRequest(status=status, page_size=500)
        )
        if response.broadcasts:
            return response.broadcasts[-1]
    return None


@router.callback_query(AdminCallback.filter(F.section == AdminSection.BROADCAST), flags=NEEDS_BROADCAST)
async def open_broadcast(callback: CallbackQuery, state: FSMContext, staff: BillingHubClient) -> None:
    """The section: compose a new broadcast, or open the current one's progress."""
    await state.clear()
    current = await current_broadcast(staff)
    lines = [_("📣 Broadcast"), ""]
    if current is None:
        lines.append(_("No broadcast is running. A new one goes to the segment you choose."))
    else:
        lines.append(progress_text(current))
    await show(callback, "\n".join(lines), keyboards.broadcast_home(current.id if current else ""))


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.NEW), flags=NEEDS_BROADCAST)
async def compose(callback: CallbackQuery, state: FSMContext) -> None:
    """Ask for the message."""
    await state.clear()
    await state.set_state(BroadcastStates.content)
    text = _(
        "Send the message to broadcast: a text, or a photo with a caption. Its formatting is kept; "
        "users will see it exactly as you send it."
    )
    await show(callback, text, keyboards.compose_cancel())


@router.message(StateFilter(BroadcastStates.content), flags=NEEDS_BROADCAST)
async def take_content(message: Message, state: FSMContext) -> None:
    """A text or a photo with a caption, within Telegram's lengths; anything else is refused."""
    if message.photo:
        caption = message.html_text if message.caption else ""
        if len(message.caption or "") > CAPTION_LIMIT:
            await message.answer(_("A caption is at most {limit} characters.").format(limit=CAPTION_LIMIT))
            return
        content = {"text": caption, "photo": message.photo[-1].file_id}
    elif message.text:
        if len(message.text) > TEXT_LIMIT:
            await message.answer(_("A message is at most {limit} characters.").format(limit=TEXT_LIMIT))
            return
        content = {"text": message.html_text, "photo": ""}
    else:
        await message.answer(_("Send a text or a photo (with a caption if you like)."))
        return
    await state.update_data(content=content)
    await state.set_state(BroadcastStates.button)
    await message.answer(
        _("Add a button that opens a link? Send it as: Button text | https://example.com"),
        reply_markup=keyboards.skip_button(),
    )


def parse_button(text: str) -> tuple[str, str] | None:
    """ "Label | https://url" as (label, url); None when it is not one."""
    label, bar, url = text.partition("|")
    label, url = label.strip(), url.strip()
    if not bar or not label or len(label) > BUTTON_TEXT_LIMIT:
        return None
    if not url.startswith("https://") or len(url) > URL_LIMIT or any(c.isspace() for c in url) or len(url) < 9:
        return None
    return label, url


@router.message(StateFilter(BroadcastStates.button), flags=NEEDS_BROADCAST)
async def take_button(message: Message, state: FSMContext) -> None:
    """The URL button, checked; then the segment."""
    button = parse_button(message.text or "")
    if button is None:
        await message.answer(
            _(
                "That is not a button. Send: Button text | https://example.com (a label of up to {limit} "
                "characters, an https link)."
            ).format(limit=BUTTON_TEXT_LIMIT),
            reply_markup=keyboards.skip_button(),
        )
        return
    await state.update_data(button=list(button))
    await _ask_segment(message, state)


@router.callback_query(
    StateFilter(BroadcastStates.button),
    BroadcastCallback.filter(F.action == BroadcastAction.SKIP_BUTTON),
    flags=NEEDS_BROADCAST,
)
async def skip_the_button(callback: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(button=None)
    await _ask_segment(callback, state)


async def _ask_segment(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(None)  # the segment is a button; the data stays
    await show(event, _("Who gets it?"), keyboards.segments())


@router.callback_query(BroadcastSegmentCallback.filter(), flags=NEEDS_BROADCAST)
async def choose_segment(
    callback: CallbackQuery,
    callback_data: BroadcastSegmentCallback,
    state: FSMContext,
    staff: BillingHubClient,
) -> None:
    """All, paid or subscribed: the draft now; language and inactive days ask one more thing."""
    if "content" not in await state.get_data():
        await show(callback, _("This draft is gone. Start a new broadcast."), keyboards.broadcast_home())
        return
    choice = callback_data.segment
    if choice is BroadcastSegmentChoice.LANGUAGE:
        await state.set_state(BroadcastStates.language)
        await show(
            callback, _("Send the language code of the users to reach (en, ru, uk, ...)."), keyboards.compose_cancel()
        )
        return
    if choice is BroadcastSegmentChoice.INACTIVE:
        await state.set_state(BroadcastStates.inactive_days)
        await show(
            callback,
            _("Send the number of days without activity (1 to {limit}).").format(limit=MAX_INACTIVE_DAYS),
            keyboards.compose_cancel(),
        )
        return
    await _spin(callback)
    await _draft(callback, state, staff, B.BroadcastSegment(kind=KINDS[choice]))


@router.message(StateFilter(BroadcastStates.language), flags=NEEDS_BROADCAST)
async def take_language(message: Message, state: FSMContext, staff: BillingHubClient) -> None:
    code = (message.text or "").strip().lower()
    if not LANGUAGE.fullmatch(code):
        await message.answer(_("A language code is 2 or 3 latin letters, such as en or ru. Send it again."))
        return
    await _draft(message, state, staff, B.BroadcastSegment(kind=B.BROADCAST_SEGMENT_KIND_LANGUAGE, language=code))


@router.message(StateFilter(BroadcastStates.inactive_days), flags=NEEDS_BROADCAST)
async def take_inactive_days(message: Message, state: FSMContext, staff: BillingHubClient) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_INACTIVE_DAYS:
        await message.answer(_("Send a whole number of days from 1 to {limit}.").format(limit=MAX_INACTIVE_DAYS))
        return
    segment = B.BroadcastSegment(kind=B.BROADCAST_SEGMENT_KIND_INACTIVE, inactive_days=int(text))
    await _draft(message, state, staff, segment)


def _content(data: dict[str, Any]) -> broadcast_pb2.BroadcastContent:
    stored = data["content"]
    content = B.BroadcastContent(text=stored["text"], photo=stored["photo"], parse_mode=B.BROADCAST_PARSE_MODE_HTML)
    if data.get("button"):
        label, url = data["button"]
        content.button.CopyFrom(B.BroadcastButton(text=label, url=url))
    return content


async def _draft(
    event: Message | CallbackQuery, state: FSMContext, staff: BillingHubClient, segment: broadcast_pb2.BroadcastSegment
) -> None:
    """Create the draft, count its audience, send the preview, ask to confirm."""
    data = await state.get_data()
    await state.clear()
    chat = event.chat.id if isinstance(event, Message) else event.from_user.id
    bot = event.bot
    assert bot is not None
    try:
        created: broadcast_service_pb2.CreateBroadcastResponse = await staff.broadcasts.CreateBroadcast(
            broadcast_service_pb2.CreateBroadcastRequest(content=_content(data), segment=segment)
        )
    except InvalidArgument as error:
        details = "\n".join(f"• {v.description}" for v in error.field_violations) or error.message
        await bot.send_message(
            chat, _("The core refused this broadcast:") + "\n" + details, reply_markup=keyboards.broadcast_home()
        )
        return
    draft = created.broadcast
    counted: broadcast_service_pb2.CountBroadcastAudienceResponse = await staff.broadcasts.CountBroadcastAudience(
        broadcast_service_pb2.CountBroadcastAudienceRequest(broadcast_id=draft.id)
    )
    await bot.send_message(chat, _("Preview: this is exactly what users will get."))
    await send_content(bot, chat, draft.content)
    audience = counted.audience
    question = ngettext("Send it to {count} user?", "Send it to {count} users?", audience).format(count=audience)
    if not audience:
        question = _("Nobody is in this segment now: the broadcast cannot start.")
    await bot.send_message(chat, question, reply_markup=keyboards.confirm(draft.id))


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.START), flags=NEEDS_BROADCAST)
async def start(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    staff: BillingHubClient,
    bot_tenant: BotTenant,
    broadcast_board: ProgressBoard,
    locale: str,
) -> None:
    """Start the draft (or queue it); this message becomes its progress."""
    try:
        response: broadcast_service_pb2.StartBroadcastResponse = await staff.broadcasts.StartBroadcast(
            broadcast_service_pb2.StartBroadcastRequest(broadcast_id=callback_data.broadcast_id)
        )
    except FailedPrecondition as error:
        text = (
            _("Nobody is in this segment now: the broadcast cannot start.")
            if error.reason == "BROADCAST_AUDIENCE_EMPTY"
            else _("This broadcast was started or discarded already.")
        )
        await _spin(callback, text, alert=True)
        return
    except NotFound:
        await _spin(callback, _("This broadcast no longer exists."), alert=True)
        return
    await _follow(callback, response.broadcast, staff, bot_tenant, broadcast_board, locale)


async def _follow(
    callback: CallbackQuery,
    broadcast: broadcast_pb2.Broadcast,
    staff: BillingHubClient,
    bot_tenant: BotTenant,
    board: ProgressBoard,
    locale: str,
) -> None:
    """Show the broadcast's progress in the pressed message, and have it followed there: attached in
    the core, so any gateway process edits it from now on."""
    await show(callback, progress_text(broadcast), keyboards.progress(broadcast))
    message = callback.message
    if message is None or callback.from_user is None:
        return
    if broadcast.status in OVER:  # this very screen says the end
        board.forget(bot_tenant.tenant_id, broadcast.id, message.chat.id)
        return
    request = broadcast_service_pb2.AttachBroadcastProgressRequest(
        broadcast_id=broadcast.id, chat_id=message.chat.id, message_id=message.message_id, locale=locale
    )
    try:
        attached: broadcast_service_pb2.AttachBroadcastProgressResponse = (
            await staff.broadcasts.AttachBroadcastProgress(request)
        )
    except (FailedPrecondition, NotFound):  # it ended (or went) meanwhile: the next press shows it
        return
    board.watch(bot_tenant.tenant_id, attached.broadcast, message.chat.id, message.message_id)


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.DISCARD), flags=NEEDS_BROADCAST)
async def discard(callback: CallbackQuery, callback_data: BroadcastCallback, staff: BillingHubClient) -> None:
    """Drop the draft (cancelled in the core, so it can never start)."""
    with contextlib.suppress(FailedPrecondition, NotFound):  # started or dropped meanwhile: nothing to undo
        await staff.broadcasts.CancelBroadcast(
            broadcast_service_pb2.CancelBroadcastRequest(broadcast_id=callback_data.broadcast_id)
        )
    await show(callback, _("The draft was discarded."), keyboards.broadcast_home())


@router.callback_query(
    BroadcastCallback.filter(F.action.in_({BroadcastAction.PAUSE, BroadcastAction.RESUME, BroadcastAction.CANCEL})),
    flags=NEEDS_BROADCAST,
)
async def control(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    staff: BillingHubClient,
    bot_tenant: BotTenant,
    broadcast_board: ProgressBoard,
    locale: str,
) -> None:
    """Pause, resume or cancel; the message shows the broadcast after it."""
    broadcast_id = callback_data.broadcast_id
    try:
        if callback_data.action is BroadcastAction.PAUSE:
            changed: Any = await staff.broadcasts.PauseBroadcast(
                broadcast_service_pb2.PauseBroadcastRequest(broadcast_id=broadcast_id)
            )
        elif callback_data.action is BroadcastAction.RESUME:
            changed = await staff.broadcasts.ResumeBroadcast(
                broadcast_service_pb2.ResumeBroadcastRequest(broadcast_id=broadcast_id)
            )
        else:
            changed = await staff.broadcasts.CancelBroadcast(
                broadcast_service_pb2.CancelBroadcastRequest(broadcast_id=broadcast_id)
            )
    except FailedPrecondition:  # pressed twice, or it ended meanwhile: show it as it is
        await refresh(callback, callback_data, staff, bot_tenant, broadcast_board, locale)
        return
    except NotFound:
        await _spin(callback, _("This broadcast no longer exists."), alert=True)
        return
    await _follow(callback, changed.broadcast, staff, bot_tenant, broadcast_board, locale)


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.REFRESH), flags=NEEDS_BROADCAST)
async def refresh(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    staff: BillingHubClient,
    bot_tenant: BotTenant,
    broadcast_board: ProgressBoard,
    locale: str,
) -> None:
    """The broadcast as the core has it now; this message follows it from now on."""
    try:
        response: broadcast_service_pb2.GetBroadcastResponse = await staff.broadcasts.GetBroadcast(
            broadcast_service_pb2.GetBroadcastRequest(broadcast_id=callback_data.broadcast_id)
        )
    except NotFound:
        await _spin(callback, _("This broadcast no longer exists."), alert=True)
        return
    await _follow(callback, response.broadcast, staff, bot_tenant, broadcast_board, locale)
