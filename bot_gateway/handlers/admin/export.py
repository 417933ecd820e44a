"""Export: a CSV file of the tenant's transfers, orders or users over a period, sent as a document.

The admin picks what (transfers, orders, users), then a period: the last 7 or 30 days, everything,
or days typed as YYYY-MM-DD..YYYY-MM-DD (whole UTC days, both included; export_periods.py). The rows
stream from the core on the admin's behalf (ExportTransfers, ExportOrders, ExportUsers: the core
wants the EXPORT permission) and go straight into a temporary file on disk as each batch arrives
(export_csv.py), never into a list: a tenant's whole history costs the bot one batch of memory.
The file is uploaded from disk (FSInputFile) and deleted. An empty period gets a message instead
of a file with a header only, and a file over what Telegram lets a bot send gets one too.

None of that happens inside the update: the handler answers at once (the screen becomes "preparing
the file…") and the export runs as a job of the process's `ExportJobs` (export_jobs.py), one at a
time per bot and per admin ("already being prepared" otherwise), stopped with the bot (the admin
is told it stopped, within a few seconds' wait, rather than left waiting for a file). A webhook
update is thus answered in milliseconds whatever the export's size; a job that fails tells the
admin in plain words and logs the details.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile

import structlog
from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot_gateway.admin_access import EXPORT
from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    ExportDatesCallback,
    ExportKind,
    ExportKindCallback,
    ExportPeriod,
    ExportPeriodCallback,
)
from bot_gateway.export_csv import ENCODING, write_export
from bot_gateway.export_jobs import ExportJobs
from bot_gateway.export_periods import Period, PeriodError, ready_made, typed
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG, refusal
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin_export import (
    back_to_periods,
    export_kinds,
    export_period_label,
    export_periods,
    kind_label,
)
from bot_gateway.polling import redact
from bot_gateway.states import ExportStates
from bot_gateway.webhook_reply import answer_later
from sdk.client import BillingHubClient
from sdk.errors import PermissionDenied

log = structlog.get_logger(__name__)
router = Router(name="admin_export")

NEEDS_EXPORT = {PERMISSION_FLAG: EXPORT}
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # what the Bot API lets a bot upload
STOPPED_NOTICE_SECONDS = 3.0  # how long a stopping bot waits to tell an admin their export stopped


def empty_text(kind: ExportKind) -> str:
    return {
        ExportKind.TRANSFERS: _("No transfers in this period."),
        ExportKind.ORDERS: _("No orders in this period."),
        ExportKind.USERS: _("No users registered in this period."),
    }[kind]


def caption(kind: ExportKind, period: Period, rows: int, everything: bool) -> str:
    """ "Orders, 2026-11-01 – 2026-11-28 (UTC): 12 rows"."""
    when = _("all time") if everything else _("{days} (UTC)").format(days=period.label())
    count = ngettext("{count} row", "{count} rows", rows).format(count=rows)
    return _("{what}, {when}: {count}").format(what=kind_label(kind), when=when, count=count)


@router.callback_query(AdminCallback.filter(F.section == AdminSection.EXPORT), flags=NEEDS_EXPORT)
async def open_export(callback: CallbackQuery, state: FSMContext) -> None:
    """What to export."""
    await state.clear()
    await show(callback, _("📤 Export to a CSV file. What should it hold?"), export_kinds())


@router.callback_query(ExportKindCallback.filter(), flags=NEEDS_EXPORT)
async def choose_period(callback: CallbackQuery, callback_data: ExportKindCallback, state: FSMContext) -> None:
    """Over which period."""
    await state.clear()
    text = _("📤 {what}: choose the period. The last 7 and 30 days end now.").format(
        what=kind_label(callback_data.kind)
    )
    await show(callback, text, export_periods(callback_data.kind))


@router.callback_query(ExportDatesCallback.filter(), flags=NEEDS_EXPORT)
async def ask_dates(callback: CallbackQuery, callback_data: ExportDatesCallback, state: FSMContext) -> None:
    """Wait for days typed as YYYY-MM-DD..YYYY-MM-DD."""
    await state.set_state(ExportStates.dates)
    await state.update_data(export_kind=callback_data.kind.value)
    today = dt.datetime.now(dt.UTC).date()
    example = f"{(today - dt.timedelta(days=27)).isoformat()}..{today.isoformat()}"
    text = _(
        "Send the period as YYYY-MM-DD..YYYY-MM-DD, for example {example}. Both days are included; days are in UTC."
    ).format(example=example)
    await show(callback, text, back_to_periods(callback_data.kind))


def period_error_text(error: PeriodError) -> str:
    if error is PeriodError.REVERSED:
        return _("The first day of the period comes after the last one. Send the period again.")
    if error is PeriodError.RANGE:
        return _("The days must be from 1970-01-01 to 8999-12-30. Send the period again.")
    return _("That is not a period. Send it as YYYY-MM-DD..YYYY-MM-DD, for example 2026-11-01..2026-11-28.")


@router.message(ExportStates.dates, F.text, flags=NEEDS_EXPORT)
async def typed_dates(message: Message, state: FSMContext, staff: BillingHubClient, export_jobs: ExportJobs) -> None:
    """Export the typed days; a period that does not read stays asked for, with what is wrong."""
    data = await state.get_data()
    kind = ExportKind(data.get("export_kind", ExportKind.ORDERS.value))
    period = typed(message.text or "")
    if isinstance(period, PeriodError):
        await message.answer(period_error_text(period), reply_markup=back_to_periods(kind))
        return
    await state.clear()
    await _start_export(message, staff, export_jobs, kind, period, period.label(), everything=False)


@router.callback_query(ExportPeriodCallback.filter(), flags=NEEDS_EXPORT)
async def ready_made_period(
    callback: CallbackQuery, callback_data: ExportPeriodCallback, staff: BillingHubClient, export_jobs: ExportJobs
) -> None:
    """Export the last 7 or 30 days, or everything."""
    period = ready_made(callback_data.period)
    everything = callback_data.period is ExportPeriod.ALL
    label = export_period_label(callback_data.period)
    await _start_export(callback, staff, export_jobs, callback_data.kind, period, label, everything=everything)


async def _start_export(
    event: Message | CallbackQuery,
    staff: BillingHubClient,
    jobs: ExportJobs,
    kind: ExportKind,
    period: Period,
    label: str,
    *,
    everything: bool,
) -> None:
    """Hand the export to the process's jobs and answer at once: "preparing" (the screen edited in
    place for a press), or "already preparing" when the admin or the bot has one running. The job
    sends nothing before that answer is out, so the admin never sees the file above it."""
    bot, admin = event.bot, event.from_user
    if bot is None or admin is None:
        return
    chat_id = event.chat.id if isinstance(event, Message) else admin.id
    answered = asyncio.Event()
    work = _export(bot, chat_id, staff, kind, period, everything, answered)
    if not jobs.start(bot.id, admin.id, work):
        busy = _("An export is already being prepared. Its file will come here; then ask for the next one.")
        if isinstance(event, Message):
            await event.answer(busy)
        else:
            spinner = event.answer(busy, show_alert=True)
            if not answer_later(spinner):
                await spinner
        return
    try:
        preparing = _("⏳ Preparing the file: {what}, {period}. It will come to this chat when it is ready.").format(
            what=kind_label(kind), period=label
        )
        await show(event, preparing)
    finally:
        answered.set()


async def _export(
    bot: Bot,
    chat_id: int,
    staff: BillingHubClient,
    kind: ExportKind,
    period: Period,
    everything: bool,
    answered: asyncio.Event,
) -> None:
    """The export job: the file, or a plain message saying why not (a failure's details go to the
    log only, with the bot's token taken out)."""
    try:
        await _send_export(bot, chat_id, staff, kind, period, everything, answered)
    except asyncio.CancelledError:  # the bot stops (a restart, a new token): no file will come
        if answered.is_set():  # else the handler's own answer is not out yet: nothing to follow up
            await _tell_stopped(bot, chat_id, kind)
        raise
    except Exception as error:  # the core or Telegram failed: tell the admin in plain words
        log.error("export failed", bot_id=bot.id, kind=kind.value, error=redact(repr(error), bot.token))
        try:
            text = _("The file could not be prepared. Try again in a few minutes.")
            await bot.send_message(chat_id, text, reply_markup=export_periods(kind))
        except Exception as notice_error:  # Telegram itself is away: the log has it
            log.warning("export failure not told", bot_id=bot.id, error=redact(repr(notice_error), bot.token))


async def _tell_stopped(bot: Bot, chat_id: int, kind: ExportKind) -> None:
    """Say that the export ended with the bot, briefly: the bot is stopping and waits for this."""
    text = _("⚠️ The export stopped: the bot restarted before the file was ready. Ask for it again.")
    try:
        async with asyncio.timeout(STOPPED_NOTICE_SECONDS):
            await bot.send_message(chat_id, text, reply_markup=export_periods(kind))
    except Exception as error:  # Telegram is away or slow: the log has it, the stop goes on
        log.warning("export stop not told", bot_id=bot.id, error=redact(repr(error), bot.token))


async def _send_export(
    bot: Bot,
    chat_id: int,
    staff: BillingHubClient,
    kind: ExportKind,
    period: Period,
    everything: bool,
    answered: asyncio.Event,
) -> None:
    """Stream the rows into a temporary file, then send it (or say why not) once `answered`."""
    # on disk (the system's temporary directory, TMPDIR), deleted when the block ends
    with tempfile.NamedTemporaryFile("w+", encoding=ENCODING, newline="", suffix=".csv", prefix="export-") as file:
        try:
            rows = await write_export(staff, kind, period.start, period.end, file)
        except PermissionDenied:  # the permission was taken away since the bot's settings were read
            await answered.wait()
            await bot.send_message(chat_id, refusal())
            return
        file.flush()
        await answered.wait()
        if rows == 0:
            await bot.send_message(chat_id, empty_text(kind), reply_markup=export_periods(kind))
            return
        if os.fstat(file.fileno()).st_size > MAX_DOCUMENT_BYTES:
            text = _("The file is larger than the 50 MB Telegram lets a bot send. Choose a shorter period.")
            await bot.send_message(chat_id, text, reply_markup=export_periods(kind))
            return
        document = FSInputFile(file.name, filename=period.filename(kind))
        await bot.send_document(chat_id, document, caption=caption(kind, period, rows, everything))
