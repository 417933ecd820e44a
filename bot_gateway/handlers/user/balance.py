"""Balance: every wallet of the user (each asset of the tenant), posted and, when any, held."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import MENU_DATA, back_label, menu_markup
from sdk.billinghub.v1 import user_pb2, wallet_service_pb2
from sdk.client import BillingHubClient

router = Router(name="balance")


async def balance_text(hub: BillingHubClient, user: user_pb2.User) -> str:
    """ "Your balance:" and a line per wallet, e.g. "• 199.00 RUB"."""
    response: wallet_service_pb2.GetBalancesResponse = await hub.wallet.GetBalances(
        wallet_service_pb2.GetBalancesRequest(user_id=user.id)
    )
    scales = await asset_scales(hub, *(balance.available.asset for balance in response.balances))
    lines = [_("Your balance:")]
    for balance in response.balances:
        line = f"• {money(balance.available, scales)}"
        if balance.held.amount_minor:
            line += " " + _("(held: {amount})").format(amount=money(balance.held, scales))
        lines.append(line)
    return "\n".join(lines)


def balance_keyboard() -> InlineKeyboardMarkup:
    """Top up, buy, and back to the menu."""
    return menu_markup(
        (
            ((_("➕ Top up"), MENU_DATA[Screen.TOPUP]), (_("🛒 Buy"), MENU_DATA[Screen.BUY])),
            ((back_label(), MENU_DATA[Screen.MENU]),),
        )
    )


@router.message(Command("balance"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.BALANCE))
async def open_balance(event: Message | CallbackQuery, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Show the user's wallets."""
    await show(event, await balance_text(hub, user), balance_keyboard())
