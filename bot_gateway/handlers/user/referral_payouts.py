"""The referral screen's leaderboard and payout request.

The leaderboard ranks the tenant's referrers by friends invited (GetLeaderboard); names are their
@usernames, or a masked id for users without one, so nobody's id is shown whole. A payout request
asks the amount (at most what may be withdrawn now, in the payout asset's scale) and where to pay
it, then CreatePayoutRequest holds the amount until an admin pays or rejects it.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import ReferralAction, ReferralCallback
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.referrals import back_to_referrals
from bot_gateway.states import PayoutStates
from sdk.billinghub.v1 import common_pb2, referral_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument
from sdk.money import format_amount, parse_amount

router = Router(name="referral_payouts")

LEADERBOARD_SIZE = 10
MAX_DESTINATION = 200
ASSET_KEY, AMOUNT_KEY = "payout_asset", "payout_amount"


@router.callback_query(ReferralCallback.filter(F.action == ReferralAction.LEADERBOARD))
async def open_leaderboard(callback: CallbackQuery, hub: BillingHubClient) -> None:
    """The top referrers by friends invited, all time."""
    response: referral_service_pb2.GetLeaderboardResponse = await hub.referrals.GetLeaderboard(
        referral_service_pb2.GetLeaderboardRequest(
            metric=referral_service_pb2.LEADERBOARD_METRIC_INVITED, limit=LEADERBOARD_SIZE
        )
    )
    if not response.entries:
        await show(callback, _("No one has invited friends yet."), back_to_referrals())
        return
    lines = [_("Top referrers:")]
    for entry in response.entries:
        name = f"@{entry.username}" if entry.username else f"…{entry.user_id[-4:]}"
        lines.append(_("{rank}. {name}: {count} invited").format(rank=entry.rank, name=name, count=entry.value))
    await show(callback, "\n".join(lines), back_to_referrals())


async def _withdrawable(hub: BillingHubClient, user: user_pb2.User) -> common_pb2.Money | None:
    response: referral_service_pb2.GetReferralStatsResponse = await hub.referrals.GetReferralStats(
        referral_service_pb2.GetReferralStatsRequest(user_id=user.id)
    )
    return next((amount for amount in response.stats.withdrawable if amount.amount_minor > 0), None)


@router.callback_query(ReferralCallback.filter(F.action == ReferralAction.PAYOUT))
async def ask_payout_amount(
    callback: CallbackQuery, state: FSMContext, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Ask how much to withdraw, up to what may be withdrawn now."""
    available = await _withdrawable(hub, user)
    if available is None:
        await show(callback, _("There is nothing to withdraw yet."), back_to_referrals())
        return
    await state.set_state(PayoutStates.amount)
    await state.set_data({ASSET_KEY: available.asset})
    text = _("How much do you want to withdraw? Available: {amount}. Send the amount.").format(
        amount=money(available, await asset_scales(hub, available.asset))
    )
    await show(callback, text, back_to_referrals())


@router.message(PayoutStates.amount, F.text)
async def type_payout_amount(message: Message, state: FSMContext, hub: BillingHubClient, user: user_pb2.User) -> None:
    """A positive amount of the payout asset, at most the withdrawable; then the destination."""
    asset = (await state.get_data()).get(ASSET_KEY, "")
    scales = await asset_scales(hub, asset)
    scale = scales.get(asset, 0)
    available = await _withdrawable(hub, user)
    limit = available.amount_minor if available is not None and available.asset == asset else 0
    try:
        amount = parse_amount(message.text or "", scale, asset)
    except ValueError:
        amount = common_pb2.Money(asset=asset, amount_minor=0)
    if not 0 < amount.amount_minor <= limit:
        text = _("Send an amount from {low} to {high}.").format(
            low=format_amount(1, scale, asset), high=format_amount(limit, scale, asset)
        )
        await message.answer(text, reply_markup=back_to_referrals())
        return
    await state.update_data({AMOUNT_KEY: amount.amount_minor})
    await state.set_state(PayoutStates.destination)
    await message.answer(
        _("Where should we pay it? Send a wallet address or card details (up to 200 characters)."),
        reply_markup=back_to_referrals(),
    )


@router.message(PayoutStates.destination, F.text, flags={"throttling": "purchase"})
async def type_destination(message: Message, state: FSMContext, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Record the payout request; the amount is held until an admin decides."""
    destination = (message.text or "").strip()
    if not 0 < len(destination) <= MAX_DESTINATION:
        await message.answer(
            _("Where should we pay it? Send a wallet address or card details (up to 200 characters)."),
            reply_markup=back_to_referrals(),
        )
        return
    data = await state.get_data()
    await state.clear()
    amount = common_pb2.Money(asset=data.get(ASSET_KEY, ""), amount_minor=int(data.get(AMOUNT_KEY, 0)))
    request = referral_service_pb2.CreatePayoutRequestRequest(
        request_id=f"tg-message:{message.chat.id}:{message.message_id}",
        user_id=user.id,
        amount_minor=amount.amount_minor,
        destination=destination,
    )
    try:
        await hub.referrals.CreatePayoutRequest(request)
    except FailedPrecondition as error:
        if error.reason == "BELOW_MIN_PAYOUT":
            text = _("This amount is below the smallest payout.")
        elif error.reason == "INSUFFICIENT_FUNDS":
            text = _("This is more than you can withdraw now.")
        else:
            text = _("A payout can't be requested now.")
        await message.answer(text, reply_markup=back_to_referrals())
        return
    except InvalidArgument:
        await message.answer(_("A payout can't be requested now."), reply_markup=back_to_referrals())
        return
    text = _("Your payout request for {amount} is sent. An admin will pay it to {destination}.").format(
        amount=money(amount, await asset_scales(hub, amount.asset)), destination=destination
    )
    await message.answer(text, reply_markup=back_to_referrals())
