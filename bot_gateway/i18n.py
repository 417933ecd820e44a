"""The bots' languages: gettext catalogs (ru, en, uk) and the rule that picks a user's locale.

Texts are written in English in the code as gettext message ids (`_("Balance")`, `ngettext`
for counts) and translated in `locales/<locale>/LC_MESSAGES/bot.po`. The compiled `.mo` files are
committed beside them (a test fails when a `.mo` differs from its `.po`; `make locales` rebuilds
them with Babel), so a fresh clone runs without a build step.

A user's locale is the one they chose in the bot (kept in the core as the user's language_code),
else their Telegram language, else the tenant's default, else English.
"""

from __future__ import annotations

from pathlib import Path

from aiogram.utils.i18n import I18n

from bot_gateway.text_overrides import OverridableI18n

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "bot"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("ru", "en", "uk")
# how each language is offered in the language menu: in itself, whatever the current locale
LANGUAGE_NAMES = {"ru": "Русский", "en": "English", "uk": "Українська"}


def gettext_noop(text: str) -> str:
    """Marks `text` for the catalogs where it cannot be translated yet (translated where shown)."""
    return text


def normalize(language_code: str | None) -> str | None:
    """The supported locale of a language tag ("ru-RU" -> "ru"), or None."""
    if not language_code:
        return None
    base = language_code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED_LOCALES else None


def resolve_locale(chosen: str | None, telegram_language: str | None, tenant_default: str | None) -> str:
    """The user's choice, else their Telegram language, else the tenant's default, else English."""
    return normalize(chosen) or normalize(telegram_language) or normalize(tenant_default) or DEFAULT_LOCALE


def build_i18n() -> I18n:
    """The catalogs of every supported locale, loaded from the compiled `.mo` files (a tenant's
    text overrides come first: `text_overrides`)."""
    return OverridableI18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain=DOMAIN)
