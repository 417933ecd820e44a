"""Keyboards of the admin's Users section: search results, a profile's actions, the confirm steps.

A button an admin may not use is not shown (the adjustment without ADJUST); the admin router's
permission check refuses it anyway when pressed from an old message or forged.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    AdjustAssetCallback,
    AdjustConfirmCallback,
    AdjustPresetCallback,
    AdjustUserCallback,
    AdminBlockCallback,
    AdminCallback,
    AdminSection,
    AdminUserCallback,
)
from bot_gateway.user_lookup import display_name
from sdk.billinghub.v1 import user_pb2
from sdk.money import format_amount

PRESETS = (100, 500, 1000)  # whole units of the asset, offered as credits and as debits


def _admin_menu_row(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("🔎 Search again"), callback_data=AdminCallback(section=AdminSection.USERS))
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))


def search_results_keyboard(users: list[user_pb2.User]) -> InlineKeyboardMarkup:
    """A button per user found, then the way back."""
    builder = InlineKeyboardBuilder()
    for user in users:
        builder.button(
            text=f"{display_name(user)} · {user.external_id}", callback_data=AdminUserCallback(user_id=user.id)
        )
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    builder.adjust(1)
    return builder.as_markup()


def profile_keyboard(user: user_pb2.User, may_adjust: bool) -> InlineKeyboardMarkup:
    """Adjust (ADJUST only), block or unblock, refresh, search again, admin menu."""
    builder = InlineKeyboardBuilder()
    rows = []
    if may_adjust:
        builder.button(text=_("± Adjust balance"), callback_data=AdjustUserCallback(user_id=user.id))
        rows.append(1)
    if user.blocked:
        builder.button(text=_("✅ Unblock"), callback_data=AdminBlockCallback(user_id=user.id, blocked=False))
    else:
        builder.button(text=_("🚫 Block"), callback_data=AdminBlockCallback(user_id=user.id, blocked=True))
    builder.button(text=_("🔄 Refresh"), callback_data=AdminUserCallback(user_id=user.id))
    _admin_menu_row(builder)
    builder.adjust(*rows, 2, 2)
    return builder.as_markup()


def back_to_profile(user_id: str) -> InlineKeyboardMarkup:
    """Cancel the step: back to the user's profile."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖️ Cancel"), callback_data=AdminUserCallback(user_id=user_id))
    return builder.as_markup()


def block_confirm_keyboard(user_id: str, blocked: bool) -> InlineKeyboardMarkup:
    """Yes (block or unblock), or back to the profile."""
    builder = InlineKeyboardBuilder()
    label = _("🚫 Yes, block") if blocked else _("✅ Yes, unblock")
    builder.button(text=label, callback_data=AdminBlockCallback(user_id=user_id, blocked=blocked, confirmed=True))
    builder.button(text=_("✖️ Cancel"), callback_data=AdminUserCallback(user_id=user_id))
    builder.adjust(2)
    return builder.as_markup()


def adjust_assets_keyboard(user_id: str, scales: Mapping[str, int]) -> InlineKeyboardMarkup:
    """A button per asset of the shop, then cancel."""
    builder = InlineKeyboardBuilder()
    for asset in sorted(scales):
        builder.button(text=asset, callback_data=AdjustAssetCallback(asset=asset))
    builder.button(text=_("✖️ Cancel"), callback_data=AdminUserCallback(user_id=user_id))
    builder.adjust(3)
    return builder.as_markup()


def adjust_presets_keyboard(user_id: str, asset: str, scale: int) -> InlineKeyboardMarkup:
    """The preset credits on one row, the same debits on the next, then cancel."""
    builder = InlineKeyboardBuilder()
    for sign in (1, -1):
        for units in PRESETS:
            minor = sign * units * 10**scale
            text = ("+" if sign > 0 else "") + format_amount(minor, scale, asset)
            builder.button(text=text, callback_data=AdjustPresetCallback(amount_minor=minor))
    builder.button(text=_("✖️ Cancel"), callback_data=AdminUserCallback(user_id=user_id))
    builder.adjust(len(PRESETS), len(PRESETS), 1)
    return builder.as_markup()


def adjust_confirm_keyboard(user_id: str, token: str) -> InlineKeyboardMarkup:
    """Post it, or back to the profile without changing anything."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Confirm"), callback_data=AdjustConfirmCallback(token=token))
    builder.button(text=_("✖️ Cancel"), callback_data=AdminUserCallback(user_id=user_id))
    builder.adjust(2)
    return builder.as_markup()


def after_adjust_keyboard(user_id: str) -> InlineKeyboardMarkup:
    """Back to the user's profile or the admin menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("👤 Profile"), callback_data=AdminUserCallback(user_id=user_id))
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    builder.adjust(2)
    return builder.as_markup()
