"""Every update's sender is a user of the tenant in the core, registered once per user per bot.

The first update of a Telegram user to a bot registers them (RegisterUser is idempotent in the
core); the core's user is then remembered in memory, so later updates cost no call, until the
Telegram profile changes or the entry grows old (`ttl_seconds`: bounds how stale another replica's
change, such as a language chosen there, may look here). Handlers receive it as `user`.

A `/start ref_<code>` deep link carries the referral code into the registration itself: the
core attributes a referrer only when it creates the user, so the code must ride on that call.

Telegram's language is not sent: the core keeps in `language_code` the language the user chose
in the bot, and RegisterUser would overwrite that choice with the Telegram setting on each
refresh. The locale middleware falls back to the Telegram language when there is no choice.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update
from aiogram.types import User as TelegramUser

from sdk.billinghub.v1 import common_pb2, user_pb2, user_service_pb2
from sdk.client import BillingHubClient

REFERRAL_PREFIX = "ref_"
USER_KEY = "user"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def referral_code_from(payload: str | None) -> str:
    """The referral code of a `ref_<code>` start payload; empty for any other payload."""
    if payload and payload.startswith(REFERRAL_PREFIX):
        return payload[len(REFERRAL_PREFIX) :]
    return ""


def start_payload(update: Update) -> str | None:
    """The payload of a `/start <payload>` message, if the update is one."""
    message: Message | None = update.message
    if message is None or not message.text:
        return None
    command, _, payload = message.text.partition(" ")
    if command.split("@")[0] != "/start":
        return None
    return payload.strip() or None


@dataclass(frozen=True)
class Registration:
    """What the core said about the sender: their user, and what this update's registration did."""

    user: user_pb2.User
    created: bool = False
    referrer_attributed: bool = False


@dataclass
class _Entry:
    user: user_pb2.User
    profile: tuple[str, str, str]
    expires: float


class UserRegistry:
    """Core users known to this process, by (tenant, bot id, Telegram user id); bounded, oldest
    dropped. The tenant is part of the key: a token moved to another tenant must not reuse users."""

    def __init__(self, *, ttl_seconds: float = 600.0, max_entries: int = 100_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, int, int], _Entry] = OrderedDict()

    def get(self, tenant_id: str, bot_id: int, sender: TelegramUser) -> user_pb2.User | None:
        """The remembered user, unless unknown, old, or their Telegram profile changed since."""
        entry = self._entries.get((tenant_id, bot_id, sender.id))
        if entry is None or entry.expires < time.monotonic() or entry.profile != _profile(sender):
            return None
        return entry.user

    def remember(self, tenant_id: str, bot_id: int, sender: TelegramUser, user: user_pb2.User) -> None:
        """Keep `user` as the core's view of `sender` (after a registration or a change)."""
        key = (tenant_id, bot_id, sender.id)
        self._entries[key] = _Entry(user, _profile(sender), time.monotonic() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, tenant_id: str, bot_id: int, telegram_id: int) -> None:
        """Drop what is known of a user (the core changed them: e.g. marked the bot blocked)."""
        self._entries.pop((tenant_id, bot_id, telegram_id), None)


def _profile(sender: TelegramUser) -> tuple[str, str, str]:
    return (sender.username or "", sender.first_name, sender.last_name or "")


class UserRegistrationMiddleware(BaseMiddleware):
    """Outer middleware on updates, after the tenant's: puts `user` (the core's) and `registration`."""

    def __init__(self, registry: UserRegistry | None = None) -> None:
        self.registry = registry or UserRegistry()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is None or sender.is_bot:  # channel posts, other bots: nobody to register
            return await handler(event, data)
        bot_id: int = data["bot"].id
        tenant_id: str = data["tenant_id"]
        data["user_registry"] = self.registry
        referral_code = referral_code_from(start_payload(event)) if isinstance(event, Update) else ""
        user = self.registry.get(tenant_id, bot_id, sender)
        if user is not None and not referral_code:
            data[USER_KEY], data["registration"] = user, Registration(user)
            return await handler(event, data)
        hub: BillingHubClient = data["hub"]
        response: user_service_pb2.RegisterUserResponse = await hub.users.RegisterUser(
            user_service_pb2.RegisterUserRequest(
                platform=common_pb2.PLATFORM_TELEGRAM,
                external_id=str(sender.id),
                username=sender.username or "",
                first_name=sender.first_name,
                last_name=sender.last_name or "",
                referral_code=referral_code,
            )
        )
        self.registry.remember(tenant_id, bot_id, sender, response.user)
        data[USER_KEY] = response.user
        data["registration"] = Registration(response.user, response.created, response.referrer_attributed)
        return await handler(event, data)
