"""Long polling of one bot, written out so bots can be started and stopped one at a time.

aiogram's `Dispatcher.start_polling` runs a fixed set of bots until the whole dispatcher stops;
a gateway whose tenants come and go needs one cancellable task per bot instead. This loop is the
same idea (getUpdates with an offset, each update handled in its own task, backoff on errors)
over aiogram's public API, plus the tenant context fed with every update.

Bot tokens are part of every Bot API URL, so error texts are redacted before they are logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

log = structlog.get_logger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=1.5, jitter=0.1)
# a long poll may take the whole polling timeout; give the HTTP request some more
REQUEST_MARGIN_SECONDS = 10
HANDLER_GRACE_SECONDS = 5.0


def redact(text: str, token: str) -> str:
    """`text` with the bot token (and its secret half alone) replaced."""
    secret = token.partition(":")[2]
    text = text.replace(token, "<token>")
    return text.replace(secret, "<secret>") if secret else text


async def dispatch_update(dispatcher: Dispatcher, bot: Bot, update: Update, context: dict[str, Any]) -> None:
    """Feed one update (polled or from a webhook) to the dispatcher; log, never raise, a failure."""
    try:
        response = await dispatcher.feed_update(bot, update, **context)
        if isinstance(response, TelegramMethod):  # a handler may answer by returning a method
            await bot(response)
    except Exception as error:  # one bad update must not stop the bot
        log.error("update failed", bot_id=bot.id, update_id=update.update_id, error=redact(repr(error), bot.token))


async def poll_updates(
    dispatcher: Dispatcher,
    bot: Bot,
    context: Callable[[], dict[str, Any]],
    *,
    polling_timeout: int = 30,
) -> None:
    """Receive and dispatch the bot's updates until cancelled, or until Telegram rejects the token.

    `context()` is called for every update: its keys reach middlewares and handlers as data.
    """
    backoff = Backoff(BACKOFF)
    offset: int | None = None
    in_flight: set[asyncio.Task[None]] = set()
    started = False
    try:
        while True:
            try:
                if not started:
                    # getUpdates fails while a webhook is set; polling is this gateway's mode
                    await bot.delete_webhook(drop_pending_updates=False)
                    me = await bot.me()
                    log.info("bot polling", bot_id=bot.id, username=me.username)
                    started = True
                updates = await bot(
                    GetUpdates(
                        offset=offset,
                        timeout=polling_timeout,
                        allowed_updates=dispatcher.resolve_used_update_types(),
                    ),
                    request_timeout=polling_timeout + REQUEST_MARGIN_SECONDS,
                )
            except TelegramUnauthorizedError:
                log.error("telegram rejected the bot token", bot_id=bot.id)
                return
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
                continue
            except Exception as error:  # the network may throw anything; keep polling
                log.warning(
                    "telegram request failed",
                    bot_id=bot.id,
                    error=redact(repr(error), bot.token),
                    retry_in=round(backoff.next_delay, 1),
                )
                await backoff.asleep()
                continue
            backoff.reset()
            for update in updates:
                offset = update.update_id + 1
                task = asyncio.create_task(dispatch_update(dispatcher, bot, update, context()))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
    finally:
        if in_flight:
            # let handlers of updates already received finish (a user may be waiting on a reply)
            _, pending = await asyncio.wait(in_flight, timeout=HANDLER_GRACE_SECONDS)
            for task in pending:
                task.cancel()
