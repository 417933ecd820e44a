"""Provider payments the bot opened (a top-up or a package): the pay link and "Check payment".

The provider's page is a URL button; the user pays there and comes back. Providers report by
webhook, but a user who just paid wants to know now, so "Check payment" asks the provider through
the core (CheckPayment), which credits a paid payment once however often it is pressed. A payment
id in a button is checked to be the presser's own before anything is said about it.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import CheckPaymentCallback
from bot_gateway.formatting import Scales, asset_scales, localized, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_button, back_to_menu
from sdk.billinghub.v1 import payment_pb2, payment_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable

router = Router(name="payments")

# Stars are paid by an invoice inside Telegram (handlers/user/stars.py), never by a link
STARS_PROVIDER = "telegram_stars"


def payment_keyboard(payment: payment_pb2.Payment) -> InlineKeyboardMarkup:
    """A link to the provider's page, "Check payment", and back to the menu."""
    builder = InlineKeyboardBuilder()
    if payment.pay_url:
        builder.row(InlineKeyboardButton(text=_("💳 Pay"), url=payment.pay_url))
    builder.button(text=_("🔄 Check payment"), callback_data=CheckPaymentCallback(payment_id=payment.id))
    builder.row(back_button())
    return builder.as_markup()


def opened_text(payment: payment_pb2.Payment, scales: Scales, title: str) -> str:
    """What a just-opened payment asks of the user."""
    return _(
        "Payment of {amount} via {method} is open.\nPay on the provider's page, then press \u201cCheck payment\u201d."
    ).format(amount=money(payment.amount, scales), method=title)


def status_text(payment: payment_pb2.Payment, scales: Scales) -> str:
    """Where a payment is, in the user's words."""
    amount = money(payment.amount, scales)
    if payment.status == payment_pb2.PAYMENT_STATUS_SUCCEEDED:
        if payment.order_id:
            return _("Payment of {amount} received. Your order is paid, thank you!").format(amount=amount)
        return _("Payment of {amount} received and credited to your balance.").format(amount=amount)
    if payment.status == payment_pb2.PAYMENT_STATUS_UNDERPAID:
        return _("Less than {amount} arrived; what arrived ({received}) is on your balance.").format(
            amount=amount, received=money(payment.received, scales)
        )
    if payment.status == payment_pb2.PAYMENT_STATUS_PENDING:
        return _("The payment of {amount} has not arrived yet. Pay on the provider's page and check again.").format(
            amount=amount
        )
    if payment.status == payment_pb2.PAYMENT_STATUS_EXPIRED:
        return _("The time to pay {amount} is over. Please start a new payment.").format(amount=amount)
    return _("The payment of {amount} did not go through.").format(amount=amount)


async def show_opened(
    event: Message | CallbackQuery, hub: BillingHubClient, payment: payment_pb2.Payment, title: str
) -> None:
    """Show a just-opened payment with its pay link."""
    scales = await asset_scales(hub, payment.amount.asset)
    await show(event, opened_text(payment, scales, title), payment_keyboard(payment))


async def provider_title(hub: BillingHubClient, user: user_pb2.User, locale: str, payment: payment_pb2.Payment) -> str:
    """The provider's name as the tenant shows it (its name when the method is gone)."""
    request = payment_service_pb2.ListPaymentMethodsRequest(user_id=user.id, amount=payment.amount)
    if payment.order_id:
        request = payment_service_pb2.ListPaymentMethodsRequest(user_id=user.id, order_id=payment.order_id)
    try:
        methods: payment_service_pb2.ListPaymentMethodsResponse = await hub.payments.ListPaymentMethods(request)
    except (NotFound, InvalidArgument):
        return payment.provider
    for method in methods.methods:
        if method.provider == payment.provider:
            return localized(method.title, locale, payment.provider)
    return payment.provider


@router.callback_query(CheckPaymentCallback.filter())
async def check_payment(
    callback: CallbackQuery, callback_data: CheckPaymentCallback, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Ask the provider about the user's payment now and say where it is."""
    try:
        found: payment_service_pb2.GetPaymentResponse = await hub.payments.GetPayment(
            payment_service_pb2.GetPaymentRequest(payment_id=callback_data.payment_id, user_id=user.id)
        )
    except NotFound:
        found = payment_service_pb2.GetPaymentResponse()
    if found.payment.user_id != user.id:  # another user's payment id: say nothing about it
        await show(callback, _("This payment was not found."), back_to_menu())
        return
    payment = found.payment
    if payment.status == payment_pb2.PAYMENT_STATUS_PENDING:
        try:
            checked: payment_service_pb2.CheckPaymentResponse = await hub.payments.CheckPayment(
                payment_service_pb2.CheckPaymentRequest(payment_id=payment.id, user_id=user.id)
            )
            payment = checked.payment
        except (Unavailable, FailedPrecondition):
            await show(
                callback,
                _("The payment provider can't be reached now. Please check again in a minute."),
                payment_keyboard(payment),
            )
            return
    scales = await asset_scales(hub, payment.amount.asset)
    pending = payment.status == payment_pb2.PAYMENT_STATUS_PENDING
    await show(callback, status_text(payment, scales), payment_keyboard(payment) if pending else back_to_menu())
