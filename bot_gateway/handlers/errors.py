"""What a user sees when a handler fails: a short translated apology, never a stack trace.

Failures of the core (typed SDK errors) are expected in operation and logged as warnings with
their reason and request id; anything else is a bug and logged with its traceback. Errors surface
outside the locale middleware, so the locale is read from the update's data explicitly.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiogram import Bot, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, Chat, ErrorEvent
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import I18n

from bot_gateway.i18n import gettext_noop, resolve_locale
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant
from sdk.errors import BillingHubError, Unavailable

log = structlog.get_logger(__name__)

router = Router(name="errors")

UNAVAILABLE = gettext_noop("The service is temporarily unavailable. Please try again in a minute.")
UNEXPECTED = gettext_noop("Something went wrong. Please try again later.")


def _translate(text: str, data: dict[str, Any]) -> str:
    """`text` in the update's locale; when the update failed before the locale was set (the core
    could not register the user), in the sender's Telegram language or the tenant's default."""
    i18n: I18n | None = data.get("i18n")
    if i18n is None:
        return text
    locale: str | None = data.get("locale")
    if locale is None:
        sender: TelegramUser | None = data.get("event_from_user")
        bot_tenant: BotTenant | None = data.get("bot_tenant")
        locale = resolve_locale(
            None, sender.language_code if sender else None, bot_tenant.default_locale if bot_tenant else None
        )
    return i18n.gettext(text, locale=locale)


async def _apologize(event: ErrorEvent, bot: Bot, chat: Chat | None, text: str) -> None:
    try:
        callback = event.update.callback_query
        if isinstance(callback, CallbackQuery):
            await callback.answer()  # stop the button's spinner whatever happens next
        if chat is not None:
            await bot.send_message(chat.id, text)
    except Exception as error:  # the apology is best effort; the error is already logged
        log.warning("could not send the error message", error=type(error).__name__)


@router.errors(ExceptionTypeFilter(BillingHubError))
async def on_hub_error(event: ErrorEvent, bot: Bot, event_chat: Chat | None = None, **data: Any) -> None:
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
    text = UNAVAILABLE if isinstance(error, Unavailable) else UNEXPECTED
    await _apologize(event, bot, event_chat, _translate(text, data))


@router.errors()
async def on_unexpected_error(event: ErrorEvent, bot: Bot, event_chat: Chat | None = None, **data: Any) -> None:
    """A bug: log it with the traceback, apologize to the user."""
    log.error("update handling failed", update_id=event.update.update_id, exc_info=event.exception)
    await _apologize(event, bot, event_chat, _translate(UNEXPECTED, data))
