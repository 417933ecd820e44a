"""Keyboards of the admin queues: the two queues, a pending request's decision, a decided one's way on."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    QueueAction,
    QueueCallback,
    QueueDecisionCallback,
    QueueKind,
)


def _back_to_queues(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("⬅️ Queues"), callback_data=AdminCallback(section=AdminSection.QUEUES))


def queues_keyboard() -> InlineKeyboardMarkup:
    """Open either queue, or go back to the admin menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("💳 Top-up requests"), callback_data=QueueCallback(kind=QueueKind.TOPUP, page=0))
    builder.button(text=_("💸 Payout requests"), callback_data=QueueCallback(kind=QueueKind.PAYOUT, page=0))
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    builder.adjust(1)
    return builder.as_markup()


def request_keyboard(kind: QueueKind, request_id: str, page: int, *, has_next: bool) -> InlineKeyboardMarkup:
    """Approve (a payout: mark paid) or reject one pending request; skip to the next; back."""
    builder = InlineKeyboardBuilder()
    approve = _("✅ Approve") if kind is QueueKind.TOPUP else _("✅ Mark paid")
    for text, action in ((approve, QueueAction.APPROVE), (_("❌ Reject"), QueueAction.REJECT)):
        builder.button(text=text, callback_data=QueueDecisionCallback(kind=kind, action=action, request_id=request_id))
    if has_next:
        builder.button(text=_("⏭ Skip"), callback_data=QueueCallback(kind=kind, page=page + 1))
    _back_to_queues(builder)
    builder.adjust(2, 1)
    return builder.as_markup()


def after_decision(kind: QueueKind) -> InlineKeyboardMarkup:
    """The next pending request of the queue, or back to the queues."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⏭ Next request"), callback_data=QueueCallback(kind=kind, page=0))
    _back_to_queues(builder)
    builder.adjust(1)
    return builder.as_markup()


def back_to_queues() -> InlineKeyboardMarkup:
    """Only the way back to the queues."""
    builder = InlineKeyboardBuilder()
    _back_to_queues(builder)
    return builder.as_markup()


def cancel_typing(kind: QueueKind) -> InlineKeyboardMarkup:
    """Leave the reason or reference unsaid: back to the queue's newest request."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖️ Cancel"), callback_data=QueueCallback(kind=kind, page=0))
    return builder.as_markup()
