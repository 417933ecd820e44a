"""A broadcast's content as Telegram shows it: the same call for every recipient and for the
admin's preview, so the preview is exactly what users get."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sdk.billinghub.v1 import broadcast_pb2


def url_button(content: broadcast_pb2.BroadcastContent) -> InlineKeyboardMarkup | None:
    """The content's URL button as an inline keyboard; None without one."""
    if not content.HasField("button") or not content.button.url:
        return None
    button = InlineKeyboardButton(text=content.button.text, url=content.button.url)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def parse_mode(content: broadcast_pb2.BroadcastContent) -> str | None:
    """HTML for HTML content; None (plain text, not the bot's default) otherwise."""
    return ParseMode.HTML if content.parse_mode == broadcast_pb2.BROADCAST_PARSE_MODE_HTML else None


async def send_content(bot: Bot, chat_id: int, content: broadcast_pb2.BroadcastContent) -> None:
    """Send the content to one chat: a photo with its caption, or a text message; its button."""
    markup = url_button(content)
    if content.photo:
        await bot.send_photo(
            chat_id, content.photo, caption=content.text or None, parse_mode=parse_mode(content), reply_markup=markup
        )
    else:
        await bot.send_message(chat_id, content.text, parse_mode=parse_mode(content), reply_markup=markup)
