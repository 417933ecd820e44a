"""Export: a CSV file of the tenant's transfers, orders or users over a period, sent as a document.

The admin picks what (transfers, orders, users), then a period: the last 7 or 30 days, everything,
or days typed as YYYY-MM-DD..YYYY-MM-DD (whole UTC days, both included; export_periods.py). The rows
stream from the core on the admin's behalf (ExportTransfers, ExportOrders, ExportUsers: the core
wants the EXPORT permission) and go straight into a temporary file on disk as each batch arrives
(export_csv.py), never into a list: a tenant's whole history costs the bot one batch of memory.
The file is uploaded from disk (FSInputFile) and deleted. An empty period gets a message instead
of a file with a header only, and a file over what Telegram lets a bot send gets one too.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from aiogram import F, Router
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
from bot_gateway.states import ExportStates
from bot_gateway.webhook_reply import answer_later
from sdk.client import BillingHubClient
from sdk.errors import PermissionDenied

router = Router(name="admin_export")

NEEDS_EXPORT = {PERMISSION_FLAG: EXPORT}
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # what the Bot API lets a bot upload


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
async def typed_dates(message: Message, state: FSMContext, staff: BillingHubClient) -> None:
    """Export the typed days; a period that does not read stays asked for, with what is wrong."""
    data = await state.get_data()
    kind = ExportKind(data.get("export_kind", ExportKind.ORDERS.value))
    period = typed(message.text or "")
    if isinstance(period, PeriodError):
        await message.answer(period_error_text(period), reply_markup=back_to_periods(kind))
        return
    await state.clear()
    await _send_export(message, staff, kind, period, everything=False)


@router.callback_query(ExportPeriodCallback.filter(), flags=NEEDS_EXPORT)
async def ready_made_period(
    callback: CallbackQuery, callback_data: ExportPeriodCallback, staff: BillingHubClient
) -> None:
    """Export the last 7 or 30 days, or everything."""
    preparing = _("Preparing the file: {period}…").format(period=export_period_label(callback_data.period))
    spinner = callback.answer(preparing)
    if not answer_later(spinner):
        await spinner
    period = ready_made(callback_data.period)
    await _send_export(callback, staff, callback_data.kind, period, everything=callback_data.period is ExportPeriod.ALL)


async def _send_export(
    event: Message | CallbackQuery, staff: BillingHubClient, kind: ExportKind, period: Period, *, everything: bool
) -> None:
    """Stream the rows into a temporary file, then send it (or say why not)."""
    bot = event.bot
    chat_id = event.chat.id if isinstance(event, Message) else event.from_user.id
    if bot is None:
        return
    # on disk (the system's temporary directory, TMPDIR), deleted when the block ends
    with tempfile.NamedTemporaryFile("w+", encoding=ENCODING, newline="", suffix=".csv", prefix="export-") as file:
        try:
            rows = await write_export(staff, kind, period.start, period.end, file)
        except PermissionDenied:  # the permission was taken away since the bot's settings were read
            await bot.send_message(chat_id, refusal())
            return
        file.flush()
        if rows == 0:
            await bot.send_message(chat_id, empty_text(kind), reply_markup=export_periods(kind))
            return
        if os.fstat(file.fileno()).st_size > MAX_DOCUMENT_BYTES:
            text = _("The file is larger than the 50 MB Telegram lets a bot send. Choose a shorter period.")
            await bot.send_message(chat_id, text, reply_markup=export_periods(kind))
            return
        document = FSInputFile(file.name, filename=period.filename(kind))
        await bot.send_document(chat_id, document, caption=caption(kind, period, rows, everything))
