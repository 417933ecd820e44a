"""Keyboards of the history pager and the language switch."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import HistoryCallback, LanguageCallback
from bot_gateway.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from bot_gateway.keyboards.menu import back_button


def history_pager(page: int, *, has_next: bool) -> InlineKeyboardMarkup:
    """Newer / older buttons around the current page, then back to the menu."""
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text=_("⬅️ Newer"), callback_data=HistoryCallback(page=page - 1))
    if has_next:
        builder.button(text=_("Older ➡️"), callback_data=HistoryCallback(page=page + 1))
    builder.row(back_button())
    return builder.as_markup()


def languages(current: str) -> InlineKeyboardMarkup:
    """One button per supported language, the current one marked."""
    builder = InlineKeyboardBuilder()
    for locale in SUPPORTED_LOCALES:
        mark = "✅ " if locale == current else ""
        builder.button(text=f"{mark}{LANGUAGE_NAMES[locale]}", callback_data=LanguageCallback(locale=locale))
    builder.adjust(3)
    builder.row(back_button())
    return builder.as_markup()
