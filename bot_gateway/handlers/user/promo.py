"""Promo code: ask for the code, redeem it in the core, say what it credited or why not.

The screen waits for the code in an FSM state; anything typed there is the code. Each reason the
core refuses a code gets its own message, so a user knows whether to retype or give up.
"""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_to_menu
from bot_gateway.states import PromoStates
from sdk.billinghub.v1 import promo_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound

router = Router(name="promo")

# what a code can be (promo.proto): typed text of another shape is answered without a core call
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{3,32}")


@router.message(Command("promo"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.PROMO))
async def ask_code(event: Message | CallbackQuery, state: FSMContext) -> None:
    """Wait for the user to type a code."""
    await state.set_state(PromoStates.code)
    await show(event, _("Send your promo code in a message."), back_to_menu())


def refusal(error: FailedPrecondition) -> str:
    """Why the core refused a code, in the user's words."""
    if error.reason == "PROMO_EXHAUSTED":
        return _("This promo code has been used up.")
    if error.reason == "PROMO_NOT_APPLICABLE":
        return _("This code gives a discount on a purchase; it cannot be redeemed here.")
    return _("This promo code is not valid now.")


@router.message(PromoStates.code, F.text, flags={"throttling": "promo"})
async def redeem(message: Message, state: FSMContext, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Redeem the typed code; the screen stops waiting whatever the answer."""
    await state.clear()
    code = (message.text or "").strip()
    if not CODE_SHAPE.fullmatch(code):
        await message.answer(_("That does not look like a promo code."), reply_markup=back_to_menu())
        return
    request = promo_service_pb2.RedeemPromoCodeRequest(
        request_id=f"tg-message:{message.chat.id}:{message.message_id}", user_id=user.id, code=code
    )
    try:
        response: promo_service_pb2.RedeemPromoCodeResponse = await hub.promos.RedeemPromoCode(request)
    except NotFound:
        text = _("There is no such promo code.")
    except InvalidArgument:
        text = _("That does not look like a promo code.")
    except FailedPrecondition as error:
        text = refusal(error)
    else:
        credited = money(response.transfer.amount, await asset_scales(hub, response.transfer.amount.asset))
        text = _("Promo code {code} applied: {amount} credited to your balance.").format(
            code=response.promo_code.code, amount=credited
        )
    await message.answer(text, reply_markup=back_to_menu())
