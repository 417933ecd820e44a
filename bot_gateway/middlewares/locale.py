"""The locale of each update: the user's choice kept in the core, else Telegram's, else the tenant's.

The tenant's default is the one of its bot settings (else the tenant's own). An aiogram
`I18nMiddleware`: it sets the gettext locale for the rest of the update, so handlers
write `_("Balance")` and get the user's language. Registered after the registration middleware,
which puts the core's user (with the chosen language) into the data.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot_gateway.bot_settings import BOT_SETTINGS_KEY, TenantSettings
from bot_gateway.i18n import resolve_locale
from sdk.billinghub.v1 import user_pb2
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant


class UserLocaleMiddleware(I18nMiddleware):
    """Puts `i18n` and `locale` into the data and runs the update in that locale."""

    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: user_pb2.User | None = data.get("user")
        sender: TelegramUser | None = data.get("event_from_user")
        bot_tenant: BotTenant | None = data.get("bot_tenant")
        settings: TenantSettings | None = data.get(BOT_SETTINGS_KEY)
        # the bot settings' default locale, else the tenant's
        tenant_default = (settings.settings.default_locale if settings else "") or (
            bot_tenant.default_locale if bot_tenant else None
        )
        locale = resolve_locale(
            user.language_code if user else None, sender.language_code if sender else None, tenant_default
        )
        data["locale"] = locale
        return locale
