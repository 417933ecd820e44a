"""The admin menu: `/admin` sends it, the "Admin menu" button of every admin screen edits back to it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.admin_access import Permission
from bot_gateway.callbacks import AdminCallback, AdminSection
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin import admin_menu

router = Router(name="admin_menu")


@router.message(Command("admin"))
@router.callback_query(AdminCallback.filter(F.section == AdminSection.MENU))
async def open_admin_menu(
    event: Message | CallbackQuery, state: FSMContext, permissions: frozenset[Permission]
) -> None:
    """Show the sections the admin's permissions allow."""
    await state.clear()
    await show(event, _("Admin menu. Choose a section:"), admin_menu(permissions))
