"""The Bot API session of every tenant bot: aiogram's aiohttp session, keyboards serialized in one
step (keyboard_json.py), bodies without files urlencoded at once, and the order of calls kept when
one waits for the webhook reply.

A method put in the webhook reply (webhook_reply.py) is made by Telegram after the update is
answered. Any other call the update makes meanwhile would overtake it: an edit in the reply and a
second edit sent at once would leave the first one showing. So before a call, the one waiting in
the reply is sent first, except for answerCallbackQuery, which only stops a button's spinner and
has no order with the chat's messages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import FormData
from aiohttp.payload import BytesPayload

from bot_gateway.keyboard_json import keyboard_json, keyboard_of
from bot_gateway.webhook_reply import take_waiting

log = structlog.get_logger(__name__)


class BotSession(AiohttpSession):
    """An AiohttpSession whose forms take a method's keyboard as pydantic's JSON of it, whose forms
    without a file are encoded at once (the urlencoded body aiohttp would make of them), and
    which sends a call waiting for the webhook reply before any call that must not overtake it."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109  # aiogram's signature
    ) -> TelegramType:
        if not isinstance(method, AnswerCallbackQuery) and (waiting := take_waiting()) is not None:
            try:
                await super().make_request(bot, waiting, timeout)
            except TelegramAPIError as error:  # its caller has moved on; this call is still wanted
                if "not modified" not in error.message:
                    log.warning(
                        "a call moved out of the webhook reply failed",
                        method=waiting.__api_method__,
                        error=error.message,
                    )
        return await super().make_request(bot, method, timeout)

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData | BytesPayload:  # type: ignore[override]
        """aiogram hands the result to aiohttp as `data`, which takes an encoded payload as well as
        a form: a form costs a multipart writer made up front (a twentieth of a button press in
        bench/bots.py) that a body without files never uses."""
        keyboard = keyboard_of(method)
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
