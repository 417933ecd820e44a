"""Keyboards of the admin export: what to export, then over which period."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    ExportDatesCallback,
    ExportKind,
    ExportKindCallback,
    ExportPeriod,
    ExportPeriodCallback,
)


def kind_label(kind: ExportKind) -> str:
    """What a file holds, as a button and a caption name it."""
    return {
        ExportKind.TRANSFERS: _("Transfers"),
        ExportKind.ORDERS: _("Orders"),
        ExportKind.USERS: _("Users"),
    }[kind]


def export_period_label(period: ExportPeriod) -> str:
    return {
        ExportPeriod.WEEK: _("7 days"),
        ExportPeriod.MONTH: _("30 days"),
        ExportPeriod.ALL: _("All time"),
    }[period]


def export_kinds() -> InlineKeyboardMarkup:
    """Transfers, orders, users; back to the admin menu."""
    builder = InlineKeyboardBuilder()
    for kind in ExportKind:
        builder.button(text=kind_label(kind), callback_data=ExportKindCallback(kind=kind))
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    builder.adjust(3, 1)
    return builder.as_markup()


def export_periods(kind: ExportKind) -> InlineKeyboardMarkup:
    """The ready-made periods, typed dates, back to the choice of what to export."""
    builder = InlineKeyboardBuilder()
    for period in ExportPeriod:
        builder.button(text=export_period_label(period), callback_data=ExportPeriodCallback(kind=kind, period=period))
    builder.button(text=_("📅 Enter dates"), callback_data=ExportDatesCallback(kind=kind))
    builder.button(text=_("⬅️ Back"), callback_data=AdminCallback(section=AdminSection.EXPORT))
    builder.adjust(3, 1, 1)
    return builder.as_markup()


def back_to_periods(kind: ExportKind) -> InlineKeyboardMarkup:
    """Only the way back to the periods of `kind` (leaving the typed-dates prompt)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back"), callback_data=ExportKindCallback(kind=kind))
    return builder.as_markup()
