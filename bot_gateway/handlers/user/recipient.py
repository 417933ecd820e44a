"""Stars and Premium for a @username: the quantity (Stars by the unit), the recipient, the price,
then payment from the wallet.

The dialog keeps its choices in the user's FSM data. The typed quantity is checked against the
package's bounds and the username against Telegram's syntax (5 to 32 letters, digits or "_")
before the core is asked; the core checks both again. The order is created first (CreateOrder
with the recipient and quantity) so the price shown is the core's own, and "Pay" pays that order
(PayOrderFromWallet), after checking it is the presser's. The core has no call that asks Fragment
whether a username exists: a recipient Telegram does not know fails the fulfillment task, and the
order is refunded to the wallet.
"""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import OrderPayCallback, RecipientCallback
from bot_gateway.formatting import asset_scales, money, package_title, short_id
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.catalog import after_purchase
from bot_gateway.keyboards.menu import back_button, back_to_menu
from bot_gateway.packages import find_package
from bot_gateway.states import RecipientStates
from sdk.billinghub.v1 import order_pb2, order_service_pb2, package_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound

router = Router(name="recipient")

USERNAME = re.compile(r"@?([A-Za-z0-9_]{5,32})")
QUANTITY = re.compile(r"\d{1,8}")
PACKAGE_KEY, ASSET_KEY, QUANTITY_KEY = "recipient_package", "recipient_asset", "recipient_quantity"
RECIPIENT_KINDS = (package_pb2.PACKAGE_KIND_TELEGRAM_STARS, package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM)


async def _package(hub: BillingHubClient, package_id: str) -> package_pb2.Package | None:
    """The package when it is on sale and bought for a @username, else None."""
    package = await find_package(hub, package_id)
    return package if package is not None and package.active and package.kind in RECIPIENT_KINDS else None


def asks_quantity(package: package_pb2.Package) -> bool:
    """Stars sold by the unit ask how many; fixed packages and Premium do not."""
    return package.kind == package_pb2.PACKAGE_KIND_TELEGRAM_STARS and package.per_unit


@router.callback_query(RecipientCallback.filter())
async def start_dialog(
    callback: CallbackQuery, callback_data: RecipientCallback, state: FSMContext, hub: BillingHubClient
) -> None:
    """Ask the quantity of Stars, or the recipient right away."""
    package = await _package(hub, callback_data.package_id)
    if package is None or callback_data.asset not in {price.asset for price in package.prices}:
        await show(callback, _("This package is no longer on sale."), back_to_menu())
        return
    await state.set_data({PACKAGE_KEY: package.id, ASSET_KEY: callback_data.asset})
    if asks_quantity(package):
        await state.set_state(RecipientStates.quantity)
        text = _("How many Stars? Send a number from {low} to {high}.").format(
            low=package.min_quantity, high=package.max_quantity
        )
        await show(callback, text, back_to_menu())
        return
    await state.set_state(RecipientStates.username)
    await show(callback, _("Send the @username of the person who gets it (it may be yours)."), back_to_menu())


@router.message(RecipientStates.quantity, F.text)
async def type_quantity(message: Message, state: FSMContext, hub: BillingHubClient) -> None:
    """A whole number within the package's bounds; then the recipient."""
    package = await _package(hub, (await state.get_data()).get(PACKAGE_KEY, ""))
    if package is None:
        await state.clear()
        await message.answer(_("This package is no longer on sale."), reply_markup=back_to_menu())
        return
    typed = (message.text or "").strip().replace(" ", "")
    quantity = int(typed) if QUANTITY.fullmatch(typed) else 0
    if not package.min_quantity <= quantity <= package.max_quantity:
        text = _("Send a whole number from {low} to {high}.").format(
            low=package.min_quantity, high=package.max_quantity
        )
        await message.answer(text, reply_markup=back_to_menu())
        return
    await state.update_data({QUANTITY_KEY: quantity})
    await state.set_state(RecipientStates.username)
    await message.answer(
        _("Send the @username of the person who gets it (it may be yours)."), reply_markup=back_to_menu()
    )


