"""Keyboards of the admin menu: the sections an admin may open, the stats' periods.

A section is one row of `SECTIONS`: its screen, its label and the permission that shows it (None:
every admin). Another admin feature plugs in with one row here and its handler module; only
sections that do something are listed, so no button leads nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.admin_access import BROADCAST, CATALOG, EXPORT, QUEUES, REFUNDS, STATS, USERS, Permission
from bot_gateway.callbacks import AdminCallback, AdminSection, StatsCallback, StatsChartCallback, StatsPeriod
from bot_gateway.keyboards.menu import back_button


@dataclass(frozen=True)
class Section:
    """One button of the admin menu."""

    screen: AdminSection
    label: Callable[[], str]  # translated when shown, in the admin's locale
    permission: Permission | None  # None: every admin sees it


SECTIONS: tuple[Section, ...] = (
    Section(AdminSection.STATS, lambda: _("📊 Stats"), STATS),
    Section(AdminSection.HEALTH, lambda: _("🩺 Health"), None),
    Section(AdminSection.USERS, lambda: _("👥 Users"), USERS),
    Section(AdminSection.EXPORT, lambda: _("📤 Export"), EXPORT),
    Section(AdminSection.QUEUES, lambda: _("📥 Queues"), QUEUES),
    Section(AdminSection.ORDERS, lambda: _("🧾 Orders"), REFUNDS),
    Section(AdminSection.CATALOG, lambda: _("🗂 Catalog"), CATALOG),
    Section(AdminSection.BROADCAST, lambda: _("📣 Broadcast"), BROADCAST),
)


def admin_menu(permissions: Set[Permission]) -> InlineKeyboardMarkup:
    """The sections `permissions` allow, two a row, then back to the main menu."""
    builder = InlineKeyboardBuilder()
    for section in SECTIONS:
        if section.permission is None or section.permission in permissions:
            builder.button(text=section.label(), callback_data=AdminCallback(section=section.screen))
    builder.adjust(2)
    builder.row(back_button())
    return builder.as_markup()


def back_to_admin() -> InlineKeyboardMarkup:
    """Only the way back to the admin menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    return builder.as_markup()


def period_label(period: StatsPeriod) -> str:
    return {
        StatsPeriod.TODAY: _("Today"),
        StatsPeriod.WEEK: _("7 days"),
        StatsPeriod.MONTH: _("30 days"),
    }[period]


def stats_keyboard(current: StatsPeriod) -> InlineKeyboardMarkup:
    """The periods (the shown one marked), the chart of the shown one, back to the admin menu."""
    builder = InlineKeyboardBuilder()
    for period in StatsPeriod:
        mark = "✅ " if period is current else ""
        builder.button(text=f"{mark}{period_label(period)}", callback_data=StatsCallback(period=period))
    builder.button(text=_("📈 Revenue chart"), callback_data=StatsChartCallback(period=current))
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    builder.adjust(3, 1, 1)
    return builder.as_markup()
