"""Tenant bots driven by real update JSON through the gateway's dispatcher, against the real core.

A `TenantBot` is one tenant created through the public RPCs, with a bot token, the `BotTenant`
the core lists for a gateway key, and an aiogram `Bot` whose Bot API is the fake server. Tests
`send` messages and `press` buttons as a Telegram user would, then read the requests the bot made.

The dispatcher is the process's one (`shared_dispatcher`): its routers are module-level and can
be attached once, as in the gateway. Bot ids and user ids come from process-wide counters, so the
shared FSM storage, user registry and rate limiter never mix two tests' users.
"""

from __future__ import annotations

import gettext
import itertools
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from aiogram.utils.i18n import I18n

from bot_gateway.bot_settings import BotSettingsCache
from bot_gateway.broadcasts.progress import ProgressBoard
from bot_gateway.dispatcher import build_dispatcher
from bot_gateway.export_jobs import ExportJobs
from bot_gateway.i18n import build_i18n
from bot_gateway.middlewares.registration import UserRegistry
from bot_gateway.middlewares.tenant import BOT_TENANT_KEY, HUB_KEY
from bot_gateway.runner import BotRunner
from bot_gateway.session import BotSession
from sdk.billinghub.v1 import common_pb2, gateway_service_pb2, tenant_pb2, user_pb2, user_service_pb2
from sdk.client import BillingHubClient
from tests.bots.telegram import EPOCH, BotRequest, FakeBotApi
from tests.hub import Hub, TenantHandle

_bot_ids = itertools.count(7_000_000 + uuid.uuid4().int % 1_000_000 * 100)
_user_ids = itertools.count(100_000)
_update_ids = itertools.count(1)
UNSEEN = {"getme"}  # calls a user does not see: left out of what `send` and `press` return


