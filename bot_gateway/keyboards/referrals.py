"""Keyboards of the referral screen: the leaderboard, a payout request, back to the menu."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import MenuCallback, ReferralAction, ReferralCallback, Screen
from bot_gateway.keyboards.menu import back_button


def referral_keyboard(*, can_withdraw: bool) -> InlineKeyboardMarkup:
    """The leaderboard, "withdraw" when something may be withdrawn, and the menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏆 Top referrers"), callback_data=ReferralCallback(action=ReferralAction.LEADERBOARD))
    if can_withdraw:
        builder.button(text=_("💸 Withdraw"), callback_data=ReferralCallback(action=ReferralAction.PAYOUT))
    builder.adjust(2)
    builder.row(back_button())
    return builder.as_markup()


def back_to_referrals() -> InlineKeyboardMarkup:
    """Only the way back to the referral screen."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back"), callback_data=MenuCallback(screen=Screen.REFERRALS))
    return builder.as_markup()
