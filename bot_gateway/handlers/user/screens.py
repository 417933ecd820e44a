"""Showing a screen: edit the message in place after a button press, send a new one after a command.

Telegram lets a bot edit the text and keyboard of its own message, which keeps the chat to one
menu message instead of a scroll of them; a typed command has no message to edit, so it gets a
new one. Editing to identical content is an error in the Bot API and harmless here.

In webhook mode the edit travels in the reply to Telegram's request (webhook_reply.py) and the
press's answerCallbackQuery is a request of its own: of the two, the edit is the dear one to send
(its text and keyboard encoded, the edited message parsed back from Telegram's answer: a sixth of
a press in bench/bots.py) and its result is not needed. Telegram reports nothing about a call made
from a reply, so an edit that fails there is not seen; the one failure a screen expects, "message
is not modified", is ignored anyway. In polling mode both are requests, as before.
"""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot_gateway.webhook_reply import answer_later


async def show(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show `text` with `markup`: in place for a button press (and stop its spinner), else anew."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
        return
    message = event.message
    if isinstance(message, Message):
        edit = message.edit_text(text, reply_markup=markup)
        if not answer_later(edit):
            try:
                await edit
            except TelegramBadRequest as error:
                if "not modified" not in error.message:
                    raise
    elif event.bot is not None and event.from_user is not None:  # too old to edit: send anew
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
    spinner = event.answer()
    if not answer_later(spinner):  # in the webhook reply when there is one
        await spinner
