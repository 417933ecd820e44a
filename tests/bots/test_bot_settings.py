"""A tenant words its own bot: the welcome text and image, support, terms and privacy texts, its
default locale, and overrides of the bot's texts per locale. Two shops in one process each see
their own; a change reaches a bot running no notifier after the refresh period (with one: at once,
tests/bots/test_settings_changes.py); an override that would break a
screen (an unknown key, a placeholder the text lacks) is ignored."""

from __future__ import annotations

from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.i18n import SUPPORTED_LOCALES
from bot_gateway.text_keys import TEXT_KEYS
from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import SETTINGS_CLOCK, TenantBot, new_user, shared_i18n
from tests.bots.test_locales import catalog

SUPPORT = MenuCallback(screen=Screen.SUPPORT).pack()


async def configure(shop: TenantBot, **fields: object) -> None:
    """UpdateBotSettings with the tenant admin's key, the mask naming `fields`."""
    await shop.tenant.admin.bot_settings.UpdateBotSettings(
        bot_settings_service_pb2.UpdateBotSettingsRequest(
            bot_settings=bot_settings_pb2.BotSettings(**fields),  # type: ignore[arg-type]
            update_mask=FieldMask(paths=list(fields)),
        )
    )


async def override(shop: TenantBot, locale: str, key: str, text: str) -> None:
    await shop.tenant.admin.bot_settings.SetTextOverride(
        bot_settings_service_pb2.SetTextOverrideRequest(
            text_override=bot_settings_pb2.TextOverride(key=key, locale=locale, text=text)
        )
    )


def test_every_override_key_stands_for_a_text_of_every_catalog() -> None:
    for locale in SUPPORTED_LOCALES:
        ids = {message.id for message in catalog(locale) if message.id and message.string}
        assert set(TEXT_KEYS.values()) <= ids, locale


async def test_two_shops_greet_and_help_with_their_own_texts(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A", default_locale="ru")
    shop_b = await tenant_bot("Shop B")
    await configure(
        shop_a,
        welcome_text="Магазин A: лучшие токены.",
        welcome_image="https://example.com/a.png",
        support_text="@shop_a_support",
        privacy_text="Политика A: https://a.example/privacy",
    )
    await override(shop_b, "en", "start.welcome", "Hi {name}, this is shop B.")
    await override(shop_b, "en", "menu.balance", "👛 Wallet")
    await override(shop_b, "ru", "menu.balance", "👛 Кошелёк")
    await override(shop_b, "en", "info.terms", "B's terms: https://b.example/terms")
    ivan, ann = new_user("Ivan", "ru"), new_user("Ann", "en")

    (photo,) = await shop_a.send(ivan, "/start")
    (greeting,) = await shop_b.send(ann, "/start")
    (support_a, _) = await shop_a.press(ivan, SUPPORT)
    (support_b, _) = await shop_b.press(ann, SUPPORT)
    (privacy_a,) = await shop_a.send(ivan, "/privacy")
    (terms_a,) = await shop_a.send(ivan, "/terms")
    (terms_b,) = await shop_b.send(ann, "/terms")

    assert photo.method == "sendphoto" and photo.params["photo"] == "https://example.com/a.png"
    assert photo.params["caption"].startswith("Магазин A: лучшие токены.\n\n")
    assert "https://t.me/shop_a_bot?start=ref_" in photo.params["caption"]
    assert photo.buttons()[0][0] == "💰 Баланс"  # A's menu is the bot's own
    assert greeting.method == "sendmessage" and greeting.text.startswith("Hi Ann, this is shop B.\n\n")
    assert greeting.buttons()[0][0] == "👛 Wallet"
    assert support_a.text == "@shop_a_support"
    assert support_b.text == "Need help? Write to the seller's support; the answer comes in this chat."
    assert privacy_a.text == "Политика A: https://a.example/privacy"
    assert terms_a.text.startswith("Пользуясь ботом")  # no terms in A's settings: the bot's own
    assert terms_b.text == "B's terms: https://b.example/terms"


async def test_an_override_applies_in_its_locale_only(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await override(shop, "uk", "menu.text", "Що робимо?")
    kate, ann, olga = new_user("Kate", "uk"), new_user("Ann", "en"), new_user("Olga", "uk")
    for user in (kate, ann):
        await shop.send(user, "/start")
    await other.send(olga, "/start")

    (uk_menu,) = await shop.send(kate, "/menu")
    (en_menu,) = await shop.send(ann, "/menu")
    (other_menu,) = await other.send(olga, "/menu")

    assert uk_menu.text == "Що робимо?"
    assert en_menu.text == "Main menu. Choose what to do:"
    assert other_menu.text == "Головне меню. Оберіть дію:"


async def test_an_override_that_would_break_a_screen_is_ignored(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await override(shop, "en", "start.welcome", "Hi {nickname}!")  # a placeholder the text lacks
    await override(shop, "en", "menu.nothing", "Nothing")  # no such key
    ann = new_user("Ann", "en")

    (greeting,) = await shop.send(ann, "/start")

    assert greeting.text.startswith("Welcome, Ann!")


async def test_changed_settings_reach_the_bot_after_the_refresh_period(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    ann, bob = new_user("Ann", "en"), new_user("Bob", None)
    await shop.send(ann, "/start")
    await other.send(bob, "/start")
    await configure(shop, welcome_text="Welcome to the new shop A!", default_locale="uk")
    await override(other, "en", "start.welcome_back", "Good to see you again, {name}.")

    (cached,) = await shop.send(ann, "/start")
    SETTINGS_CLOCK[0] += 61  # past the 60 s refresh
    (fresh,) = await shop.send(ann, "/start")
    (other_fresh,) = await other.send(bob, "/start")
    newcomer = new_user("Olga", None)  # no Telegram language: the settings' default locale
    (help_text,) = await shop.send(newcomer, "/help")

    assert cached.text.startswith("Welcome back, Ann!")
    assert fresh.text.startswith("Welcome to the new shop A!")
    assert other_fresh.text.startswith("Good to see you again, Bob.")
    assert help_text.text == shared_i18n().gettext(TEXT_KEYS["info.help"], locale="uk")
