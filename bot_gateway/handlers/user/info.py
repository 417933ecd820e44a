"""`/help`, `/terms`, `/privacy`, `/paysupport` and the menu's Support: texts the tenant words (an
override per locale, else its bot settings: `tenant_texts`), else the bot's defaults."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.bot_settings import TenantSettings
from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_to_menu
from bot_gateway.tenant_texts import TextKey, tenant_text

router = Router(name="info")


def default_text(key: TextKey) -> str:
    """The bot's own text for a key, in the current locale."""
    texts = {
        TextKey.HELP: _(
            "Commands:\n/menu — main menu\n/balance — your balance\n/topup — top up your balance\n"
            "/buy — buy a package\n/history — your orders\n/subscription — your subscription\n"
            "/services — promote a post with a service\n/referrals — invite friends\n/promo — redeem a promo code\n"
            "/pricing — prices\n/language — change the language\n/help — this list of commands\n"
            "/terms — terms of service\n/privacy — privacy policy\n/paysupport — help with payments"
        ),
        TextKey.TERMS: _("By using this bot you accept the seller's terms of service. Ask support for a copy."),
        TextKey.PRIVACY: _("The seller keeps only what the shop needs: your Telegram id, name and orders."),
        TextKey.PAYSUPPORT: _(
            "Problems with a payment? Write to support with the date and the amount, and we will sort it out."
        ),
        TextKey.SUPPORT: _("Need help? Write to the seller's support; the answer comes in this chat."),
    }
    return texts[key]


def info_text(settings: TenantSettings, key: TextKey, locale: str) -> str:
    """The tenant's text when it has one, else the default."""
    return tenant_text(settings, key, locale) or default_text(key)


@router.message(Command("help"))
async def send_help(message: Message, bot_settings: TenantSettings, locale: str) -> None:
    """The list of commands."""
    await message.answer(info_text(bot_settings, TextKey.HELP, locale), reply_markup=back_to_menu())


@router.message(Command("terms"))
async def send_terms(message: Message, bot_settings: TenantSettings, locale: str) -> None:
    """The terms of service."""
    await message.answer(info_text(bot_settings, TextKey.TERMS, locale), reply_markup=back_to_menu())


@router.message(Command("privacy"))
async def send_privacy(message: Message, bot_settings: TenantSettings, locale: str) -> None:
    """The privacy policy."""
    await message.answer(info_text(bot_settings, TextKey.PRIVACY, locale), reply_markup=back_to_menu())


@router.message(Command("paysupport"))
async def send_paysupport(message: Message, bot_settings: TenantSettings, locale: str) -> None:
    """Payment support (Telegram requires bots that take payments to answer /paysupport)."""
    await message.answer(info_text(bot_settings, TextKey.PAYSUPPORT, locale), reply_markup=back_to_menu())


@router.callback_query(MenuCallback.filter(F.screen == Screen.SUPPORT))
async def open_support(callback: CallbackQuery, bot_settings: TenantSettings, locale: str) -> None:
    """The support screen of the main menu."""
    await show(callback, info_text(bot_settings, TextKey.SUPPORT, locale), back_to_menu())
