"""Anything typed that no screen waits for gets the main menu, and a button press no screen takes
(an old message's button, forged data, an admin's button pressed by someone else) gets a short
answer, so the user is never left unanswered: Telegram spins a pressed button until the bot
answers it. Included after every other router: it matches what they did not."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.handlers.user.menu import menu_text
from bot_gateway.keyboards.menu import main_menu
from bot_gateway.webhook_reply import answer_later

router = Router(name="fallback")


@router.message()
async def unknown_message(message: Message) -> None:
    """Show the main menu."""
    await message.answer(menu_text(), reply_markup=main_menu())


@router.callback_query()
async def unknown_press(callback: CallbackQuery) -> None:
    """Stop the spinner, and say the button does nothing any more."""
    spinner = callback.answer(_("This button is no longer active. Send /menu for the menu."))
    if not answer_later(spinner):
        await spinner
