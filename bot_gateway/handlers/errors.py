"""What a user sees when a handler fails: a short localized apology, never a stack trace.

Failures of the core (typed SDK errors) are expected in operation and logged as warnings with
their reason and request id; anything else is a bug and logged with its traceback.
"""

from __future__ import annotations

import structlog
from aiogram import Bot, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import Chat, ErrorEvent

from bot_gateway.locales import Translator, translator
from sdk.errors import BillingHubError, Unavailable

log = structlog.get_logger(__name__)


async def _apologize(bot: Bot, chat: Chat | None, text: str) -> None:
    if chat is None:
        return
    try:
        await bot.send_message(chat.id, text)
    except Exception as error:  # the apology is best effort; the error is already logged
        log.warning("could not send the error message", error=type(error).__name__)


async def on_hub_error(
    event: ErrorEvent, bot: Bot, event_chat: Chat | None = None, tr: Translator | None = None
) -> None:
    """A call to the core failed: say so in the user's language."""
    error = event.exception
    assert isinstance(error, BillingHubError)  # guaranteed by the filter
    log.warning(
        "core call failed",
        status=error.code.name,
        reason=error.reason,
        request_id=error.request_id,
        update_id=event.update.update_id,
    )
    tr = tr or translator("en")
    await _apologize(
        bot, event_chat, tr("errors.unavailable" if isinstance(error, Unavailable) else "errors.unexpected")
    )


async def on_unexpected_error(
    event: ErrorEvent, bot: Bot, event_chat: Chat | None = None, tr: Translator | None = None
) -> None:
    """A bug: log it with the traceback, apologize to the user."""
    log.error("update handling failed", update_id=event.update.update_id, exc_info=event.exception)
    tr = tr or translator("en")
    await _apologize(bot, event_chat, tr("errors.unexpected"))


def create_router() -> Router:
    """The router of error handlers; include it last."""
    router = Router(name="errors")
    router.errors.register(on_hub_error, ExceptionTypeFilter(BillingHubError))
    router.errors.register(on_unexpected_error)
    return router
