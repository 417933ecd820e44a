"""`/start`: register the Telegram user with the tenant and hand them their referral link.

A deep link `https://t.me/<bot>?start=ref_<code>` arrives as `/start ref_<code>`; the code goes
to the core, which makes its owner the new user's referrer. Registration is idempotent in the
core, so `/start` is safe to send any number of times.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot_gateway.locales import Translator
from sdk.billinghub.v1 import common_pb2, user_service_pb2
from sdk.client import BillingHubClient

REFERRAL_PREFIX = "ref_"


def referral_code_from(payload: str | None) -> str:
    """The referral code of a `ref_<code>` start payload; empty for any other payload."""
    if payload and payload.startswith(REFERRAL_PREFIX):
        return payload[len(REFERRAL_PREFIX) :]
    return ""


def referral_link(bot_username: str, referral_code: str) -> str:
    """The deep link that starts the bot with the user's referral code."""
    return f"https://t.me/{bot_username}?start={REFERRAL_PREFIX}{referral_code}"


async def start(message: Message, command: CommandObject, bot: Bot, hub: BillingHubClient, tr: Translator) -> None:
    """Register (or refresh) the user and greet them with their own referral link."""
    sender = message.from_user
    if sender is None:  # channel posts have no sender to register
        return
    request = user_service_pb2.RegisterUserRequest(
        platform=common_pb2.PLATFORM_TELEGRAM,
        external_id=str(sender.id),
        username=sender.username or "",
        first_name=sender.first_name,
        last_name=sender.last_name or "",
        language_code=sender.language_code or "",
        referral_code=referral_code_from(command.args),
    )
    response: user_service_pb2.RegisterUserResponse = await hub.users.RegisterUser(request)
    lines = [tr("start.welcome_new" if response.created else "start.welcome_back", name=sender.first_name)]
    if response.referrer_attributed:
        lines.append(tr("start.invited"))
    me = await bot.me()
    if me.username and response.user.referral_code:
        lines.append(tr("start.referral_link", link=referral_link(me.username, response.user.referral_code)))
    await message.answer("\n\n".join(lines))


def create_router() -> Router:
    """The router of this feature."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
