"""Anything typed that no screen waits for gets the main menu, so the user is never left unanswered.
Included after every other user router: it matches what they did not."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from bot_gateway.handlers.user.menu import menu_text
from bot_gateway.keyboards.menu import main_menu

router = Router(name="fallback")


@router.message()
async def unknown_message(message: Message) -> None:
    """Show the main menu."""
    await message.answer(menu_text(), reply_markup=main_menu())
