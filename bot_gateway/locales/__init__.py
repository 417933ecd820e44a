"""The bots' texts in ru, en and uk, and the rule that picks a user's language.

Texts are keyed strings with `str.format` placeholders (never f-strings), one module per locale,
so a translator edits one file and a test can check every locale has every key and placeholder.
A key missing from a locale falls back to English rather than failing a user's update.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from bot_gateway.locales import en, ru, uk

DEFAULT_LOCALE = "en"
CATALOGS: Mapping[str, Mapping[str, str]] = {"en": en.TEXTS, "ru": ru.TEXTS, "uk": uk.TEXTS}
SUPPORTED_LOCALES = tuple(CATALOGS)


def normalize(language_code: str | None) -> str | None:
    """The supported locale of a language tag ("ru-RU" -> "ru"), or None."""
    if not language_code:
        return None
    base = language_code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in CATALOGS else None


def resolve_locale(user_language: str | None, tenant_default: str | None) -> str:
    """The user's language when supported, else the tenant's default, else English."""
    return normalize(user_language) or normalize(tenant_default) or DEFAULT_LOCALE


class Translator:
    """Texts of one locale: `tr("start.welcome_new", name="Ann")`."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in CATALOGS else DEFAULT_LOCALE
        self._texts = CATALOGS[self.locale]

    def __call__(self, key: str, /, **values: Any) -> str:
        template = self._texts.get(key) or CATALOGS[DEFAULT_LOCALE][key]
        return template.format(**values)


@cache
def translator(locale: str) -> Translator:
    """The shared translator of a locale."""
    return Translator(locale)
