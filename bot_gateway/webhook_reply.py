"""A Bot API call carried in the reply to Telegram's webhook request instead of a request of its own.

Telegram performs the method a bot names in its answer to a webhook POST ("Making requests when
getting updates" in the Bot API docs): the JSON body `{"method": "answerCallbackQuery", ...}`.
A screen's edit after a button press goes there (handlers/user/screens.py), saving the dearest
request of a menu click; a handler that does not edit puts the press's answerCallbackQuery there
instead. Only a call whose result the handler does not need may go there (Telegram answers
nothing back), and only one per update.

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

from bot_gateway.keyboard_json import keyboard_json, keyboard_of


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
        keyboard = keyboard_of(self.method)
        files: dict[str, Any] = {}
        fields = self.method.model_dump(warnings=False, exclude={"reply_markup"} if keyboard else None)
        params = {
            key: prepared for key, value in fields.items() if (prepared := _prepared(bot, value, files)) is not None
        }
        text = json.dumps({"method": self.method.__api_method__, **params}, separators=(",", ":"))
        if keyboard is not None:  # pydantic's JSON of it, as BotSession sends keyboards
            text = f'{text[:-1]},"reply_markup":{keyboard_json(keyboard)}}}'
        return text.encode()


def _prepared(bot: Bot, value: Any, files: dict[str, Any]) -> Any:
    """A str or an int is its own JSON (texts, chat and message ids); the rest as aiogram prepares it."""
    if type(value) in (str, int):
        return value
    return bot.session.prepare_value(value, bot=bot, files=files, _dumps_json=False)


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


def take_waiting() -> TelegramMethod[Any] | None:
    """Take the method waiting in the open slot of the update being handled, if any: the caller
    sends it now (BotSession does, before a call that must not overtake it)."""
    slot = _SLOT.get()
    if slot is None or slot.closed or slot.method is None:
        return None
    waiting, slot.method = slot.method, None
    return waiting
