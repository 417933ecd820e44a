"""Callback data of every inline button, as aiogram `CallbackData` factories (no hand-split strings).

Telegram allows 64 bytes of callback data; ids are UUIDs (36 characters) and categories at most
50, so every factory below fits. Page tokens of the core do not (up to 2048 characters): the
history keeps them in the user's FSM data and its buttons carry page numbers only.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Screen(StrEnum):
    """The screens the main menu opens."""

    MENU = "menu"
    BALANCE = "balance"
    BUY = "buy"
    HISTORY = "history"
    REFERRALS = "referrals"
    PROMO = "promo"
    SUPPORT = "support"
    LANGUAGE = "language"


class MenuCallback(CallbackData, prefix="m"):
    """Open one screen of the main menu."""

    screen: Screen


class CategoryCallback(CallbackData, prefix="cat"):
    """Show the packages of a category."""

    category: str


class PackageCallback(CallbackData, prefix="pkg"):
    """Show one package's details and prices."""

    package_id: str


class PayCallback(CallbackData, prefix="pay"):
    """Buy a package from the wallet of one asset."""

    package_id: str
    asset: str


class HistoryCallback(CallbackData, prefix="hist"):
    """Show a page of the order history (0 is the newest)."""

    page: int


class LanguageCallback(CallbackData, prefix="lang"):
    """Switch the user's language."""

    locale: str


class StarsCallback(CallbackData, prefix="stars"):
    """Pay for a package with Telegram Stars (an invoice), not from the wallet."""

    package_id: str
