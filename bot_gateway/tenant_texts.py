"""Texts a tenant words for its own bot: welcome, help, terms, privacy, payment support, support.

Each has a stable override key (`text_keys.TEXT_KEYS`) and, except help, a field of the bot
settings. The tenant's text for a locale is its override of the key in that locale, else the
settings' field (one text for every locale), else None: the bot shows its own translated text.
"""

from __future__ import annotations

from enum import StrEnum

from bot_gateway.bot_settings import TenantSettings


class TextKey(StrEnum):
    """The texts a tenant may word itself, by their override keys."""

    WELCOME = "start.welcome"
    HELP = "info.help"
    TERMS = "info.terms"
    PRIVACY = "info.privacy"
    PAYSUPPORT = "info.paysupport"
    SUPPORT = "info.support"


def _setting(settings: TenantSettings, key: TextKey) -> str:
    fields = settings.settings
    return {
        TextKey.WELCOME: fields.welcome_text,
        TextKey.HELP: "",
        TextKey.TERMS: fields.terms_text,
        TextKey.PRIVACY: fields.privacy_text,
        TextKey.PAYSUPPORT: fields.paysupport_text,
        TextKey.SUPPORT: fields.support_text,
    }[key]


def tenant_text(settings: TenantSettings, key: TextKey, locale: str) -> str | None:
    """The tenant's own text for `key` in `locale`, or None to use the bot's default."""
    return settings.text(locale, key) or _setting(settings, key) or None


def admin_ids(settings: TenantSettings) -> frozenset[int]:
    """Telegram ids of the tenant's bot admins (the bot settings' `admins`)."""
    return settings.admin_ids
