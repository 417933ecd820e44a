"""Topping up the wallet: asset -> amount (a preset or typed) -> a provider's link, or a manual
method's instructions and a receipt photo; or, for "⭐ Stars", the Telegram Stars invoice of the
amount (handlers/user/stars_topup.py).

The amount is kept in the user's FSM data between the steps (buttons carry only the choice), so
no amount a user did not see ends up in a button. Provider payments are opened with CreatePayment
(request id from the button press, so a press Telegram delivers twice opens one payment) and
checked with "Check payment" (handlers/user/payments.py). Manual top-ups send the tenant's
instructions, wait for a photo (or a file), and record a CreateTopupRequest with the photo's Telegram file id
as the receipt: an admin checks it and credits the wallet.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    MenuCallback,
    Screen,
    TopupAmountCallback,
    TopupAssetCallback,
    TopupManualCallback,
    TopupProviderCallback,
)
from bot_gateway.formatting import asset_scales, localized, money
from bot_gateway.handlers.user.payments import STARS_PROVIDER, provider_title, show_opened
from bot_gateway.handlers.user.screens import show
from bot_gateway.handlers.user.stars_topup import STARS, send_topup_invoice, stars_enabled, unavailable_text
from bot_gateway.keyboards.menu import back_button
from bot_gateway.states import TopupStates
from sdk.billinghub.v1 import common_pb2, payment_service_pb2, topup_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from sdk.money import format_amount, parse_amount

router = Router(name="topup")

PRESETS = (100, 500, 1000, 5000)  # whole units of the asset
MAX_MINOR = 10**15  # the largest amount the core takes
ASSET_KEY, AMOUNT_KEY, METHOD_KEY = "topup_asset", "topup_amount", "topup_method"


def back_to_balance() -> InlineKeyboardMarkup:
    """Only the way back to the balance."""
    return InlineKeyboardMarkup(inline_keyboard=[[back_button(Screen.BALANCE)]])


async def topup_assets(hub: BillingHubClient, user: user_pb2.User) -> dict[str, int]:
    """The assets a wallet can be topped up in, with their scales: Stars (XTR) only when the shop
    takes Telegram Stars, since they are bought by an invoice and nothing else."""
    scales = dict(await asset_scales(hub))  # a copy: the kept scales are shared
    if STARS in scales and not await stars_enabled(hub, user):
        del scales[STARS]
    return scales


def asset_label(code: str) -> str:
    """An asset's button: its code, and "⭐ Stars" for Telegram Stars."""
    return _("⭐ Stars") if code == STARS else code


