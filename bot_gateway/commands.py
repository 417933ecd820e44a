"""The command list Telegram shows in a bot's menu button, published per locale when a bot starts.

`setMyCommands` takes a command and a short description per language. The descriptions are the
lines of the `/help` text ("/balance — your balance") in each catalog, so the help and the menu
list can never disagree and a new command is added in one place (the help entry of the .po files).
One list per supported locale (`language_code`), and the default locale's for every other
language. Publishing is best effort: a bot whose Bot API refuses it still serves its users.
"""

from __future__ import annotations

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from bot_gateway.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES
from bot_gateway.text_keys import HELP_TEXT

log = structlog.get_logger(__name__)

SEPARATOR = " — "


def bot_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    """The commands of the `/help` text in `locale`, in its order, each with its description."""
    commands = []
    for line in i18n.gettext(HELP_TEXT, locale=locale).splitlines():
        name, separator, description = line.strip().partition(SEPARATOR)
        if name.startswith("/") and separator:
            commands.append(BotCommand(command=name[1:], description=description.strip()))
    return commands


async def publish_commands(bot: Bot, i18n: I18n) -> None:
    """setMyCommands for each supported locale and for the rest of the languages; failures logged."""
    try:
        await bot.set_my_commands(bot_commands(i18n, DEFAULT_LOCALE))
        for locale in SUPPORTED_LOCALES:
            await bot.set_my_commands(bot_commands(i18n, locale), language_code=locale)
    except (TelegramAPIError, OSError, TimeoutError) as error:
        log.warning("cannot set the bot's commands", bot_id=bot.id, error=type(error).__name__)
