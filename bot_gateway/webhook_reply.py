"""A Bot API call carried in the reply to Telegram's webhook request instead of a request of its own.

Telegram performs the method a bot names in its answer to a webhook POST ("Making requests when
getting updates" in the Bot API docs): the JSON body `{"method": "answerCallbackQuery", ...}`.
Stopping a button's spinner that way saves a request to Telegram per press, a third of what a
menu click costs the gateway. Only a call whose result the handler does not need may go there
(Telegram answers nothing back), and only one per update.

`WebhookBots.handle` opens a slot around the dispatch of a webhook update; `answer_later` puts a
method in it when a slot is open, empty and still in its update; otherwise (polling, a second
call, a task outliving its update) the caller sends the method itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod


class ReplySlot:
    """The one method an update's webhook reply may carry."""

    __slots__ = ("closed", "method")

    def __init__(self) -> None:
        self.method: TelegramMethod[Any] | None = None
        self.closed = False

    def body(self, bot: Bot) -> bytes | None:
        """The reply's JSON, None when no method was put here."""
        if self.method is None:
            return None
        files: dict[str, Any] = {}
        params = {
            key: prepared
            for key, value in self.method.model_dump(warnings=False).items()
            if (prepared := bot.session.prepare_value(value, bot=bot, files=files, _dumps_json=False)) is not None
        }
        return json.dumps({"method": self.method.__api_method__, **params}, separators=(",", ":")).encode()


_SLOT: ContextVar[ReplySlot | None] = ContextVar("billing_hub_webhook_reply", default=None)


@contextmanager
def reply_slot() -> Iterator[ReplySlot]:
    """A slot for the update dispatched inside; closed when it ends (later calls are sent)."""
    slot = ReplySlot()
    token = _SLOT.set(slot)
    try:
        yield slot
    finally:
        slot.closed = True
        _SLOT.reset(token)


def answer_later(method: TelegramMethod[Any]) -> bool:
    """Put `method` in the webhook reply of the update being handled; False when it can't go
    there (the caller then sends it)."""
    slot = _SLOT.get()
    if slot is None or slot.closed or slot.method is not None:
        return False
    slot.method = method
    return True
