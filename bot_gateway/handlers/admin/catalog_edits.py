"""Catalog edits: a package's price in one of its assets, and its title in one locale.

Each is typed, checked, shown back and applied only on the confirm press. The typed value waits in
the admin's FSM data (buttons carry ids only); the amount is parsed with `sdk.money` at the asset's
scale (no floats; more decimals than the scale is an error, not a rounding). UpdatePackage
replaces a whole field, so the confirm reads the package again and sends every price with the one
changed ("prices" keeps their order and the primary first) or every title with the one changed.
It goes out on the admin's behalf with the confirm press's id as its request id: a press Telegram
delivers twice changes the package once. What the core still refuses is shown and changes nothing.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.callbacks import AdminCatalogConfirmCallback, AdminPriceCallback, AdminTitleCallback
from bot_gateway.formatting import asset_scales, money, package_title
from bot_gateway.handlers.admin.catalog import NEEDS_CATALOG, show_missing, show_package
from bot_gateway.handlers.user.screens import show
from bot_gateway.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from bot_gateway.keyboards.admin_catalog import cancel_edit, confirm_edit, title_locales
from bot_gateway.packages import find_package
from bot_gateway.states import CatalogStates
from sdk.billinghub.v1 import catalog_service_pb2, common_pb2, package_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound
from sdk.money import format_amount, parse_amount

router = Router(name="admin_catalog_edits")

MAX_PRICE = 10**15  # the core's largest price, in minor units
MAX_TITLE = 100  # the core's longest title
# the FSM data of an edit: its package, "price" or "title", and the asset and amount or locale and title
PACKAGE, FIELD = "cat_package", "cat_field"
ASSET, AMOUNT, LOCALE, TITLE = "cat_asset", "cat_amount", "cat_locale", "cat_title"


async def _editable(
    callback: CallbackQuery, staff: BillingHubClient, package_id: str, locale: str
) -> package_pb2.Package | None:
    """The package when it can still change; else the screen that says why, and None."""
    package = await find_package(staff, package_id)
    if package is None:
        await show_missing(callback)
        return None
    if package.archived:
        await show_package(callback, staff, package, locale, _("An archived package cannot change."))
        return None
    return package


@router.callback_query(AdminPriceCallback.filter(), flags=NEEDS_CATALOG)
async def ask_price(
    callback: CallbackQuery,
    callback_data: AdminPriceCallback,
    state: FSMContext,
    staff: BillingHubClient,
    locale: str,
) -> None:
    """Ask the new price in the chosen asset, showing the current one."""
    package = await _editable(callback, staff, callback_data.package_id, locale)
    if package is None:
        return
    current = next((price for price in package.prices if price.asset == callback_data.asset), None)
    if current is None:
        await show_package(callback, staff, package, locale, _("The package has no price in that asset any more."))
        return
    scale = (await asset_scales(staff, current.asset)).get(current.asset, 0)
    await state.set_state(CatalogStates.price)
    await state.set_data({PACKAGE: package.id, FIELD: "price", ASSET: current.asset})
    text = _("Type the new price in {asset} (now {current}), e.g. {example}.").format(
        asset=current.asset, current=format_amount(current.amount_minor, scale, current.asset), example=_example(scale)
    )
    await show(callback, text, cancel_edit(package.id))


def _not_a_price(asset: str, scale: int) -> str:
    if not scale:
        text = _("That is not a price in {asset}. Type a whole number, e.g. {example}.")
    else:
        text = ngettext(
            "That is not a price in {asset}. Type a number with at most {digits} decimal, e.g. {example}.",
            "That is not a price in {asset}. Type a number with at most {digits} decimals, e.g. {example}.",
            scale,
        )
    return text.format(asset=asset, digits=scale, example=_example(scale))


def _example(scale: int) -> str:
    return format_amount(14900 * 10**scale // 100 if scale >= 2 else 149 * 10**scale, scale)


@router.message(CatalogStates.price, F.text, flags=NEEDS_CATALOG)
async def type_price(message: Message, state: FSMContext, staff: BillingHubClient, locale: str) -> None:
    """A typed price: a number with at most the asset's decimals, 1 minor unit to the core's bound
    (0 only for a package with this one price: a free plan); then the confirm step."""
    data = await state.get_data()
    package_id, asset = str(data.get(PACKAGE, "")), str(data.get(ASSET, ""))
    package = await find_package(staff, package_id)
    if package is None:
        await state.clear()
        await message.answer(_("This package no longer exists."))
        return
    scale = (await asset_scales(staff, asset)).get(asset, 0)
    lowest = 0 if len(package.prices) == 1 else 1
    try:
        amount = parse_amount(message.text or "", scale, asset)
    except ValueError:
        await message.answer(_not_a_price(asset, scale), reply_markup=cancel_edit(package_id))
        return
    if not lowest <= amount.amount_minor <= MAX_PRICE:
        text = _("The price must be from {low} to {high}.").format(
            low=format_amount(lowest, scale, asset), high=format_amount(MAX_PRICE, scale, asset)
        )
        await message.answer(text, reply_markup=cancel_edit(package_id))
        return
    old = next((price for price in package.prices if price.asset == asset), None)
    await state.set_state(CatalogStates.confirm)
    await state.update_data({AMOUNT: amount.amount_minor})
    scales = {asset: scale}
    text = _("Change the price of «{title}» in {asset} from {old} to {new}?").format(
        title=package_title(package, locale),
        asset=asset,
        old=money(old, scales) if old is not None else "—",
        new=money(amount, scales),
    )
    await message.answer(text, reply_markup=confirm_edit(package_id))


@router.callback_query(AdminTitleCallback.filter(F.locale == ""), flags=NEEDS_CATALOG)
async def choose_title_locale(
    callback: CallbackQuery, callback_data: AdminTitleCallback, state: FSMContext, staff: BillingHubClient, locale: str
) -> None:
    """Which locale's title to change."""
    await state.clear()
    package = await _editable(callback, staff, callback_data.package_id, locale)
    if package is None:
        return
    await show(callback, _("Which language's title do you want to change?"), title_locales(package.id))


