"""Translators fill every locale's texts the same way: same keys, same placeholders."""

from __future__ import annotations

import string

import pytest

from bot_gateway.locales import CATALOGS, DEFAULT_LOCALE, resolve_locale, translator


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_every_locale_has_every_text_with_the_same_placeholders(locale: str) -> None:
    reference = CATALOGS[DEFAULT_LOCALE]
    texts = CATALOGS[locale]

    assert set(texts) == set(reference)
    for key, template in reference.items():
        assert placeholders(texts[key]) == placeholders(template), key


@pytest.mark.parametrize(
    ("user_language", "tenant_default", "expected"),
    [
        ("ru", "en", "ru"),
        ("uk-UA", "en", "uk"),
        ("de", "uk", "uk"),
        (None, "ru", "ru"),
        ("de", "fr", "en"),
        ("", "", "en"),
    ],
)
def test_locale_is_the_users_then_the_tenants_then_english(
    user_language: str | None, tenant_default: str, expected: str
) -> None:
    assert resolve_locale(user_language, tenant_default) == expected


def test_translator_formats_placeholders() -> None:
    assert translator("ru")("start.welcome_new", name="Ann") == "Добро пожаловать, Ann!"
