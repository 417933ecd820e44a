"""The bots' session sends a keyboard exactly as aiogram's own session would (bot_gateway/session.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import EditMessageText, SendMessage, SendPhoto
from aiogram.types import (
    BufferedInputFile,
    CopyTextButton,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    WebAppInfo,
)
from aiogram.utils.i18n import I18n
from aiohttp.payload import BytesPayload

from bot_gateway.callbacks import Screen
from bot_gateway.i18n import build_i18n
from bot_gateway.keyboards.menu import back_to_menu, main_menu
from bot_gateway.session import BotSession

TOKEN = "42:" + "A" * 35  # a well-formed, made-up token


def fields(session: AiohttpSession, bot: Bot, method: Any) -> dict[str, Any]:
    """The form fields the session would POST, JSON fields decoded."""
    form = session.build_form_data(bot, method)
    payload = form if isinstance(form, BytesPayload) else form()
    pairs = parse_qsl(payload._value.decode())  # an urlencoded form when it holds no file
    decoded: dict[str, Any] = {}
    for key, value in pairs:
        try:
            decoded[key] = json.loads(value)
        except ValueError:
            decoded[key] = value
    return decoded


def keyboards(i18n: I18n) -> list[Any]:
    with i18n.context(), i18n.use_locale("ru"):
        menus = [main_menu(), back_to_menu()]
    return [
        *menus,
        InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Pay", url="https://example.invalid/pay")],
                [InlineKeyboardButton(text="App", web_app=WebAppInfo(url="https://example.invalid/app"))],
                [InlineKeyboardButton(text="Copy", copy_text=CopyTextButton(text="ref_abc"))],
                [InlineKeyboardButton(text="Back", callback_data=f"menu:{Screen.MENU.value}")],
            ]
        ),
        ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="📱 Phone", request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
        ReplyKeyboardRemove(),
        ForceReply(input_field_placeholder="@username"),
    ]


@pytest.mark.parametrize("index", range(6))
async def test_a_keyboard_is_sent_as_aiogram_sends_it(index: int) -> None:
    ours, theirs = BotSession(), AiohttpSession()
    bot = Bot(TOKEN, session=ours)
    try:
        keyboard = keyboards(build_i18n())[index]
        for method in (
            SendMessage(chat_id=7, text="Привет <b>всем</b>", reply_markup=keyboard),
            EditMessageText(chat_id=7, message_id=3, text="Баланс", reply_markup=keyboard)
            if isinstance(keyboard, InlineKeyboardMarkup)
            else SendMessage(chat_id=-100123, text="x", message_thread_id=5, reply_markup=keyboard),
        ):
            sent = fields(ours, bot, method)
            assert sent == fields(theirs, bot, method)
            assert "reply_markup" in sent
    finally:
        await ours.close()
        await theirs.close()


async def test_methods_without_a_keyboard_or_with_a_file_take_aiogram_s_own_path() -> None:
    ours, theirs = BotSession(), AiohttpSession()
    bot = Bot(TOKEN, session=ours)
    try:
        plain = SendMessage(chat_id=7, text="hi")
        assert fields(ours, bot, plain) == fields(theirs, bot, plain)
        photo = SendPhoto(
            chat_id=7, photo=BufferedInputFile(b"\x89PNG", "chart.png"), reply_markup=back_to_menu_plain()
        )
        names = {name for name, *_ in _field_names(ours.build_form_data(bot, photo))}
        assert {"chat_id", "photo", "reply_markup"} <= names
        assert len([n for n in names if n not in {"chat_id", "photo", "reply_markup"}]) == 1  # the file's own field
    finally:
        await ours.close()
        await theirs.close()


def back_to_menu_plain() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Menu", callback_data="menu:menu")]])


def _field_names(form: Any) -> list[tuple[str, ...]]:
    return [(type_options["name"],) for type_options, _headers, _value in form._fields]
