"""Paying with Telegram Stars: an invoice for a package, the pre-checkout answer, the payment.

1. "Pay with Stars" creates an order priced in XTR (CreateOrder) and its invoice
   (CreateStarsInvoice); the bot sends it with sendInvoice. A shop without Stars switched on gets
   a message, and the order just made is cancelled, so nothing is left pending.
2. Telegram asks `pre_checkout_query` and waits at most 10 s: ValidatePreCheckout only reads, and
   its refusal is put in the user's words.
3. `successful_payment` is confirmed in the core (ConfirmTelegramPayment), which credits the charge
   exactly once by its Telegram id and settles the order in the same transaction.

A subscription package of 30 days is a Telegram Stars subscription: Telegram charges the buyer
every 30 days by itself. sendInvoice cannot ask for that (the Bot API takes subscription_period in
createInvoiceLink only), so its invoice is a link the core makes (CreateStarsInvoice with
subscription_period and create_link), sent as a URL button. The first charge and each renewal
arrive as successful_payment with is_recurring (the first also is_first_recurring), passed to the
core as they are: a renewal buys the plan's package again and extends the plan.

A Stars top-up of the wallet (handlers/user/stars_topup.py) is paid through steps 2 and 3 too: its
payment has no order, and the core credits it to the wallet.

Request ids come from the button press's id, so a press Telegram delivers twice makes one order
and one invoice. The anti-flood never drops steps 2 and 3 (see middlewares/throttling.py).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import StarsCallback
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_button, back_to_menu
from bot_gateway.packages import find_package, is_stars_subscription
from sdk.billinghub.v1 import (
    common_pb2,
    order_service_pb2,
    payment_pb2,
    payment_service_pb2,
    subscription_pb2,
    subscription_service_pb2,
    user_pb2,
)
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, NotFound, Unavailable
from sdk.money import format_amount

router = Router(name="stars")

STARS = "XTR"
STARS_PROVIDER = "telegram_stars"
SUBSCRIPTION_PERIOD = 2_592_000  # 30 days: the only period Telegram takes


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
    """Create the order and its invoice, and send the invoice (a 30-day plan: a subscription link)."""
    package = await find_package(hub, callback_data.package_id)
    subscription = package is not None and is_stars_subscription(package)
    if package is not None and subscription and await renewed_by_telegram(hub, user, package.plan_code):
        text = _("Your plan {plan} already renews with Telegram Stars every 30 days.").format(plan=package.plan_code)
        await show(callback, text, back_to_menu())
        return
    created: order_service_pb2.CreateOrderResponse = await hub.orders.CreateOrder(
        order_service_pb2.CreateOrderRequest(
            request_id=f"tg-callback:{callback.id}:order",
            user_id=user.id,
            package_id=callback_data.package_id,
            pay_asset=STARS,
        )
    )
    request = payment_service_pb2.CreateStarsInvoiceRequest(
        request_id=f"tg-callback:{callback.id}:invoice", user_id=user.id, order_id=created.order.id
    )
    if subscription:
        request.subscription_period = SUBSCRIPTION_PERIOD
        request.create_link = True
    try:
        response: payment_service_pb2.CreateStarsInvoiceResponse = await hub.payments.CreateStarsInvoice(request)
    except (NotFound, FailedPrecondition, Unavailable) as error:
        await hub.orders.CancelOrder(
            order_service_pb2.CancelOrderRequest(
                request_id=f"tg-callback:{callback.id}:cancel", order_id=created.order.id, user_id=user.id
            )
        )
        if isinstance(error, Unavailable):
            text = _("Telegram can't be reached now. Please try again in a minute.")
        else:
            text = _("Paying with Telegram Stars is not available in this shop.")
        await show(callback, text, back_to_menu())
        return
    invoice = response.invoice
    if subscription:
        await show(callback, subscription_text(response), subscription_keyboard(response.invoice_link))
        return
    await bot.send_invoice(
        chat_id=callback.from_user.id,
        title=invoice.title,
        description=invoice.description,
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(label=price.label, amount=price.amount) for price in invoice.prices],
    )
    await callback.answer()


async def renewed_by_telegram(hub: BillingHubClient, user: user_pb2.User, plan_code: str) -> bool:
    """Whether the user's plan already renews by a Telegram Stars subscription: a second one would
    charge them twice for the same plan."""
    response: subscription_service_pb2.ListSubscriptionsResponse = await hub.subscriptions.ListSubscriptions(
        subscription_service_pb2.ListSubscriptionsRequest(
            user_id=user.id, status=subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE, page_size=20
        )
    )
    return any(item.plan_code == plan_code and item.renewed_by == STARS_PROVIDER for item in response.subscriptions)


def subscription_text(response: payment_service_pb2.CreateStarsInvoiceResponse) -> str:
    """What a subscription link is: its price every 30 days, renewed by Telegram until cancelled."""
    stars = sum(price.amount for price in response.invoice.prices)
    return _(
        "{title}: {amount} every 30 days, paid with Telegram Stars.\n"
        "Telegram renews the plan by itself each month until you cancel it "
        "(in the \u201cSubscription\u201d screen, or in Telegram's settings under My Stars)."
    ).format(title=response.invoice.title, amount=format_amount(stars, 0, STARS))


def subscription_keyboard(link: str) -> InlineKeyboardMarkup:
    """The invoice link, then back to the menu."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("⭐ Subscribe"), url=link)], [back_button()]]
    )


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
    if response.duplicate:
        return  # the thanks went with the first delivery of this charge
    amount = common_pb2.Money(asset=paid.currency, amount_minor=paid.total_amount)
    await message.answer(
        thanks_text(
            response.payment,
            bool(paid.is_recurring and not paid.is_first_recurring),
            money(amount, await asset_scales(hub, amount.asset)),
        ),
        reply_markup=back_to_menu(),
    )


def thanks_text(payment: payment_pb2.Payment, renewal: bool, received: str) -> str:
    """The thanks for a charge: a top-up (or a charge that paid no order) is on the balance, a
    subscription's renewal charge renewed the plan, anything else paid its order."""
    if not payment.order_id:
        return _("Payment of {amount} received and credited to your balance.").format(amount=received)
    if renewal:
        return _("Payment received: {amount}. Your subscription is renewed. Thank you!").format(amount=received)
    return _("Payment received: {amount}. Thank you!").format(amount=received)
