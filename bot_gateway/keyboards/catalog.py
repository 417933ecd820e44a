"""Keyboards of the buy flow: categories, the packages of one, and a package's pay buttons."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    CategoryCallback,
    MenuCallback,
    PackageCallback,
    PayCallback,
    ProviderPayCallback,
    RecipientCallback,
    Screen,
    StarsCallback,
)
from bot_gateway.formatting import Scales, localized, money, package_title
from bot_gateway.keyboards.menu import back_button
from bot_gateway.packages import is_stars_subscription
from sdk.billinghub.v1 import package_pb2, payment_pb2

CALLBACK_LIMIT = 64  # bytes of callback data Telegram takes


def categories(names: Sequence[str]) -> InlineKeyboardMarkup:
    """One button per category, then back to the menu."""
    builder = InlineKeyboardBuilder()
    for name in names:
        builder.button(text=name or _("Other"), callback_data=CategoryCallback(category=name))
    builder.adjust(2)
    builder.row(back_button())
    return builder.as_markup()


def packages(items: Sequence[package_pb2.Package], locale: str, scales: Scales) -> InlineKeyboardMarkup:
    """One button per package ("title · price"), then back to the categories."""
    builder = InlineKeyboardBuilder()
    for package in items:
        label = f"{package_title(package, locale)} · {money(package.price, scales)}"
        builder.button(text=label, callback_data=PackageCallback(package_id=package.id))
    builder.adjust(1)
    builder.row(back_button(Screen.BUY))
    return builder.as_markup()


def pay_buttons(
    package: package_pb2.Package,
    scales: Scales,
    methods: Sequence[tuple[str, payment_pb2.PaymentMethod]] = (),
    locale: str = "en",
) -> InlineKeyboardMarkup:
    """A "pay with Stars" button when the package has a price in XTR (a 30-day plan: "subscribe"),
    a "pay from balance" button per price of the package, a "pay with <provider>" button per
    payment method of a price, then back to its category. Stars and Premium for a @username start
    the recipient dialog instead."""
    builder = InlineKeyboardBuilder()
    if package.kind in (package_pb2.PACKAGE_KIND_TELEGRAM_STARS, package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM):
        for price in package.prices:
            builder.button(
                text=_("Buy for a @username, pay in {asset}").format(asset=price.asset),
                callback_data=RecipientCallback(package_id=package.id, asset=price.asset),
            )
        builder.adjust(1)
        builder.row(
            InlineKeyboardButton(text=_("⬅️ Back"), callback_data=CategoryCallback(category=package.category).pack())
        )
        return builder.as_markup()
    for price in package.prices:
        if price.asset == "XTR":
            if is_stars_subscription(package):  # Telegram renews it: a Stars subscription
                label = ngettext(
                    "⭐ Subscribe for {amount} Star every 30 days",
                    "⭐ Subscribe for {amount} Stars every 30 days",
                    price.amount_minor,
                )
            else:
                label = _("⭐ Pay {amount} with Telegram Stars")
            builder.button(
                text=label.format(amount=price.amount_minor), callback_data=StarsCallback(package_id=package.id)
            )
    for price in package.prices:
        builder.button(
            text=_("Pay {price} from balance").format(price=money(price, scales)),
            callback_data=PayCallback(package_id=package.id, asset=price.asset),
        )
    for asset, method in methods:
        data = ProviderPayCallback(package_id=package.id, asset=asset, provider=method.provider).pack()
        if len(data.encode()) <= CALLBACK_LIMIT:  # a provider name too long for Telegram is not offered
            title = localized(method.title, locale, method.provider)
            label = _("💳 Pay with {method} ({asset})").format(method=title, asset=asset)
            builder.button(text=label, callback_data=data)
    builder.adjust(1)
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Back"), callback_data=CategoryCallback(category=package.category).pack())
    )
    return builder.as_markup()


def after_purchase(*, funds_short: bool) -> InlineKeyboardMarkup:
    """After a purchase: the balance (to top up when funds were short) and the menu."""
    builder = InlineKeyboardBuilder()
    label = _("💰 Top up the balance") if funds_short else _("💰 Balance")
    builder.button(text=label, callback_data=MenuCallback(screen=Screen.BALANCE))
    builder.row(back_button())
    return builder.as_markup()
