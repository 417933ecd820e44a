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
from urllib.parse import urlencode

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.types import ForceReply, InlineKeyboardMarkup, InputFile, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiohttp import FormData
from aiohttp.payload import BytesPayload

KEYBOARDS = (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, ForceReply)


def keyboard_json(keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply) -> str:
    """The keyboard as the Bot API takes it: JSON without the fields left unset."""
    return keyboard.model_dump_json(exclude_none=True)


class BotSession(AiohttpSession):
    """An AiohttpSession whose forms take a method's keyboard as pydantic's JSON of it, and whose
    forms without a file are encoded at once (the urlencoded body aiohttp would make of them)."""

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData | BytesPayload:  # type: ignore[override]
        """aiogram hands the result to aiohttp as `data`, which takes an encoded payload as well as
        a form: a form costs a multipart writer made up front (a twentieth of a button press in
        bench/bots.py) that a body without files never uses."""
        keyboard = getattr(method, "reply_markup", None)
        if not isinstance(keyboard, KEYBOARDS):
            keyboard = None
        files: dict[str, InputFile] = {}
        fields: list[tuple[str, str]] = []
        for key, value in method.model_dump(warnings=False, exclude={"reply_markup"} if keyboard else None).items():
            # an int is its own JSON (chat and message ids); the rest as aiogram prepares it
            prepared = str(value) if type(value) is int else self.prepare_value(value, bot=bot, files=files)
            if prepared:
                fields.append((key, prepared))
        if keyboard is not None:
            fields.append(("reply_markup", keyboard_json(keyboard)))
        if not files:
            return BytesPayload(urlencode(fields).encode(), content_type="application/x-www-form-urlencoded")
        form = FormData(quote_fields=False)
        for key, text in fields:
            form.add_field(key, text)
        for key, file in files.items():
            form.add_field(key, file.read(bot), filename=file.filename or key)
        return form
