"""Language: the user picks ru, en or uk; the choice is kept on the core's user (language_code),
so it holds on every replica and after restarts, and the menu is redrawn in the new language."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.callbacks import LanguageCallback, MenuCallback, Screen
from bot_gateway.handlers.user.menu import menu_text
from bot_gateway.handlers.user.screens import show
from bot_gateway.i18n import SUPPORTED_LOCALES
from bot_gateway.keyboards.menu import main_menu
from bot_gateway.keyboards.pages import languages
from bot_gateway.middlewares.registration import UserRegistry
from sdk.billinghub.v1 import user_pb2, user_service_pb2
from sdk.client import BillingHubClient

router = Router(name="language")


@router.message(Command("language"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.LANGUAGE))
async def open_languages(event: Message | CallbackQuery, locale: str) -> None:
    """The supported languages, the current one marked."""
    await show(event, _("Choose your language:"), languages(locale))


@router.callback_query(LanguageCallback.filter(F.locale.in_(SUPPORTED_LOCALES)))
async def choose_language(
    callback: CallbackQuery,
    callback_data: LanguageCallback,
    bot: Bot,
    hub: BillingHubClient,
    user: user_pb2.User,
    user_registry: UserRegistry,
    tenant_id: str,
    i18n: I18n,
) -> None:
    """Keep the choice in the core and show the menu in it."""
    response: user_service_pb2.UpdateUserResponse = await hub.users.UpdateUser(
        user_service_pb2.UpdateUserRequest(
            user_id=user.id, language_code=callback_data.locale, update_mask=FieldMask(paths=["language_code"])
        )
    )
    user_registry.remember(tenant_id, bot.id, callback.from_user, response.user)
    with i18n.use_locale(callback_data.locale):
        await show(callback, menu_text(), main_menu())
