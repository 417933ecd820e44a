"""The call a webhook reply carries (bot_gateway/webhook_reply.py) and the order of calls around it
(BotSession): the reply's JSON is what aiogram would send, and a later call of the same update
never overtakes the call waiting in the reply, except the press's answerCallbackQuery."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup

from bot_gateway.i18n import build_i18n
from bot_gateway.session import BotSession
from bot_gateway.webhook_reply import answer_later, reply_slot
from tests.bots.telegram import FakeBotApi
from tests.bots.test_session import TOKEN, keyboards


def aiogram_reply(bot: Bot, method: Any) -> dict[str, Any]:
    """The reply aiogram itself would build: every field through its own preparation."""
    files: dict[str, Any] = {}
    params = {
        key: prepared
        for key, value in method.model_dump(warnings=False).items()
        if (prepared := AiohttpSession().prepare_value(value, bot=bot, files=files, _dumps_json=False)) is not None
    }
    return {"method": method.__api_method__, **params}


@pytest.mark.parametrize("index", range(6))
async def test_a_reply_carries_a_call_as_aiogram_would_send_it(index: int) -> None:
    bot = Bot(TOKEN, session=BotSession())
    try:
        keyboard = keyboards(build_i18n())[index]
        methods: list[Any] = [SendMessage(chat_id=7, text="Баланс: <b>5</b>", reply_markup=keyboard)]
        if isinstance(keyboard, InlineKeyboardMarkup):  # what a screen's edit carries
            methods.append(EditMessageText(chat_id=7, message_id=3, text="Баланс: <b>5</b>", reply_markup=keyboard))
        for method in methods:
            with reply_slot() as slot:
                assert answer_later(method)
                assert not answer_later(SendMessage(chat_id=7, text="second"))  # one call per reply
            body = slot.body(bot)
            assert body is not None
            assert json.loads(body) == aiogram_reply(bot, method)
    finally:
        await bot.session.close()


@pytest.fixture
async def bot(bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    made = Bot(TOKEN, session=BotSession(api=TelegramAPIServer.from_base(bot_api.url)))
    yield made
    await made.session.close()


async def test_a_later_call_sends_the_waiting_edit_first(bot: Bot, bot_api: FakeBotApi) -> None:
    with reply_slot() as slot:
        assert answer_later(EditMessageText(chat_id=7, message_id=3, text="Preparing…"))
        await bot(AnswerCallbackQuery(callback_query_id="press-1"))  # a spinner does not overtake anything
        assert slot.method is not None
        await bot(SendMessage(chat_id=7, text="Ready"))
        assert slot.method is None  # sent before the message, not left for the reply
    assert slot.body(bot) is None
    assert [request.method for request in bot_api.of(TOKEN)] == [
        "answercallbackquery",
        "editmessagetext",
        "sendmessage",
    ]


async def test_a_failed_waiting_call_does_not_fail_the_next(bot: Bot, bot_api: FakeBotApi) -> None:
    bot_api.refused.add("editmessagetext")
    with reply_slot():
        assert answer_later(EditMessageText(chat_id=7, message_id=3, text="Preparing…"))
        sent = await bot(SendMessage(chat_id=7, text="Ready"))
    assert sent.text == "Ready"
    assert [request.method for request in bot_api.of(TOKEN)] == ["editmessagetext", "sendmessage"]


async def test_without_a_reply_every_call_is_a_request(bot: Bot, bot_api: FakeBotApi) -> None:
    """Polling mode: no slot, so nothing waits."""
    edit = EditMessageText(chat_id=7, message_id=3, text="Balance")
    assert not answer_later(edit)
    await bot(edit)
    assert [request.method for request in bot_api.of(TOKEN)] == ["editmessagetext"]
