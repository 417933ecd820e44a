"""Per-update bot settings: the tenant's settings (`bot_settings`) and its text overrides in `_()`.

Runs after the anti-flood check (a dropped update costs nothing) and before registration and the
locale middleware, which reads the tenant's default locale from the settings. The settings come
from the process's `BotSettingsCache` (read from the core once per refresh period, and again after a
change: the notifier drops the copy on `bot_settings.updated`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot_gateway.bot_settings import BOT_SETTINGS_KEY, BotSettingsCache
from bot_gateway.text_overrides import use_overrides

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class BotSettingsMiddleware(BaseMiddleware):
    """Outer middleware on updates, after the tenant's: puts `bot_settings` into the data."""

    def __init__(self, cache: BotSettingsCache) -> None:
        self.cache = cache

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        settings = await self.cache.get(data["hub"], data["tenant_id"])
        data[BOT_SETTINGS_KEY] = settings
        with use_overrides(settings.by_msgid):
            return await handler(event, data)