@router.message(Command("topup"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.TOPUP))
async def open_topup(
    event: Message | CallbackQuery, state: FSMContext, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Choose the asset; with one asset, ask the amount right away."""
    await state.clear()
    assets = await topup_assets(hub, user)
    if len(assets) == 1:
        ((asset, scale),) = assets.items()
        await ask_amount(event, state, asset, scale)
        return
    if not assets:
        await show(event, _("Top-ups are not available in this shop."), back_to_balance())
        return
    builder = InlineKeyboardBuilder()
    for code in assets:
        builder.button(text=asset_label(code), callback_data=TopupAssetCallback(asset=code))
    builder.adjust(3)
    builder.row(back_button(Screen.BALANCE))
    await show(event, _("Which balance do you want to top up?"), builder.as_markup())


@router.callback_query(TopupAssetCallback.filter())
async def choose_asset(
    callback: CallbackQuery,
    callback_data: TopupAssetCallback,
    state: FSMContext,
    hub: BillingHubClient,
    user: user_pb2.User,
) -> None:
    """The asset is chosen: ask the amount."""
    assets = await topup_assets(hub, user)
    if callback_data.asset == STARS and STARS not in assets:
        await show(callback, unavailable_text(), back_to_balance())
        return
    if callback_data.asset not in assets:
        await show(callback, _("Top-ups are not available in this shop."), back_to_balance())
        return
    await ask_amount(callback, state, callback_data.asset, assets[callback_data.asset])


async def ask_amount(event: Message | CallbackQuery, state: FSMContext, asset: str, scale: int) -> None:
    """Preset amounts as buttons; any other amount is typed."""
    await state.set_state(TopupStates.amount)
    await state.set_data({ASSET_KEY: asset})
    builder = InlineKeyboardBuilder()
    for whole in PRESETS:
        minor = whole * 10**scale
        builder.button(text=format_amount(minor, scale, asset), callback_data=TopupAmountCallback(amount_minor=minor))
    builder.adjust(2)
    builder.row(back_button(Screen.BALANCE))
    example = format_amount(250 * 10**scale, scale)
    if asset == STARS:
        text = _("How many Telegram Stars do you want to add? Choose an amount or type it, e.g. {example}.")
    else:
        text = _("How much {asset} do you want to top up? Choose an amount or type it, e.g. {example}.")
    await show(event, text.format(asset=asset, example=example), builder.as_markup())


@router.callback_query(TopupStates.amount, TopupAmountCallback.filter())
async def choose_preset(
    callback: CallbackQuery,
    callback_data: TopupAmountCallback,
    state: FSMContext,
    bot: Bot,
    hub: BillingHubClient,
    user: user_pb2.User,
    locale: str,
) -> None:
    """A preset amount: offer the ways to pay it (Stars: send the invoice)."""
    asset = (await state.get_data()).get(ASSET_KEY, "")
    amount = common_pb2.Money(asset=asset, amount_minor=callback_data.amount_minor)
    if asset == STARS:
        await pay_with_stars(callback, state, bot, hub, user, amount, f"tg-callback:{callback.id}")
        return
    await offer_methods(callback, state, hub, user, locale, amount)


@router.message(TopupStates.amount, F.text)
async def type_amount(
    message: Message, state: FSMContext, bot: Bot, hub: BillingHubClient, user: user_pb2.User, locale: str
) -> None:
    """A typed amount: a positive amount with at most the asset's decimals, within the core's bounds."""
    asset = (await state.get_data()).get(ASSET_KEY, "")
    scale = (await asset_scales(hub, asset)).get(asset, 0)
    try:
        amount = parse_amount(message.text or "", scale, asset)
    except ValueError:
        text = _("That is not an amount of {asset}. Type a number like {example}.").format(
            asset=asset, example=format_amount(250 * 10**scale, scale)
        )
        await message.answer(text, reply_markup=back_to_balance())
        return
    if not 0 < amount.amount_minor <= MAX_MINOR:
        text = _("The amount must be from {low} to {high}.").format(
            low=format_amount(1, scale, asset), high=format_amount(MAX_MINOR, scale, asset)
        )
        await message.answer(text, reply_markup=back_to_balance())
        return
    if asset == STARS:
        await pay_with_stars(
            message, state, bot, hub, user, amount, f"tg-message:{message.chat.id}:{message.message_id}"
        )
        return
    await offer_methods(message, state, hub, user, locale, amount)


async def pay_with_stars(
    event: Message | CallbackQuery,
    state: FSMContext,
    bot: Bot,
    hub: BillingHubClient,
    user: user_pb2.User,
    amount: common_pb2.Money,
    request_id: str,
) -> None:
    """Send the Stars invoice of the amount; the top-up ends there unless the shop refused the
    amount (then another can be typed)."""
    if await send_topup_invoice(event, bot, hub, user, amount, request_id, back_to_balance()):
        await state.clear()


async def offer_methods(
    event: Message | CallbackQuery,
    state: FSMContext,
    hub: BillingHubClient,
    user: user_pb2.User,
    locale: str,
    amount: common_pb2.Money,
) -> None:
    """The providers that take this amount and the manual methods; the amount waits in the FSM."""
    await state.update_data({AMOUNT_KEY: amount.amount_minor})
    methods: payment_service_pb2.ListPaymentMethodsResponse = await hub.payments.ListPaymentMethods(
        payment_service_pb2.ListPaymentMethodsRequest(user_id=user.id, amount=amount)
    )
    manual: topup_service_pb2.ListTopupMethodsResponse = await hub.topups.ListTopupMethods(
        topup_service_pb2.ListTopupMethodsRequest(active_only=True)
    )
    builder = InlineKeyboardBuilder()
    for method in methods.methods:
        if method.provider != STARS_PROVIDER:
            title = localized(method.title, locale, method.provider)
            builder.button(text=title, callback_data=TopupProviderCallback(provider=method.provider))
    for topup_method in manual.methods:
        title = localized(topup_method.title, locale, topup_method.code)
        builder.button(text=title, callback_data=TopupManualCallback(method=topup_method.code))
    builder.adjust(1)
    builder.row(back_button(Screen.BALANCE))
    shown = money(amount, await asset_scales(hub, amount.asset))
    if len(builder.as_markup().inline_keyboard) == 1:
        text = _("No payment method takes {amount}. Type another amount.").format(amount=shown)
    else:
        text = _("Top up {amount}. Choose how to pay (or type another amount):").format(amount=shown)
    await show(event, text, builder.as_markup())


async def chosen_amount(state: FSMContext) -> common_pb2.Money | None:
    """The amount of the top-up in progress, or None when the user left it."""
    data = await state.get_data()
    if ASSET_KEY not in data or AMOUNT_KEY not in data:
        return None
    return common_pb2.Money(asset=data[ASSET_KEY], amount_minor=data[AMOUNT_KEY])


@router.callback_query(TopupStates.amount, TopupProviderCallback.filter(), flags={"throttling": "purchase"})
async def pay_with_provider(
    callback: CallbackQuery,
    callback_data: TopupProviderCallback,
    state: FSMContext,
    hub: BillingHubClient,
    user: user_pb2.User,
    locale: str,
) -> None:
    """Open the provider payment of the amount and show its link."""
    amount = await chosen_amount(state)
    if amount is None:
        await stale_step(callback)
        return
    request = payment_service_pb2.CreatePaymentRequest(
        request_id=f"tg-callback:{callback.id}", user_id=user.id, amount=amount, provider=callback_data.provider
    )
    try:
        response: payment_service_pb2.CreatePaymentResponse = await hub.payments.CreatePayment(request)
    except Unavailable:
        text = _("The payment provider can't be reached now. Please try again in a minute.")
        await show(callback, text, back_to_balance())
        return
    except (NotFound, FailedPrecondition, InvalidArgument):
        await show(callback, _("This payment method can't take this payment now."), back_to_balance())
        return
    await state.clear()
    await show_opened(callback, hub, response.payment, await provider_title(hub, user, locale, response.payment))


@router.callback_query(TopupStates.amount, TopupManualCallback.filter())
async def pay_manually(
    callback: CallbackQuery,
    callback_data: TopupManualCallback,
    state: FSMContext,
    hub: BillingHubClient,
    locale: str,
) -> None:
    """Show the method's instructions and wait for the receipt photo."""
    amount = await chosen_amount(state)
    if amount is None:
        await stale_step(callback)
        return
    manual: topup_service_pb2.ListTopupMethodsResponse = await hub.topups.ListTopupMethods(
        topup_service_pb2.ListTopupMethodsRequest(active_only=True)
    )
    method = next((m for m in manual.methods if m.code == callback_data.method), None)
    if method is None:
        await show(callback, _("This payment method is not available now."), back_to_balance())
        return
    await state.set_state(TopupStates.receipt)
    await state.update_data({METHOD_KEY: method.code})
    lines = [localized(method.title, locale, method.code)]
    instructions = localized(method.instructions, locale, "")
    if instructions:
        lines.append(instructions)
    lines.append(_("Amount: {amount}").format(amount=money(amount, await asset_scales(hub, amount.asset))))
    lines.append(_("After paying, send a photo of the receipt here."))
    await show(callback, "\n\n".join(lines), back_to_balance())


def receipt_file(message: Message) -> str:
    """The Telegram file id of a receipt: the largest size of a photo, or a file sent as a document
    (a PDF from a bank app, or a photo sent uncompressed)."""
    if message.photo:
        return message.photo[-1].file_id
    return message.document.file_id if message.document else ""


@router.message(TopupStates.receipt, F.photo | F.document, flags={"throttling": "purchase"})
async def receive_receipt(message: Message, state: FSMContext, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Record the manual top-up request with the photo (or file) as its receipt."""
    amount = await chosen_amount(state)
    method = (await state.get_data()).get(METHOD_KEY)
    await state.clear()
    if amount is None or method is None or not receipt_file(message):
        await message.answer(_("This top-up was interrupted. Please start again."), reply_markup=back_to_balance())
        return
    request = topup_service_pb2.CreateTopupRequestRequest(
        request_id=f"tg-message:{message.chat.id}:{message.message_id}",
        user_id=user.id,
        method_code=method,
        amount=amount,
        receipt=receipt_file(message),
    )
    try:
        await hub.topups.CreateTopupRequest(request)
    except (NotFound, FailedPrecondition):
        await message.answer(_("This payment method is not available now."), reply_markup=back_to_balance())
        return
    text = _("Your top-up request for {amount} is sent. Your balance is credited once an admin checks it.").format(
        amount=money(amount, await asset_scales(hub, amount.asset))
    )
    await message.answer(text, reply_markup=back_to_balance())


@router.message(TopupStates.receipt)
async def not_a_receipt(message: Message) -> None:
    """Anything but a photo while the receipt is awaited."""
    await message.answer(_("Please send the receipt as a photo."), reply_markup=back_to_balance())


@router.callback_query(TopupAmountCallback.filter())
@router.callback_query(TopupProviderCallback.filter())
@router.callback_query(TopupManualCallback.filter())
async def stale_step(callback: CallbackQuery) -> None:
    """A button of a top-up the user has left (registered last, after the steps that match their
    state): start again from the balance."""
    await show(callback, _("This top-up was interrupted. Please start again."), back_to_balance())
