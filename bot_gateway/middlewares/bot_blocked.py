"""A user who blocked the bot and writes to it again has unblocked it: clear the core's mark.

The notifier marks a user (SetUserBotBlocked true) when Telegram answers 403 "bot was blocked by
the user"; any update from that user afterwards means they are back, so the mark is cleared once
(the registry keeps the cleared user, so later updates cost no call). Runs after registration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from bot_gateway.middlewares.registration import USER_KEY, UserRegistry
from sdk.billinghub.v1 import user_pb2, user_service_pb2
from sdk.client import BillingHubClient

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class BotUnblockedMiddleware(BaseMiddleware):
    """Outer middleware on updates: SetUserBotBlocked(false) for a marked user who writes."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: user_pb2.User | None = data.get(USER_KEY)
        sender: TelegramUser | None = data.get("event_from_user")
        if user is not None and sender is not None and user.bot_blocked:
            hub: BillingHubClient = data["hub"]
            response: user_service_pb2.SetUserBotBlockedResponse = await hub.users.SetUserBotBlocked(
                user_service_pb2.SetUserBotBlockedRequest(user_id=user.id, bot_blocked=False)
            )
            registry: UserRegistry = data["user_registry"]
            registry.remember(data["tenant_id"], data["bot"].id, sender, response.user)
            data[USER_KEY] = response.user
        return await handler(event, data)
