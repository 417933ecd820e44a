"""`/pricing`: the catalog's prices in one message, category by category.

The same active packages the buy screen offers (ListPackages), each with every price it has, so a
user sees what things cost without walking the menus.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.formatting import asset_scales, money, package_title
from bot_gateway.handlers.user.buy import active_packages
from bot_gateway.keyboards.menu import back_to_menu
from sdk.billinghub.v1 import package_pb2
from sdk.client import BillingHubClient

router = Router(name="pricing")

MAX_MESSAGE = 4096  # characters Telegram takes in one message


@router.message(Command("pricing"))
async def send_pricing(message: Message, hub: BillingHubClient, locale: str) -> None:
    """Every active package and its prices, grouped by category."""
    packages = await active_packages(hub)
    if not packages:
        await message.answer(_("Nothing is on sale right now."), reply_markup=back_to_menu())
        return
    scales = await asset_scales(hub, *(price.asset for package in packages for price in package.prices))
    by_category: dict[str, list[package_pb2.Package]] = {}
    for package in packages:  # categories in the order the catalog first lists them
        by_category.setdefault(package.category, []).append(package)
    lines = [_("Prices:")]
    for category, items in by_category.items():
        lines += ["", f"— {category or _('Other')} —"]
        for package in items:
            prices = " / ".join(money(price, scales) for price in package.prices)
            if package.per_unit:
                prices = _("{prices} per unit").format(prices=prices)
            lines.append(f"• {package_title(package, locale)}: {prices}")
    text = "\n".join(lines)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    await message.answer(text, reply_markup=back_to_menu())
