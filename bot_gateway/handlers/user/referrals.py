"""Referrals: the user's invitation link, how many they invited, what they earned (GetReferralStats)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.handlers.user.start import referral_link
from bot_gateway.keyboards.referrals import referral_keyboard
from sdk.billinghub.v1 import referral_service_pb2, user_pb2
from sdk.client import BillingHubClient

router = Router(name="referrals")


@router.message(Command("referrals"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.REFERRALS))
async def open_referrals(event: Message | CallbackQuery, bot: Bot, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Link, invited counts, earnings and what may be withdrawn."""
    response: referral_service_pb2.GetReferralStatsResponse = await hub.referrals.GetReferralStats(
        referral_service_pb2.GetReferralStatsRequest(user_id=user.id)
    )
    stats = response.stats
    me = await bot.me()
    link = referral_link(me.username, stats.referral_code) if me.username else stats.link
    invited = stats.invited_by_level[0] if stats.invited_by_level else 0
    lines = [
        _("Your referral link:\n{link}").format(link=link),
        ngettext("You invited {count} friend.", "You invited {count} friends.", invited).format(count=invited),
    ]
    scales = await asset_scales(hub, *(amount.asset for amount in (*stats.earned, *stats.withdrawable)))
    earned = ", ".join(money(amount, scales) for amount in stats.earned if amount.amount_minor)
    lines.append(_("Earned: {amounts}").format(amounts=earned or "0"))
    withdrawable = ", ".join(money(amount, scales) for amount in stats.withdrawable if amount.amount_minor)
    if withdrawable:
        lines.append(_("Available to withdraw: {amounts}").format(amounts=withdrawable))
    await show(event, "\n\n".join(lines), referral_keyboard(can_withdraw=bool(withdrawable)))
