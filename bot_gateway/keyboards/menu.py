"""The main menu and the "back" rows every screen ends with."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import MenuCallback, Screen


def main_menu() -> InlineKeyboardMarkup:
    """Balance, buy, history, subscription, services, referrals, promo code, support, language: two
    a row."""
    builder = InlineKeyboardBuilder()
    for screen, label in (
        (Screen.BALANCE, _("💰 Balance")),
        (Screen.BUY, _("🛒 Buy")),
        (Screen.HISTORY, _("📜 History")),
        (Screen.SUBSCRIPTION, _("⭐ Subscription")),
        (Screen.SERVICES, _("🚀 My services")),
        (Screen.REFERRALS, _("👥 Referrals")),
        (Screen.PROMO, _("🎁 Promo code")),
        (Screen.SUPPORT, _("💬 Support")),
        (Screen.LANGUAGE, _("🌐 Language")),
    ):
        builder.button(text=label, callback_data=MenuCallback(screen=screen))
    builder.adjust(2)
    return builder.as_markup()


def back_button(to: Screen = Screen.MENU) -> InlineKeyboardButton:
    """One button back to a screen (the main menu by default)."""
    label = _("⬅️ Menu") if to is Screen.MENU else _("⬅️ Back")
    return InlineKeyboardButton(text=label, callback_data=MenuCallback(screen=to).pack())


def back_to_menu() -> InlineKeyboardMarkup:
    """A keyboard with only the way back to the main menu."""
    return InlineKeyboardMarkup(inline_keyboard=[[back_button()]])
