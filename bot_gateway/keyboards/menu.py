"""The main menu and the "back" rows every screen ends with."""

from __future__ import annotations

import functools

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import MenuCallback, Screen

MENU_DATA = {screen: MenuCallback(screen=screen).pack() for screen in Screen}  # the packed data of each screen


def main_menu() -> InlineKeyboardMarkup:
    """Balance, buy, history, subscription, services, referrals, promo code, support, language: two
    a row."""
    buttons = [
        (_("💰 Balance"), Screen.BALANCE),
        (_("🛒 Buy"), Screen.BUY),
        (_("📜 History"), Screen.HISTORY),
        (_("⭐ Subscription"), Screen.SUBSCRIPTION),
        (_("🚀 My services"), Screen.SERVICES),
        (_("👥 Referrals"), Screen.REFERRALS),
        (_("🎁 Promo code"), Screen.PROMO),
        (_("💬 Support"), Screen.SUPPORT),
        (_("🌐 Language"), Screen.LANGUAGE),
    ]
    packed = [(label, MENU_DATA[screen]) for label, screen in buttons]
    return menu_markup(tuple(tuple(packed[start : start + 2]) for start in range(0, len(packed), 2)))


@functools.lru_cache(maxsize=4096)
def menu_markup(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    """A keyboard of callback buttons, rows of (label, callback data), built once per wording.

    A menu's keyboard is the same for every user of a locale (and of a tenant's text overrides);
    building it anew through the pydantic models for every press cost a tenth of the press. The
    markup is shared and never changed: the Bot API methods only read it."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data) for label, data in row] for row in rows]
    )


def back_label(to: Screen = Screen.MENU) -> str:
    return _("⬅️ Menu") if to is Screen.MENU else _("⬅️ Back")


def back_button(to: Screen = Screen.MENU) -> InlineKeyboardButton:
    """One button back to a screen (the main menu by default)."""
    return InlineKeyboardButton(text=back_label(to), callback_data=MENU_DATA[to])


def back_to_menu() -> InlineKeyboardMarkup:
    """A keyboard with only the way back to the main menu."""
    return menu_markup((((back_label(), MENU_DATA[Screen.MENU]),),))
