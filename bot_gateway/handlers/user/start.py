"""`/start`: the user is registered (by the registration middleware, with the `ref_<code>` of a
deep link) and greeted with the tenant's welcome text, their referral link and the main menu."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.keyboards.menu import main_menu
from bot_gateway.middlewares.registration import REFERRAL_PREFIX, Registration
from bot_gateway.tenant_texts import TextKey, tenant_text
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant

router = Router(name="start")


def referral_link(bot_username: str, referral_code: str) -> str:
    """The deep link that starts the bot with the user's referral code."""
    return f"https://t.me/{bot_username}?start={REFERRAL_PREFIX}{referral_code}"


def welcome_text(bot_tenant: BotTenant, locale: str, name: str, *, returning: bool) -> str:
    """The tenant's welcome text when it has one (bot settings, later), else the bot's own."""
    own = tenant_text(bot_tenant, TextKey.WELCOME, locale)
    if own:
        return own
    return (_("Welcome back, {name}!") if returning else _("Welcome, {name}!")).format(name=name)


@router.message(CommandStart())
async def start(
    message: Message, bot: Bot, registration: Registration, bot_tenant: BotTenant, locale: str, state: FSMContext
) -> None:
    """Greet the user, with their referral link and the main menu."""
    await state.clear()  # /start leaves whatever the user was typing into
    name = message.from_user.first_name if message.from_user else ""
    lines = [welcome_text(bot_tenant, locale, name, returning=not registration.created)]
    if registration.referrer_attributed:
        lines.append(_("You joined by an invitation."))
    me = await bot.me()
    if me.username and registration.user.referral_code:
        link = referral_link(me.username, registration.user.referral_code)
        lines.append(_("Invite friends with your personal link:\n{link}").format(link=link))
    await message.answer("\n\n".join(lines), reply_markup=main_menu())
