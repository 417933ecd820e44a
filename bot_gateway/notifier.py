"""Notifications from the event stream: one task per tenant bot tells users what happened.

The task reads the tenant's events (WatchEvents, consumer "bot-notifications", the types of
`notification_texts`) from where the consumer's durable cursor stands, sends each notice, and
commits the cursor after each event. A restart resumes after the last committed event, so no
notice is lost; and an event in hand is finished (sent and committed) even when the task is
cancelled, so a restart does not repeat one either.

Only users of platform telegram are told (their Telegram id is the core user's external_id), in
their language (chosen, else the tenant's default). A user who blocked the bot (Telegram answers
403 "bot was blocked by the user") is marked with SetUserBotBlocked and not retried; a user
already marked is skipped. Other refusals of Telegram (a chat that no longer exists) skip the
notice; network failures and flood limits are retried until the notice goes out.
The tenant's alert chat (and forum topic) hears, in the tenant's default locale, of new paid
orders, underpaid payments, failed deliveries, new top-up and payout requests and finished
broadcasts (`notification_texts.admin_notice`) when the bot settings name one.

Broadcast events (`broadcast.started`, `.resumed`, `.paused`, `.cancelled`, `.finished`) tell no
user anything: they go to `on_broadcast` (the runner's: the bot's broadcast sender wakes or
stops, and a finished broadcast's progress messages become the final report), so a sender waits
for them instead of asking the core every second. A finished one also reaches the alert chat.

The same stream carries `bot_settings.updated`, which tells no one anything: the tenant changed
its bot settings or texts, so the settings cache drops its copy (the next update reads the new
ones), and a changed mode asks the runner (`on_mode_change`) to check at once whether this process
still serves the bot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiogram.utils.i18n import I18n

from bot_gateway.bot_settings import BotSettingsCache, TenantSettings
from bot_gateway.broadcasts.sender import EVENT_TYPES as BROADCAST_TYPES
from bot_gateway.formatting import asset_scales
from bot_gateway.i18n import resolve_locale
from bot_gateway.middlewares.registration import UserRegistry
from bot_gateway.notification_texts import NOTIFIED_TYPES, Notice, admin_notice, payload, user_notice
from bot_gateway.polling import redact
from bot_gateway.text_overrides import use_overrides
from sdk.billinghub.v1 import common_pb2, event_pb2, event_service_pb2, user_pb2, user_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import NotFound

log = structlog.get_logger(__name__)

CONSUMER = "bot-notifications"
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=1.5, jitter=0.1)
BLOCKED = "bot was blocked by the user"
SETTINGS_UPDATED = "bot_settings.updated"  # the core's event of a change of the tenant's settings or texts
WATCHED_TYPES = (*NOTIFIED_TYPES, SETTINGS_UPDATED, *BROADCAST_TYPES)
BroadcastHook = Callable[[str, Mapping[str, object]], Awaitable[None]]


class Notifier:
    """The notifications of one tenant's bot; `run()` until cancelled."""

    def __init__(
        self,
        hub: BillingHubClient,
        bot: Bot,
        tenant_id: str,
        settings: BotSettingsCache,
        i18n: I18n,
        registry: UserRegistry | None = None,
        on_mode_change: Callable[[str], None] | None = None,
        on_broadcast: BroadcastHook | None = None,
    ) -> None:
        """`on_mode_change(tenant_id)` is called (and must not block) when the bot's mode changed;
        `on_broadcast(type, data)` with each broadcast.* event."""
        self._hub = hub
        self._bot = bot
        self._tenant_id = tenant_id
        self._settings = settings
        self._i18n = i18n
        self._registry = registry
        self._on_mode_change = on_mode_change
        self._on_broadcast = on_broadcast
        self._scales: dict[str, int] = {}

    async def run(self) -> None:
        """Follow the stream from the committed cursor; reopen it after a failure."""
        backoff = Backoff(BACKOFF)
        await self._settings.get(self._hub, self._tenant_id)  # read the settings as the bot starts
        while True:
            stream = self._hub.events.WatchEvents(
                event_service_pb2.WatchEventsRequest(consumer=CONSUMER, types=list(WATCHED_TYPES))
            )
            try:
                async for item in stream:
                    await self._finish(item.event)
                    backoff.reset()
            except Exception as error:  # the core restarting, the network: resume from the cursor
                log.warning("event stream failed", tenant_id=self._tenant_id, error=repr(error))
                await backoff.asleep()
            finally:
                stream.cancel()  # leaving the loop does not end the call

    async def _finish(self, event: event_pb2.Event) -> None:
        """Handle the event and commit it; a cancellation waits until both are done."""
        task = asyncio.ensure_future(self._handle_and_commit(event))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await task  # the notice may be out already: commit it, or a restart would repeat it
            raise

    async def _handle_and_commit(self, event: event_pb2.Event) -> None:
        try:
            await self.handle(event)
        except Exception as error:  # a bad event must not stop the stream: log it and move on
            log.error("notification failed", tenant_id=self._tenant_id, event_id=event.id, error=repr(error))
        await self._hub.events.CommitEventCursor(
            event_service_pb2.CommitEventCursorRequest(consumer=CONSUMER, event_id=event.id)
        )

    async def handle(self, event: event_pb2.Event) -> None:
        """Send what the event calls for: the user's notice, the alert chat's; or take the
        tenant's changed settings."""
        data = payload(event.data)
        if event.type == SETTINGS_UPDATED:
            self._settings_changed(data)
            return
        if event.type in BROADCAST_TYPES and self._on_broadcast is not None:
            await self._on_broadcast(event.type, data)  # then the alert chat's notice, if any (finished)
        settings = await self._settings.get(self._hub, self._tenant_id)
        scales = await self._scales_of(data)
        notice = user_notice(event.type, data, scales)
        if notice is not None and notice.user_id:
            await self._tell_user(notice, settings)
        alert = admin_notice(event.type, data, scales)
        if alert is not None and settings.settings.alert_chat_id:
            locale = resolve_locale(None, None, settings.settings.default_locale)
            await self._send(
                settings.settings.alert_chat_id,
                self._render(alert, locale, settings),
                topic=settings.settings.alert_topic_id or None,
            )

    def _settings_changed(self, data: Mapping[str, object]) -> None:
        self._settings.invalidate(self._tenant_id)
        fields = data.get("fields")
        if self._on_mode_change is not None and isinstance(fields, list) and "mode" in fields:
            self._on_mode_change(self._tenant_id)

    async def _scales_of(self, data: Mapping[str, object]) -> dict[str, int]:
        """The assets' scales, read again when the event names an asset not seen yet."""
        assets = {data.get(key) for key in ("asset", "received_asset")} - {None, ""}
        if not self._scales or not assets <= self._scales.keys():
            self._scales = await asset_scales(self._hub, *(str(asset) for asset in assets))
        return self._scales

    def _render(self, notice: Notice, locale: str, settings: TenantSettings) -> str:
        with use_overrides(settings.by_msgid):
            return self._i18n.gettext(notice.text, locale=locale).format(**notice.values).strip()

    async def _tell_user(self, notice: Notice, settings: TenantSettings) -> None:
        try:
            response: user_service_pb2.GetUserResponse = await self._hub.users.GetUser(
                user_service_pb2.GetUserRequest(user_id=notice.user_id)
            )
        except NotFound:
            return
        user = response.user
        if user.platform != common_pb2.PLATFORM_TELEGRAM or user.bot_blocked or not user.external_id.isdigit():
            return
        locale = resolve_locale(user.language_code, None, settings.settings.default_locale)
        if not await self._send(int(user.external_id), self._render(notice, locale, settings)):
            await self._mark_blocked(user)

    async def _send(self, chat_id: int, text: str, *, topic: int | None = None) -> bool:
        """Send until Telegram takes or refuses the message; False when the user blocked the bot."""
        backoff = Backoff(BACKOFF)
        while True:
            try:
                await self._bot.send_message(chat_id, text, message_thread_id=topic)
                return True
            except TelegramForbiddenError as error:
                if BLOCKED in error.message:
                    return False
                log.warning("notice refused", tenant_id=self._tenant_id, error=error.message)
                return True
            except TelegramBadRequest as error:  # a chat that is gone, a topic deleted: nothing to retry
                log.warning("notice refused", tenant_id=self._tenant_id, error=error.message)
                return True
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
            except Exception as error:  # the network: retry, the notice must not be lost
                log.warning(
                    "notice not sent yet", tenant_id=self._tenant_id, error=redact(repr(error), self._bot.token)
                )
                await backoff.asleep()

    async def _mark_blocked(self, user: user_pb2.User) -> None:
        await self._hub.users.SetUserBotBlocked(
            user_service_pb2.SetUserBotBlockedRequest(user_id=user.id, bot_blocked=True)
        )
        if self._registry is not None:  # the next update of the user re-reads them and clears the mark
            self._registry.forget(self._tenant_id, self._bot.id, int(user.external_id))
        log.info("user blocked the bot", tenant_id=self._tenant_id, user_id=user.id)