@router.message(RecipientStates.username, F.text)
async def type_username(
    message: Message, state: FSMContext, hub: BillingHubClient, user: user_pb2.User, locale: str
) -> None:
    """A valid @username: create the order and show its price with "Pay"."""
    match = USERNAME.fullmatch((message.text or "").strip())
    if match is None:
        text = _("That is not a Telegram username: 5 to 32 letters, digits or _, like @durov.")
        await message.answer(text, reply_markup=back_to_menu())
        return
    data = await state.get_data()
    request = order_service_pb2.CreateOrderRequest(
        request_id=f"tg-message:{message.chat.id}:{message.message_id}",
        user_id=user.id,
        package_id=data.get(PACKAGE_KEY, ""),
        quantity=int(data.get(QUANTITY_KEY, 0)),
        recipient=match[1],
        pay_asset=data.get(ASSET_KEY, ""),
    )
    try:
        created: order_service_pb2.CreateOrderResponse = await hub.orders.CreateOrder(request)
    except InvalidArgument as error:
        if any(violation.field == "recipient" for violation in error.field_violations):
            text = _("That is not a Telegram username: 5 to 32 letters, digits or _, like @durov.")
            await message.answer(text, reply_markup=back_to_menu())
            return
        raise
    except (NotFound, FailedPrecondition):
        await state.clear()
        await message.answer(_("This package is no longer on sale."), reply_markup=back_to_menu())
        return
    await state.clear()
    order = created.order
    package = await _package(hub, order.package_id)
    title = package_title(package, locale) if package else order.package_id[:8]
    scales = await asset_scales(hub, order.total.asset)
    lines = [_("{title} for @{recipient}").format(title=title, recipient=order.recipient)]
    if order.quantity > 1:
        lines.append(_("Stars: {quantity}").format(quantity=order.quantity))
    lines.append(_("Total: {total}").format(total=money(order.total, scales)))
    await message.answer("\n".join(lines), reply_markup=confirm_keyboard(order, scales))


def confirm_keyboard(order: order_pb2.Order, scales: dict[str, int]) -> InlineKeyboardMarkup:
    """Pay the order from the balance, or back to the menu."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Pay {price} from balance").format(price=money(order.total, scales)),
        callback_data=OrderPayCallback(order_id=order.id),
    )
    builder.row(back_button())
    return builder.as_markup()


@router.callback_query(OrderPayCallback.filter(), flags={"throttling": "purchase"})
async def pay_order(
    callback: CallbackQuery, callback_data: OrderPayCallback, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Pay the user's own pending order from the wallet."""
    try:
        found: order_service_pb2.GetOrderResponse = await hub.orders.GetOrder(
            order_service_pb2.GetOrderRequest(order_id=callback_data.order_id, user_id=user.id)
        )
    except NotFound:
        found = order_service_pb2.GetOrderResponse()
    if found.order.user_id != user.id:  # another user's order id: never pay it from this wallet
        await show(callback, _("This order can no longer be paid."), back_to_menu())
        return
    scales = await asset_scales(hub, found.order.total.asset)
    try:
        paid: order_service_pb2.PayOrderFromWalletResponse = await hub.orders.PayOrderFromWallet(
            order_service_pb2.PayOrderFromWalletRequest(
                request_id=f"tg-callback:{callback.id}", order_id=callback_data.order_id, user_id=user.id
            )
        )
    except NotFound:  # the core checks the buyer again, under the order's lock
        await show(callback, _("This order can no longer be paid."), back_to_menu())
        return
    except FailedPrecondition as error:
        if error.reason == "INSUFFICIENT_FUNDS":
            text = _("Not enough funds: the price is {price}.\nTop up your balance and try again.").format(
                price=money(found.order.total, scales)
            )
            await show(callback, text, after_purchase(funds_short=True))
            return
        await show(callback, _("This order can no longer be paid."), back_to_menu())
        return
    order = paid.order
    text = _("Paid: {total}. @{recipient} will receive it shortly.\nOrder {order}.").format(
        total=money(order.total, scales), recipient=order.recipient, order=short_id(order.id)
    )
    await show(callback, text, back_to_menu())
