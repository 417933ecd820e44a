"""Paying for a package through a payment provider: the order, then its payment and pay link.

The package's details offer a "Pay with <provider>" button per method the core lists for each
price (ListPaymentMethods with the price as the amount, so only providers that take that asset
and amount appear). Pressing one creates the order in that asset (CreateOrder) and opens its
payment (CreatePayment with order_id); when the provider settles it, the core pays the order from
the money that arrived. A payment that could not be opened cancels the order just made, so no
pending order is left behind. Request ids come from the button press.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import ProviderPayCallback
from bot_gateway.formatting import localized
from bot_gateway.handlers.user.payments import STARS_PROVIDER, provider_title, show_opened
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_to_menu
from sdk.billinghub.v1 import order_service_pb2, package_pb2, payment_pb2, payment_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable

router = Router(name="provider_pay")

# packages whose order needs more than a press (a recipient, a quantity): bought through a dialog
DIALOG_KINDS = frozenset({package_pb2.PACKAGE_KIND_TELEGRAM_STARS, package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM})


async def package_methods(
    hub: BillingHubClient, user: user_pb2.User, package: package_pb2.Package
) -> list[tuple[str, payment_pb2.PaymentMethod]]:
    """(asset, method) for each price of the package and each provider that takes it."""
    if package.kind in DIALOG_KINDS:
        return []
    found: list[tuple[str, payment_pb2.PaymentMethod]] = []
    for price in package.prices:
        if price.asset == "XTR" or price.amount_minor <= 0:
            continue
        try:
            response: payment_service_pb2.ListPaymentMethodsResponse = await hub.payments.ListPaymentMethods(
                payment_service_pb2.ListPaymentMethodsRequest(user_id=user.id, amount=price)
            )
        except (InvalidArgument, NotFound):
            continue
        found += [(price.asset, method) for method in response.methods if method.provider != STARS_PROVIDER]
    return found


def method_title(method: payment_pb2.PaymentMethod, locale: str) -> str:
    """A provider's name as the tenant shows it."""
    return localized(method.title, locale, method.provider)


@router.callback_query(ProviderPayCallback.filter(), flags={"throttling": "purchase"})
async def pay_package_with_provider(
    callback: CallbackQuery,
    callback_data: ProviderPayCallback,
    hub: BillingHubClient,
    user: user_pb2.User,
    locale: str,
) -> None:
    """Create the order and its provider payment; show the pay link and "Check payment"."""
    try:
        created: order_service_pb2.CreateOrderResponse = await hub.orders.CreateOrder(
            order_service_pb2.CreateOrderRequest(
                request_id=f"tg-callback:{callback.id}:order",
                user_id=user.id,
                package_id=callback_data.package_id,
                pay_asset=callback_data.asset,
            )
        )
    except (NotFound, FailedPrecondition, InvalidArgument):
        await show(callback, _("This package is no longer on sale."), back_to_menu())
        return
    order = created.order
    try:
        response: payment_service_pb2.CreatePaymentResponse = await hub.payments.CreatePayment(
            payment_service_pb2.CreatePaymentRequest(
                request_id=f"tg-callback:{callback.id}:payment",
                user_id=user.id,
                order_id=order.id,
                provider=callback_data.provider,
            )
        )
    except (Unavailable, NotFound, FailedPrecondition, InvalidArgument) as error:
        await hub.orders.CancelOrder(
            order_service_pb2.CancelOrderRequest(
                request_id=f"tg-callback:{callback.id}:cancel", order_id=order.id, user_id=user.id
            )
        )
        text = (
            _("The payment provider can't be reached now. Please try again in a minute.")
            if isinstance(error, Unavailable)
            else _("This payment method can't take this payment now.")
        )
        await show(callback, text, back_to_menu())
        return
    await show_opened(callback, hub, response.payment, await provider_title(hub, user, locale, response.payment))
