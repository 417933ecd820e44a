"""Which language a user is spoken to in: their choice in the bot, then Telegram's, then the tenant's."""

from __future__ import annotations

import pytest

from bot_gateway.i18n import resolve_locale


@pytest.mark.parametrize(
    ("chosen", "telegram_language", "tenant_default", "expected"),
    [
        ("", "ru", "en", "ru"),
        ("uk", "ru", "en", "uk"),
        ("", "uk-UA", "en", "uk"),
        (None, "de", "uk", "uk"),
        ("", None, "ru", "ru"),
        ("de", "fr", "xx", "en"),
        ("", "", "", "en"),
    ],
)
def test_locale_is_the_choice_then_telegrams_then_the_tenants_then_english(
    chosen: str | None, telegram_language: str | None, tenant_default: str, expected: str
) -> None:
    assert resolve_locale(chosen, telegram_language, tenant_default) == expected
