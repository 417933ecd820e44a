"""Keyboards of the admin's broadcast screens: compose, segment, confirm, and the progress buttons."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    BroadcastAction,
    BroadcastCallback,
    BroadcastSegmentCallback,
    BroadcastSegmentChoice,
)
from sdk.billinghub.v1 import broadcast_pb2

St = broadcast_pb2.BroadcastStatus


def _admin_menu_button(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))


def broadcast_home(current: str = "") -> InlineKeyboardMarkup:
    """New broadcast; the current one's progress when there is one; back."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✍️ New broadcast"), callback_data=BroadcastCallback(action=BroadcastAction.NEW))
    if current:
        builder.button(
            text=_("📈 Progress"),
            callback_data=BroadcastCallback(action=BroadcastAction.REFRESH, broadcast_id=current),
        )
    _admin_menu_button(builder)
    builder.adjust(1)
    return builder.as_markup()


def compose_cancel() -> InlineKeyboardMarkup:
    """While composing: only the way out."""
    builder = InlineKeyboardBuilder()
    _admin_menu_button(builder)
    return builder.as_markup()


def skip_button() -> InlineKeyboardMarkup:
    """The URL button step: no button, or out."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Without a button"), callback_data=BroadcastCallback(action=BroadcastAction.SKIP_BUTTON))
    _admin_menu_button(builder)
    builder.adjust(1)
    return builder.as_markup()


def segment_label(choice: BroadcastSegmentChoice) -> str:
    return {
        BroadcastSegmentChoice.ALL: _("Everyone"),
        BroadcastSegmentChoice.PAID: _("Paid at least once"),
        BroadcastSegmentChoice.ACTIVE_SUBSCRIPTION: _("Active subscription"),
        BroadcastSegmentChoice.LANGUAGE: _("By language"),
        BroadcastSegmentChoice.INACTIVE: _("Inactive for N days"),
    }[choice]


def segments() -> InlineKeyboardMarkup:
    """The segments, one a row, then out."""
    builder = InlineKeyboardBuilder()
    for choice in BroadcastSegmentChoice:
        builder.button(text=segment_label(choice), callback_data=BroadcastSegmentCallback(segment=choice))
    _admin_menu_button(builder)
    builder.adjust(1)
    return builder.as_markup()


def confirm(broadcast_id: str) -> InlineKeyboardMarkup:
    """Start the previewed draft, or drop it."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Start"), callback_data=BroadcastCallback(action=BroadcastAction.START, broadcast_id=broadcast_id)
    )
    builder.button(
        text=_("🗑 Discard"), callback_data=BroadcastCallback(action=BroadcastAction.DISCARD, broadcast_id=broadcast_id)
    )
    builder.adjust(2)
    return builder.as_markup()


def progress(broadcast: broadcast_pb2.Broadcast) -> InlineKeyboardMarkup:
    """Pause or resume (as the status allows), cancel, refresh while it is not over; back."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []

    def add(text: str, action: BroadcastAction) -> None:
        builder.button(text=text, callback_data=BroadcastCallback(action=action, broadcast_id=broadcast.id))

    if broadcast.status == St.BROADCAST_STATUS_RUNNING:
        add(_("⏸ Pause"), BroadcastAction.PAUSE)
    elif broadcast.status == St.BROADCAST_STATUS_PAUSED:
        add(_("▶️ Resume"), BroadcastAction.RESUME)
    if broadcast.status in (St.BROADCAST_STATUS_RUNNING, St.BROADCAST_STATUS_PAUSED, St.BROADCAST_STATUS_QUEUED):
        add(_("✖️ Cancel broadcast"), BroadcastAction.CANCEL)
        add(_("🔄 Refresh"), BroadcastAction.REFRESH)
        sizes = [2, 1] if broadcast.status != St.BROADCAST_STATUS_QUEUED else [1, 1]
    _admin_menu_button(builder)
    builder.adjust(*sizes, 1)
    return builder.as_markup()
