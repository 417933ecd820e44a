"""Buying: categories -> packages -> a package's details -> pay from the wallet in one call.

The catalog is the tenant's active packages (ListPackages); categories are the ones they use.
Paying is PurchaseFromWallet: the order is created, paid and delivered in one transaction, or
nothing happens. Its request id is the button press's id, so a press Telegram delivers twice buys
once. Packages for a @username (Stars, Premium) go through the recipient dialog
(handlers/user/recipient.py); a package's provider methods through handlers/user/provider_pay.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import CategoryCallback, MenuCallback, PackageCallback, PayCallback, Screen
from bot_gateway.formatting import asset_scales, localized, money, package_title, short_id
from bot_gateway.handlers.user.provider_pay import package_methods
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.catalog import after_purchase, categories, packages, pay_buttons
from bot_gateway.keyboards.menu import back_to_menu
from bot_gateway.packages import find_package
from sdk.billinghub.v1 import (
    catalog_service_pb2,
    common_pb2,
    order_service_pb2,
    package_pb2,
    user_pb2,
    wallet_service_pb2,
)
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound

router = Router(name="buy")

CATALOG_PAGE = 100


async def active_packages(hub: BillingHubClient, category: str | None = None) -> list[package_pb2.Package]:
    """What the tenant offers now (one category, or all), in menu order."""
    request = catalog_service_pb2.ListPackagesRequest(active_only=True, page_size=CATALOG_PAGE)
    if category is not None:
        request.category = category
    response: catalog_service_pb2.ListPackagesResponse = await hub.catalog.ListPackages(request)
    return list(response.packages)


@router.message(Command("buy"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.BUY))
async def open_categories(event: Message | CallbackQuery, hub: BillingHubClient) -> None:
    """The categories of the active packages, in the catalog's order."""
    names = list(dict.fromkeys(package.category for package in await active_packages(hub)))
    if not names:
        await show(event, _("Nothing is on sale right now."), back_to_menu())
        return
    await show(event, _("Choose a category:"), categories(names))


@router.callback_query(CategoryCallback.filter())
async def open_category(
    callback: CallbackQuery, callback_data: CategoryCallback, hub: BillingHubClient, locale: str
) -> None:
    """The packages of one category, each with its primary price."""
    items = await active_packages(hub, callback_data.category)
    if not items:
        await show(callback, _("Nothing is on sale in this category now."), back_to_menu())
        return
    await show(
        callback,
        _("Choose a package:"),
        packages(items, locale, await asset_scales(hub, *(p.asset for i in items for p in i.prices))),
    )


@router.callback_query(PackageCallback.filter())
async def open_package(
    callback: CallbackQuery, callback_data: PackageCallback, hub: BillingHubClient, user: user_pb2.User, locale: str
) -> None:
    """A package's name, description and prices, with a pay button per price and payment method."""
    package = await find_package(hub, callback_data.package_id)
    if package is None or not package.active:
        await show(callback, _("This package is no longer on sale."), back_to_menu())
        return
    scales = await asset_scales(hub, *(price.asset for price in package.prices))
    lines = [package_title(package, locale)]
    description = localized(package.description, locale, "")
    if description:
        lines.append(description)
    prices = ", ".join(money(price, scales) for price in package.prices)
    lines.append(_("Price: {prices}").format(prices=prices))
    methods = await package_methods(hub, user, package)
    await show(callback, "\n\n".join(lines), pay_buttons(package, scales, methods, locale))


@router.callback_query(PayCallback.filter(), flags={"throttling": "purchase"})
async def pay_from_wallet(
    callback: CallbackQuery, callback_data: PayCallback, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Buy the package from the wallet of the chosen asset and say how it went."""
    request = order_service_pb2.PurchaseFromWalletRequest(
        request_id=f"tg-callback:{callback.id}",
        user_id=user.id,
        package_id=callback_data.package_id,
        pay_asset=callback_data.asset,
    )
    scales = await asset_scales(hub, callback_data.asset)
    try:
        response: order_service_pb2.PurchaseFromWalletResponse = await hub.orders.PurchaseFromWallet(request)
    except FailedPrecondition as error:
        if error.reason == "INSUFFICIENT_FUNDS":
            text = await _funds_short_text(hub, user, callback_data, scales)
            await show(callback, text, after_purchase(funds_short=True))
            return
        await show(callback, _("This package can't be bought now."), back_to_menu())
        return
    except InvalidArgument as error:
        if any(violation.field == "recipient" for violation in error.field_violations):
            await show(callback, _("This package can't be bought in the bot yet."), back_to_menu())
            return
        raise
    except NotFound:
        await show(callback, _("This package is no longer on sale."), back_to_menu())
        return
    order = response.order
    balance = await _available(hub, user, callback_data.asset)
    text = _("Paid: {total}. Thank you for your purchase!\nOrder {order}.\nBalance: {balance}").format(
        total=money(order.total, scales), order=short_id(order.id), balance=money(balance, scales)
    )
    await show(callback, text, after_purchase(funds_short=False))


async def _available(hub: BillingHubClient, user: user_pb2.User, asset: str) -> common_pb2.Money:
    response: wallet_service_pb2.GetBalancesResponse = await hub.wallet.GetBalances(
        wallet_service_pb2.GetBalancesRequest(user_id=user.id, assets=[asset])
    )
    return response.balances[0].available


async def _funds_short_text(
    hub: BillingHubClient, user: user_pb2.User, choice: PayCallback, scales: dict[str, int]
) -> str:
    package: catalog_service_pb2.GetPackageResponse = await hub.catalog.GetPackage(
        catalog_service_pb2.GetPackageRequest(package_id=choice.package_id)
    )
    price = next(p for p in package.package.prices if p.asset == choice.asset)
    balance = await _available(hub, user, choice.asset)
    return _(
        "Not enough funds: the price is {price}, your balance is {balance}.\nTop up your balance and try again."
    ).format(price=money(price, scales), balance=money(balance, scales))
