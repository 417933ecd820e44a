"""Webhook mode: Telegram POSTs each update of a tenant bot to `/telegram/<tenant_id>/<bot_id>`.

The path names the bot by its public numeric id (the part of the token before ':'), never the
token. Telegram sends the secret we gave it in `setWebhook` back in the
`X-Telegram-Bot-Api-Secret-Token` header; `WebhookBots.handle` compares it with that bot's secret
in constant time and hands nothing to the dispatcher when it differs or is missing (401). An update
that passes goes to the same dispatcher, middlewares and handlers as a polled one.

`serve_webhook` is the webhook counterpart of `polling.poll_updates`: the task the runner keeps
per bot. It registers the bot, calls `setWebhook` (retrying like polling does), then waits until
cancelled and unregisters the bot. Switching back to polling needs no call here: polling begins
with `deleteWebhook`.

A button press's answerCallbackQuery travels in the reply (webhook_reply.py), saving a request
to Telegram per press. The handler awaits the dispatcher before answering, so Telegram resends an update whose handling
crashed the process, and a handler's errors are logged (and answered 200: a resend would fail
the same way).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.types import Update
from aiogram.utils.backoff import Backoff
from pydantic import ValidationError

from bot_gateway.polling import BACKOFF, dispatch_update, redact
from bot_gateway.webhook_reply import reply_slot

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name, not a secret
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KB; Telegram's own limit for a message is far below


class WebhookAnswer(IntEnum):
    """The HTTP status a webhook request gets."""

    HANDLED = 200
    BAD_UPDATE = 400
    WRONG_SECRET = 401
    UNKNOWN_BOT = 404


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What to answer Telegram: a status, and a JSON body naming a method for it to call."""

    status: WebhookAnswer
    body: bytes | None = None


def webhook_path(tenant_id: str, bot_id: int) -> str:
    """The path Telegram posts a bot's updates to (no token in it)."""
    return f"/telegram/{tenant_id}/{bot_id}"


@dataclass(frozen=True)
class WebhookBot:
    """A bot served by webhook: its secret, and the per-update context (tenant, SDK view)."""

    bot: Bot
    secret: bytes
    context: Callable[[], dict[str, Any]]


class WebhookBots:
    """The bots this process serves by webhook, by (tenant id, bot id), fed to one dispatcher."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._bots: dict[tuple[str, int], WebhookBot] = {}

    def __len__(self) -> int:
        return len(self._bots)

    def add(self, tenant_id: str, bot: Bot, secret: str, context: Callable[[], dict[str, Any]]) -> None:
        self._bots[(tenant_id, bot.id)] = WebhookBot(bot, secret.encode(), context)

    def remove(self, tenant_id: str, bot: Bot) -> None:
        registered = self._bots.get((tenant_id, bot.id))
        if registered is not None and registered.bot is bot:  # not a newer bot with the same id
            del self._bots[(tenant_id, bot.id)]

    async def handle(self, tenant_id: str, bot_id: int, secret: str | None, body: bytes) -> WebhookResult:
        """Check and dispatch one POSTed update: the HTTP status to reply, and the body (a Bot API
        call for Telegram to make, see webhook_reply.py) when the handler left one."""
        registered = self._bots.get((tenant_id, bot_id))
        if registered is None:
            return WebhookResult(WebhookAnswer.UNKNOWN_BOT)
        # compare_digest on bytes: constant time whatever the header holds (non-ASCII included)
        if secret is None or not hmac.compare_digest(secret.encode(), registered.secret):
            log.warning("telegram webhook with a wrong secret", tenant_id=tenant_id, bot_id=bot_id)
            return WebhookResult(WebhookAnswer.WRONG_SECRET)
        try:
            update = Update.model_validate_json(body, context={"bot": registered.bot})
        except ValidationError:
            return WebhookResult(WebhookAnswer.BAD_UPDATE)
        with reply_slot() as slot:
            await dispatch_update(self.dispatcher, registered.bot, update, registered.context())
        return WebhookResult(WebhookAnswer.HANDLED, slot.body(registered.bot))


async def serve_webhook(
    bots: WebhookBots,
    tenant_id: str,
    bot: Bot,
    *,
    secret: str,
    url: str,
    context: Callable[[], dict[str, Any]],
) -> None:
    """Serve `bot` by webhook at `url` until cancelled, or until Telegram rejects the token."""
    bots.add(tenant_id, bot, secret, context)
    backoff = Backoff(BACKOFF)
    try:
        while True:
            try:
                await bot.set_webhook(
                    url,
                    secret_token=secret,
                    allowed_updates=bots.dispatcher.resolve_used_update_types(),
                    drop_pending_updates=False,
                )
                break
            except TelegramUnauthorizedError:
                log.error("telegram rejected the bot token", bot_id=bot.id)
                return
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
            except Exception as error:  # the network may throw anything; keep trying
                log.warning("setWebhook failed", bot_id=bot.id, error=redact(repr(error), bot.token))
                await backoff.asleep()
        log.info("bot webhook set", tenant_id=tenant_id, bot_id=bot.id, url=url)
        await asyncio.Event().wait()  # served by `bots.handle` until the runner cancels this task
    finally:
        bots.remove(tenant_id, bot)