class MissingTranslations(gettext.NullTranslations):
    """The last fallback of every catalog: remembers each text a catalog lacked when it was shown."""

    def __init__(self) -> None:
        super().__init__()
        self.missing: set[str] = set()

    def gettext(self, message: str) -> str:
        self.missing.add(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.missing.add(msgid1)
        return msgid1 if n == 1 else msgid2


MISSING = MissingTranslations()


@cache
def shared_i18n() -> I18n:
    """The catalogs the shared dispatcher speaks with, each falling back to `MISSING`."""
    i18n = build_i18n()
    for translations in i18n.locales.values():
        translations.add_fallback(MISSING)
    return i18n


SETTINGS_CLOCK = [0.0]  # the bot settings' clock: a test moves it past the refresh period


@cache
def shared_settings() -> BotSettingsCache:
    """The bot settings the shared dispatcher reads (re-read after 60 s of `SETTINGS_CLOCK`)."""
    return BotSettingsCache(refresh_seconds=60.0, clock=lambda: SETTINGS_CLOCK[0])


@cache
def shared_registry() -> UserRegistry:
    """The users the shared dispatcher has registered."""
    return UserRegistry()


@cache
def shared_board() -> ProgressBoard:
    """The broadcast progress messages the shared dispatcher's admins follow (runners share it)."""
    return ProgressBoard(shared_i18n())


@cache
def shared_exports() -> ExportJobs:
    """The admins' exports of the shared dispatcher (runners share it, and stop a bot's with it)."""
    return ExportJobs()


@cache
def shared_dispatcher() -> Dispatcher:
    """The dispatcher of this test process, built once like the gateway's."""
    return build_dispatcher(
        i18n=shared_i18n(),
        registry=shared_registry(),
        settings=shared_settings(),
        broadcast_board=shared_board(),
        export_jobs=shared_exports(),
    )


@dataclass(frozen=True)
class TgUser:
    """A Telegram user who talks to the bots."""

    id: int
    first_name: str = "Ann"
    username: str | None = "ann"
    language_code: str | None = "en"

    def as_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


def new_user(first_name: str = "Ann", language_code: str | None = "en", username: str | None = None) -> TgUser:
    """A Telegram user no other test has used."""
    user_id = next(_user_ids)
    return TgUser(user_id, first_name, username or f"user{user_id}", language_code)


@dataclass
class TenantBot:
    """One tenant with its bot, fed through the shared dispatcher."""

    tenant: TenantHandle
    bot_tenant: gateway_service_pb2.BotTenant
    bot: Bot
    hub: BillingHubClient  # the gateway key's view acting in the tenant, as the runner gives it
    api: FakeBotApi

    @property
    def token(self) -> str:
        return self.bot.token

    async def _feed(self, update: dict[str, Any]) -> list[BotRequest]:
        before = len(self.api.requests)
        dispatcher = shared_dispatcher()
        await dispatcher.feed_update(
            self.bot,
            Update.model_validate(update, context={"bot": self.bot}),
            **{BOT_TENANT_KEY: self.bot_tenant, HUB_KEY: self.hub},
        )
        made = self.api.requests[before:]
        return [request for request in made if request.token == self.token and request.method not in UNSEEN]

    def latest_message_id(self, user: TgUser) -> int:
        """The id of the last message the bot sent to the user (the one whose buttons they press)."""
        sent = [r for r in self.api.of(self.token) if r.method == "sendmessage" and r.chat_id == user.id]
        return sent[-1].message_id or 0 if sent else 0

    async def send(self, user: TgUser, text: str) -> list[BotRequest]:
        """The user types `text` (a command when it starts with "/")."""
        message: dict[str, Any] = {
            "message_id": next(_update_ids),
            "date": EPOCH,
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._feed({"update_id": next(_update_ids), "message": message})

    async def press(self, user: TgUser, callback_data: str, callback_id: str | None = None) -> list[BotRequest]:
        """The user presses a button with `callback_data` under the bot's latest message to them
        (`callback_id`: the same press delivered again by Telegram)."""
        message = {
            "message_id": self.latest_message_id(user),
            "date": EPOCH,
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": {"id": self.bot.id, "is_bot": True, "first_name": "Shop"},
            "text": "…",
        }
        callback = {
            "id": callback_id or uuid.uuid4().hex,
            "from": user.as_json(),
            "chat_instance": str(user.id),
            "message": message,
            "data": callback_data,
        }
        return await self._feed({"update_id": next(_update_ids), "callback_query": callback})

    async def pre_checkout(self, user: TgUser, payload: str, total: int, currency: str = "XTR") -> list[BotRequest]:
        """Telegram asks whether the user may pay the invoice `payload`."""
        query = {
            "id": uuid.uuid4().hex,
            "from": user.as_json(),
            "currency": currency,
            "total_amount": total,
            "invoice_payload": payload,
        }
        return await self._feed({"update_id": next(_update_ids), "pre_checkout_query": query})

    async def successful_payment(
        self,
        user: TgUser,
        payload: str,
        total: int,
        charge_id: str,
        currency: str = "XTR",
        *,
        recurring: bool = False,
        first_recurring: bool = False,
    ) -> list[BotRequest]:
        """Telegram says the user paid the invoice `payload` (charge `charge_id`); `recurring`: a
        charge of a Stars subscription (`first_recurring`: its first, else a renewal)."""
        paid: dict[str, Any] = {
            "currency": currency,
            "total_amount": total,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        if recurring:
            paid |= {
                "is_recurring": True,
                "is_first_recurring": first_recurring,
                "subscription_expiration_date": EPOCH + 30 * 86400,
            }
        message = {
            "message_id": next(_update_ids),
            "date": EPOCH,
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            "successful_payment": paid,
        }
        return await self._feed({"update_id": next(_update_ids), "message": message})

    async def core_user(self, user: TgUser) -> user_pb2.User:
        """The core's user of a Telegram user, read with the tenant's admin key."""
        response: user_service_pb2.FindUserResponse = await self.tenant.admin.users.FindUser(
            user_service_pb2.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(user.id))
        )
        return response.user


async def new_tenant_bot(
    hub: Hub, api: FakeBotApi, name: str, default_locale: str = "en", time_zone: str = "UTC"
) -> TenantBot:
    """A tenant created by the platform with a bot token, listed to a gateway key of its own."""
    bot_id = next(_bot_ids)
    token = f"{bot_id}:TEST-{uuid.uuid4().hex}"
    api.usernames[token] = f"{name.lower().replace(' ', '_')}_bot"
    tenant = await hub.new_tenant(name, default_locale=default_locale, time_zone=time_zone, bot_token=token)
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, tenant.id, "bots"))
    listed: gateway_service_pb2.ListBotTenantsResponse = await gateway.gateway.ListBotTenants(
        gateway_service_pb2.ListBotTenantsRequest()
    )
    (bot_tenant,) = [listed_bot for listed_bot in listed.bot_tenants if listed_bot.tenant_id == tenant.id]
    bot = Bot(token, session=BotSession(api=TelegramAPIServer.from_base(api.url)))
    return TenantBot(tenant, bot_tenant, bot, gateway.for_tenant(tenant.id), api)


def polling_runner(shop: TenantBot, *, poll_tenants_seconds: float) -> BotRunner:
    """A runner polling the shop's bot against its fake Bot API, with the process-wide dispatcher,
    settings, registry and catalogs (as the bot gateway builds one; notifiers included)."""
    return BotRunner(
        shop.hub,
        shared_dispatcher(),
        poll_tenants_seconds=poll_tenants_seconds,
        polling_timeout=1,
        telegram_api_url=shop.api.url,
        settings=shared_settings(),
        registry=shared_registry(),
        i18n=shared_i18n(),
        exports=shared_exports(),
    )
