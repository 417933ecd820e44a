"""`/start`: the user is registered (by the registration middleware, with the `ref_<code>` of a
deep link) and greeted with the tenant's welcome text (and image), their referral link and the
main menu."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.bot_settings import TenantSettings
from bot_gateway.keyboards.menu import main_menu
from bot_gateway.middlewares.registration import REFERRAL_PREFIX, Registration
from bot_gateway.tenant_texts import TextKey

router = Router(name="start")

# Telegram's limit of a photo caption; a longer greeting goes in a message after the photo
CAPTION_LIMIT = 1024


def referral_link(bot_username: str, referral_code: str) -> str:
    """The deep link that starts the bot with the user's referral code."""
    return f"https://t.me/{bot_username}?start={REFERRAL_PREFIX}{referral_code}"


def welcome_text(settings: TenantSettings, locale: str, name: str, *, returning: bool) -> str:
    """The tenant's welcome text of the settings (as written: no placeholders), unless it reworded
    the bot's greeting for this locale (an override, with `{name}`), else the bot's own greeting."""
    own = settings.settings.welcome_text
    reworded = settings.text(locale, TextKey.WELCOME) or settings.text(locale, "start.welcome_back")
    if own and not reworded:
        return own
    return (_("Welcome back, {name}!") if returning else _("Welcome, {name}!")).format(name=name)


@router.message(CommandStart())
async def start(
    message: Message,
    bot: Bot,
    registration: Registration,
    bot_settings: TenantSettings,
    locale: str,
    state: FSMContext,
) -> None:
    """Greet the user, with their referral link and the main menu (a photo when the tenant set one)."""
    await state.clear()  # /start leaves whatever the user was typing into
    name = message.from_user.first_name if message.from_user else ""
    lines = [welcome_text(bot_settings, locale, name, returning=not registration.created)]
    if registration.referrer_attributed:
        lines.append(_("You joined by an invitation."))
    me = await bot.me()
    if me.username and registration.user.referral_code:
        link = referral_link(me.username, registration.user.referral_code)
        lines.append(_("Invite friends with your personal link:\n{link}").format(link=link))
    text = "\n\n".join(lines)
    image = bot_settings.settings.welcome_image
    if not image:
        await message.answer(text, reply_markup=main_menu())
    elif len(text) <= CAPTION_LIMIT:
        await message.answer_photo(image, caption=text, reply_markup=main_menu())
    else:
        await message.answer_photo(image, caption=lines[0][:CAPTION_LIMIT])
        await message.answer("\n\n".join(lines[1:]) or text, reply_markup=main_menu())
