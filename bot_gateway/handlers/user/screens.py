"""Showing a screen: edit the message in place after a button press, send a new one after a command.

Telegram lets a bot edit the text and keyboard of its own message, which keeps the chat to one
menu message instead of a scroll of them; a typed command has no message to edit, so it gets a
new one. Editing to identical content is an error in the Bot API and harmless here.
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
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                raise
    elif event.bot is not None and event.from_user is not None:  # too old to edit: send anew
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
    spinner = event.answer()
    if not answer_later(spinner):  # in the webhook reply when there is one
        await spinner
