"""Paying with Telegram Stars: an invoice for a package, the pre-checkout answer, the payment.

1. "Pay with Stars" creates an order priced in XTR (CreateOrder) and its invoice
   (CreateStarsInvoice); the bot sends it with sendInvoice. A shop without Stars switched on gets
   a message, and the order just made is cancelled, so nothing is left pending.
2. Telegram asks `pre_checkout_query` and waits at most 10 s: ValidatePreCheckout only reads, and
   its refusal is put in the user's words.
3. `successful_payment` is confirmed in the core (ConfirmTelegramPayment), which credits the charge
   exactly once by its Telegram id and settles the order in the same transaction.

Request ids come from the button press's id, so a press Telegram delivers twice makes one order
and one invoice. The anti-flood never drops steps 2 and 3 (see middlewares/throttling.py).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import StarsCallback
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_to_menu
from sdk.billinghub.v1 import common_pb2, order_service_pb2, payment_pb2, payment_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, NotFound

router = Router(name="stars")

STARS = "XTR"


def refusal_text(refusal: int) -> str:
    """Why a pre-checkout query is refused, in the user's words."""
    texts: dict[int, str] = {
        payment_pb2.PRE_CHECKOUT_REFUSAL_ALREADY_PAID: _("This invoice is paid already."),
        payment_pb2.PRE_CHECKOUT_REFUSAL_EXPIRED: _("This invoice has expired. Please ask for a new one."),
        payment_pb2.PRE_CHECKOUT_REFUSAL_ORDER_NOT_PENDING: _("This order can no longer be paid."),
        payment_pb2.PRE_CHECKOUT_REFUSAL_AMOUNT_MISMATCH: _("The amount does not match the invoice."),
    }
    return texts.get(refusal, _("This invoice is not valid. Please ask for a new one."))


@router.callback_query(StarsCallback.filter(), flags={"throttling": "purchase"})
async def send_stars_invoice(
    callback: CallbackQuery, callback_data: StarsCallback, bot: Bot, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Create the order and its invoice, and send the invoice."""
    created: order_service_pb2.CreateOrderResponse = await hub.orders.CreateOrder(
        order_service_pb2.CreateOrderRequest(
            request_id=f"tg-callback:{callback.id}:order",
            user_id=user.id,
            package_id=callback_data.package_id,
            pay_asset=STARS,
        )
    )
    try:
        response: payment_service_pb2.CreateStarsInvoiceResponse = await hub.payments.CreateStarsInvoice(
            payment_service_pb2.CreateStarsInvoiceRequest(
                request_id=f"tg-callback:{callback.id}:invoice", user_id=user.id, order_id=created.order.id
            )
        )
    except (NotFound, FailedPrecondition):
        await hub.orders.CancelOrder(
            order_service_pb2.CancelOrderRequest(
                request_id=f"tg-callback:{callback.id}:cancel", order_id=created.order.id
            )
        )
        await show(callback, _("Paying with Telegram Stars is not available in this shop."), back_to_menu())
        return
    invoice = response.invoice
    await bot.send_invoice(
        chat_id=callback.from_user.id,
        title=invoice.title,
        description=invoice.description,
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(label=price.label, amount=price.amount) for price in invoice.prices],
    )
    await callback.answer()


@router.pre_checkout_query()
async def answer_pre_checkout(query: PreCheckoutQuery, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Accept the payment when the core knows the invoice as this user's, pending, of this amount."""
    response: payment_service_pb2.ValidatePreCheckoutResponse = await hub.payments.ValidatePreCheckout(
        payment_service_pb2.ValidatePreCheckoutRequest(
            user_id=user.id, payload=query.invoice_payload, currency=query.currency, total_amount=query.total_amount
        )
    )
    if response.ok:
        await query.answer(ok=True)
    else:
        await query.answer(ok=False, error_message=refusal_text(response.refusal))


@router.message(F.successful_payment)
async def confirm_payment(message: Message, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Record the charge in the core (once, however often it arrives) and thank the user."""
    paid = message.successful_payment
    assert paid is not None  # guaranteed by the filter
    response: payment_service_pb2.ConfirmTelegramPaymentResponse = await hub.payments.ConfirmTelegramPayment(
        payment_service_pb2.ConfirmTelegramPaymentRequest(
            user_id=user.id,
            payload=paid.invoice_payload,
            currency=paid.currency,
            total_amount=paid.total_amount,
            telegram_payment_charge_id=paid.telegram_payment_charge_id,
            provider_payment_charge_id=paid.provider_payment_charge_id or "",
            is_recurring=bool(paid.is_recurring),
            is_first_recurring=bool(paid.is_first_recurring),
            subscription_expiration_date=paid.subscription_expiration_date or 0,
        )
    )
    amount = common_pb2.Money(asset=paid.currency, amount_minor=paid.total_amount)
    received = money(amount, await asset_scales(hub, amount.asset))
    if response.duplicate:
        return  # the thanks went with the first delivery of this charge
    await message.answer(
        _("Payment received: {amount}. Thank you!").format(amount=received), reply_markup=back_to_menu()
    )
