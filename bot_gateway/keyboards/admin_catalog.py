"""Keyboards of the admin catalog: categories, a category's packages, a package's actions, the
locales of a title and the confirm step of an edit.

Telegram takes 64 bytes of callback data: a category whose name does not fit (a long non-Latin
name, or one holding the factories' ":" separator) gets no button rather than a broken one.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    AdminCallback,
    AdminCatalogConfirmCallback,
    AdminCategoryCallback,
    AdminPackageActiveCallback,
    AdminPackageCallback,
    AdminPriceCallback,
    AdminSection,
    AdminTitleCallback,
)
from bot_gateway.formatting import Scales, money, package_title
from bot_gateway.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from sdk.billinghub.v1 import package_pb2


def admin_menu_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU).pack())


def category_data(name: str) -> str | None:
    """The packed button data of a category, or None when Telegram could not carry it."""
    try:
        return AdminCategoryCallback(category=name).pack()
    except ValueError:  # the separator in the name, or more than 64 bytes
        return None


def status_mark(package: package_pb2.Package) -> str:
    """🗄 archived, ✅ on sale, ⏸ off sale."""
    if package.archived:
        return "🗄"
    return "✅" if package.active else "⏸"


def catalog_categories(names: Sequence[str]) -> InlineKeyboardMarkup:
    """One button per category, then back to the admin menu."""
    builder = InlineKeyboardBuilder()
    for name in names:
        data = category_data(name)
        if data is not None:
            builder.button(text=name or _("Other"), callback_data=data)
    builder.adjust(2)
    builder.row(admin_menu_button())
    return builder.as_markup()


def category_packages(items: Sequence[package_pb2.Package], locale: str, scales: Scales) -> InlineKeyboardMarkup:
    """One button per package ("✅ title · primary price"), then back to the categories."""
    builder = InlineKeyboardBuilder()
    for package in items:
        label = f"{status_mark(package)} {package_title(package, locale)} · {money(package.price, scales)}"
        builder.button(text=label, callback_data=AdminPackageCallback(package_id=package.id))
    builder.button(text=_("⬅️ Categories"), callback_data=AdminCallback(section=AdminSection.CATALOG))
    builder.adjust(1)
    return builder.as_markup()


def package_actions(package: package_pb2.Package) -> InlineKeyboardMarkup:
    """Take off or put on sale, edit each price, edit the title; back. An archived package can
    change no more: only the way back."""
    builder = InlineKeyboardBuilder()
    if not package.archived:
        label = _("⏸ Take off sale") if package.active else _("▶️ Put on sale")
        builder.button(
            text=label, callback_data=AdminPackageActiveCallback(package_id=package.id, active=not package.active)
        )
        for price in package.prices:
            builder.button(
                text=_("✏️ Price in {asset}").format(asset=price.asset),
                callback_data=AdminPriceCallback(package_id=package.id, asset=price.asset),
            )
        builder.button(text=_("🌐 Title"), callback_data=AdminTitleCallback(package_id=package.id))
    builder.adjust(1)
    back = category_data(package.category)
    last = [InlineKeyboardButton(text=_("⬅️ Back"), callback_data=back)] if back is not None else []
    builder.row(*last, admin_menu_button())
    return builder.as_markup()


def title_locales(package_id: str) -> InlineKeyboardMarkup:
    """The locales a title may be given in, then back to the package."""
    builder = InlineKeyboardBuilder()
    for locale in SUPPORTED_LOCALES:
        builder.button(
            text=LANGUAGE_NAMES[locale], callback_data=AdminTitleCallback(package_id=package_id, locale=locale)
        )
    builder.button(text=_("✖️ Cancel"), callback_data=AdminPackageCallback(package_id=package_id))
    builder.adjust(len(SUPPORTED_LOCALES), 1)
    return builder.as_markup()


def cancel_edit(package_id: str) -> InlineKeyboardMarkup:
    """Only the way back to the package, dropping the edit."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖️ Cancel"), callback_data=AdminPackageCallback(package_id=package_id))
    return builder.as_markup()


def confirm_edit(package_id: str) -> InlineKeyboardMarkup:
    """Apply the edit, or drop it and go back to the package."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Confirm"), callback_data=AdminCatalogConfirmCallback(package_id=package_id))
    builder.button(text=_("✖️ Cancel"), callback_data=AdminPackageCallback(package_id=package_id))
    builder.adjust(2)
    return builder.as_markup()
