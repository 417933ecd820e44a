"""Topping up the wallet with Telegram Stars: the "⭐ Stars" choice of the top-up screen and its invoice.

Stars are only ever paid inside Telegram, by an invoice, so a Stars top-up has no list of methods:
once the amount is chosen (a preset or typed, the top-up screen's amount step) the bot asks the
core for an invoice of that amount (CreateStarsInvoice with `amount` in XTR) and sends it with
sendInvoice. Its pre_checkout_query and successful_payment go through the package payment's
handlers (handlers/user/stars.py): the payload names the payment, and the core credits a payment
without an order to the wallet, exactly once per charge.

Whether to offer Stars at all is asked of the core with ListPaymentMethods, which only lists the
providers that take a given amount: the probe is the smallest preset (100 Stars), the amount a
buyer is first offered. A shop whose Stars settings do not take it does not show "⭐ Stars"; the
invoice's own answer (disabled, not configured, amount out of range) covers everything else.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, LabeledPrice, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.handlers.user.payments import STARS_PROVIDER
from bot_gateway.handlers.user.screens import show
from sdk.billinghub.v1 import common_pb2, payment_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound
from sdk.money import format_amount

STARS = "XTR"
PROBE_STARS = 100  # the smallest preset of the amount step (handlers/user/topup.py PRESETS)


async def stars_enabled(hub: BillingHubClient, user: user_pb2.User) -> bool:
    """Whether the shop takes Telegram Stars for a top-up of the smallest preset."""
    try:
        response: payment_service_pb2.ListPaymentMethodsResponse = await hub.payments.ListPaymentMethods(
            payment_service_pb2.ListPaymentMethodsRequest(
                user_id=user.id, amount=common_pb2.Money(asset=STARS, amount_minor=PROBE_STARS)
            )
        )
    except (InvalidArgument, NotFound):  # no XTR asset in this shop
        return False
    return any(method.provider == STARS_PROVIDER for method in response.methods)


def unavailable_text() -> str:
    """What a shop without Telegram Stars says."""
    return _("Paying with Telegram Stars is not available in this shop.")


async def send_topup_invoice(
    event: Message | CallbackQuery,
    bot: Bot,
    hub: BillingHubClient,
    user: user_pb2.User,
    amount: common_pb2.Money,
    request_id: str,
    back: InlineKeyboardMarkup,
) -> bool:
    """Open the Stars top-up of `amount` and send its invoice; False (with the reason said, under
    `back`) when the shop refuses it, so the amount step can take another amount."""
    try:
        response: payment_service_pb2.CreateStarsInvoiceResponse = await hub.payments.CreateStarsInvoice(
            payment_service_pb2.CreateStarsInvoiceRequest(request_id=request_id, user_id=user.id, amount=amount)
        )
    except NotFound:
        await show(event, unavailable_text(), back)
        return False
    except FailedPrecondition as error:
        if error.reason == "AMOUNT_OUT_OF_RANGE":
            text = _("{amount} can't be paid with Telegram Stars here. Type another amount.").format(
                amount=format_amount(amount.amount_minor, 0, STARS)
            )
        elif error.reason == "USER_BLOCKED":
            text = _("This payment method can't take this payment now.")
        else:
            text = unavailable_text()
        await show(event, text, back)
        return False
    invoice = response.invoice
    await bot.send_invoice(
        chat_id=user_chat(event),
        title=invoice.title,
        description=invoice.description,
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(label=price.label, amount=price.amount) for price in invoice.prices],
    )
    if isinstance(event, CallbackQuery):
        await event.answer()
    return True


def user_chat(event: Message | CallbackQuery) -> int:
    """The private chat of the user who pressed or typed."""
    if isinstance(event, Message):
        return event.chat.id
    return event.from_user.id
