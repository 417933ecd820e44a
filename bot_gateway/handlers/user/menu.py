"""The main menu: `/menu` sends it, the "Menu" button of every screen edits back to it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import main_menu

router = Router(name="menu")


def menu_text() -> str:
    """The main menu's text."""
    return _("Main menu. Choose what to do:")


@router.message(Command("menu"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.MENU))
async def open_menu(event: Message | CallbackQuery, state: FSMContext) -> None:
    """Show the main menu (and leave any screen that was waiting for input)."""
    await state.clear()
    await show(event, menu_text(), main_menu())