@router.callback_query(AdminTitleCallback.filter(F.locale.in_(SUPPORTED_LOCALES)), flags=NEEDS_CATALOG)
async def ask_title(
    callback: CallbackQuery,
    callback_data: AdminTitleCallback,
    state: FSMContext,
    staff: BillingHubClient,
    locale: str,
) -> None:
    """Ask the title in the chosen locale, showing the current one."""
    package = await _editable(callback, staff, callback_data.package_id, locale)
    if package is None:
        return
    await state.set_state(CatalogStates.title)
    await state.set_data({PACKAGE: package.id, FIELD: "title", LOCALE: callback_data.locale})
    text = _("Type the title in {language} (up to {limit} characters). Now: {current}").format(
        language=LANGUAGE_NAMES[callback_data.locale],
        limit=MAX_TITLE,
        current=package.title.get(callback_data.locale) or "—",
    )
    await show(callback, text, cancel_edit(package.id))


@router.message(CatalogStates.title, F.text, flags=NEEDS_CATALOG)
async def type_title(message: Message, state: FSMContext) -> None:
    """A typed title: one line of 1 to MAX_TITLE characters; then the confirm step."""
    data = await state.get_data()
    package_id, title_locale = str(data.get(PACKAGE, "")), str(data.get(LOCALE, ""))
    title = (message.text or "").strip()
    if not title or len(title) > MAX_TITLE or any(ch in title for ch in "\r\n"):
        text = _("The title must be one line of 1 to {limit} characters. Type it again.").format(limit=MAX_TITLE)
        await message.answer(text, reply_markup=cancel_edit(package_id))
        return
    await state.set_state(CatalogStates.confirm)
    await state.update_data({TITLE: title})
    text = _("Set the title in {language} to «{title}»?").format(language=LANGUAGE_NAMES[title_locale], title=title)
    await message.answer(text, reply_markup=confirm_edit(package_id))


def _change(package: package_pb2.Package, data: dict[str, Any]) -> tuple[package_pb2.Package, str] | None:
    """The package to send and the mask path for the edit waiting in `data`; None when it no longer
    applies (the price's asset was removed meanwhile)."""
    if data.get(FIELD) == "price":
        asset, amount = str(data.get(ASSET, "")), int(data.get(AMOUNT, 0))
        if all(price.asset != asset for price in package.prices):
            return None
        prices = [
            common_pb2.Money(asset=price.asset, amount_minor=amount if price.asset == asset else price.amount_minor)
            for price in package.prices
        ]
        return package_pb2.Package(id=package.id, prices=prices), "prices"
    titles = {**package.title, str(data.get(LOCALE, "")): str(data.get(TITLE, ""))}
    return package_pb2.Package(id=package.id, title=titles), "title"


@router.callback_query(AdminCatalogConfirmCallback.filter(), flags=NEEDS_CATALOG)
async def confirm(
    callback: CallbackQuery,
    callback_data: AdminCatalogConfirmCallback,
    state: FSMContext,
    staff: BillingHubClient,
    locale: str,
) -> None:
    """Apply the edit waiting in the FSM data; an old confirm button (nothing waiting, or another
    package's edit) changes nothing."""
    data = await state.get_data()
    if await state.get_state() != CatalogStates.confirm.state or data.get(PACKAGE) != callback_data.package_id:
        package = await find_package(staff, callback_data.package_id)
        if package is None:
            await show_missing(callback)
            return
        await show_package(callback, staff, package, locale, _("Nothing to confirm: start the edit again."))
        return
    package = await _editable(callback, staff, callback_data.package_id, locale)
    if package is None:
        await state.clear()
        return
    change = _change(package, data)
    if change is None:
        await state.clear()
        await show_package(callback, staff, package, locale, _("The package has no price in that asset any more."))
        return
    updated, path = change
    request = catalog_service_pb2.UpdatePackageRequest(
        request_id=f"tg-callback:{callback.id}", package=updated, update_mask=FieldMask(paths=[path])
    )
    try:
        response: catalog_service_pb2.UpdatePackageResponse = await staff.catalog.UpdatePackage(request)
    except InvalidArgument as error:
        details = "; ".join(f"{v.field}: {v.description}" for v in error.field_violations) or error.message
        await show(callback, _("The change was refused: {details}").format(details=details), cancel_edit(package.id))
        return
    except NotFound:
        await state.clear()
        await show_missing(callback)
        return
    except FailedPrecondition:
        await state.clear()
        await show_package(callback, staff, package, locale, _("An archived package cannot change."))
        return
    await state.clear()
    await show_package(callback, staff, response.package, locale, _("✅ Saved."))
