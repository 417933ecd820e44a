"""The Bot API session of every tenant bot: aiogram's aiohttp session, keyboards serialized in one step.

aiogram turns a method into form fields by dumping it to dicts and walking them in Python
(`prepare_value`), dropping None fields one by one; an inline keyboard's buttons carry a dozen
optional fields each, so a menu's keyboard was the largest part of preparing an edit (a tenth of
a button press in bench/bots.py). A keyboard holds no files and no `Default` values, so pydantic
can write its JSON directly (`exclude_none`, the same fields aiogram keeps); every other field
still goes through aiogram's own preparation. tests/bots/test_session.py checks the two agree.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.types import ForceReply, InlineKeyboardMarkup, InputFile, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiohttp import FormData

KEYBOARDS = (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, ForceReply)


def keyboard_json(keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply) -> str:
    """The keyboard as the Bot API takes it: JSON without the fields left unset."""
    return keyboard.model_dump_json(exclude_none=True)


class BotSession(AiohttpSession):
    """An AiohttpSession whose forms take a method's keyboard as pydantic's JSON of it."""

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData:
        keyboard = getattr(method, "reply_markup", None)
        if not isinstance(keyboard, KEYBOARDS):
            return super().build_form_data(bot, method)
        form = FormData(quote_fields=False)
        files: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False, exclude={"reply_markup"}).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                form.add_field(key, prepared)
        form.add_field("reply_markup", keyboard_json(keyboard))
        for key, file in files.items():
            form.add_field(key, file.read(bot), filename=file.filename or key)
        return form
