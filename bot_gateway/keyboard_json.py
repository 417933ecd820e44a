"""A Bot API method's keyboard as JSON in one step, for the request bodies and the webhook replies.

aiogram turns a method into fields by dumping it to dicts and walking them in Python
(`prepare_value`), dropping None fields one by one; an inline keyboard's buttons carry a dozen
optional fields each, so a menu's keyboard was the largest part of preparing an edit (a tenth of
a button press in bench/bots.py). A keyboard holds no files and no `Default` values, so pydantic
can write its JSON directly (`exclude_none`, the same fields aiogram keeps).
tests/bots/test_session.py checks the two agree.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import TelegramMethod
from aiogram.types import ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
KEYBOARDS = (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, ForceReply)


def keyboard_of(method: TelegramMethod[Any]) -> Keyboard | None:
    """The method's `reply_markup` when it is a keyboard (None when unset or of another kind)."""
    keyboard = getattr(method, "reply_markup", None)
    return keyboard if isinstance(keyboard, KEYBOARDS) else None


def keyboard_json(keyboard: Keyboard) -> str:
    """The keyboard as the Bot API takes it: JSON without the fields left unset."""
    return keyboard.model_dump_json(exclude_none=True)
