"""The bots speak ru, en and uk completely: every text in the code is translated in every catalog
with its placeholders, plurals follow each language's rule, the committed .mo files say what
their .po files say, and a tour of every screen in each locale meets no missing translation."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot_gateway.callbacks import (
    CategoryCallback,
    LanguageCallback,
    MenuCallback,
    PackageCallback,
    PayCallback,
    ReferralAction,
    ReferralCallback,
    Screen,
    StarsCallback,
    TopupAmountCallback,
    TopupAssetCallback,
)
from bot_gateway.handlers.user.history import status_text
from bot_gateway.handlers.user.stars import refusal_text
from bot_gateway.i18n import DOMAIN, LOCALES_DIR, SUPPORTED_LOCALES
from sdk.billinghub.v1 import order_pb2, package_pb2, payment_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import MISSING, BotRequest, new_user, shared_i18n
from tests.bots.test_buy import token_shop
from tests.bots.test_stars import take_stars
from tests.commerce.catalog import create_package, price
from tests.commerce.promos import credit_code, discount_code
from tests.money import fund

ROOT = Path(__file__).resolve().parents[2]
PLURALS = {"en": 2, "ru": 3, "uk": 3}


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=locale)


def code_texts() -> set[str]:
    """Every text the code marks for translation (as `make locales EXTRACT=1` finds them)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("compile_locales", ROOT / "scripts" / "compile_locales.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {message.id if isinstance(message.id, str) else message.id[0] for message in module.extract() if message.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _messages(entries: Catalog) -> dict[object, object]:
    """A catalog's translations, its header entry left out (compilers write their own version there)."""

    def plain(value: object) -> object:  # a plural's forms: a tuple from .po, a list from .mo
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(message.id): plain(message.string) for message in entries if message.id and not message.fuzzy}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_compiled_catalog_is_its_po_file(locale: str) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as committed:
        compiled = read_mo(committed)
    assert _messages(compiled) == _messages(catalog(locale)), (
        f"run `make locales`: {locale}/bot.mo is older than its bot.po"
    )
    assert compiled.plural_forms == catalog(locale).plural_forms


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_text_of_the_code_is_translated_with_its_placeholders(locale: str) -> None:
    po = catalog(locale)
    translated = {}
    for message in po:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, key
        assert all(strings), f"{locale}: untranslated {key!r}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in strings:
            assert placeholders(text) == placeholders(ids[0]), f"{locale}: {key!r} -> {text!r}"
        translated[key] = strings

    missing = code_texts() - set(translated)

    assert not missing, f"{locale} lacks {sorted(missing)}: add them to bot.po and run `make locales`"
    assert po.num_plurals == PLURALS[locale]
    for message in po:
        if isinstance(message.id, tuple):
            assert len(message.string) == PLURALS[locale], message.id


@pytest.mark.parametrize(
    ("locale", "counts"),
    [
        ("en", {1: "friend.", 2: "friends.", 5: "friends.", 21: "friends."}),
        ("ru", {1: "друга.", 2: "друзей.", 5: "друзей.", 11: "друзей.", 21: "друга.", 22: "друзей."}),
        ("uk", {1: "друга.", 3: "друзів.", 5: "друзів.", 21: "друга.", 111: "друзів."}),
    ],
)
def test_plurals_follow_the_languages_rule(locale: str, counts: dict[int, str]) -> None:
    i18n = shared_i18n()
    for count, ending in counts.items():
        text = i18n.gettext("You invited {count} friend.", "You invited {count} friends.", count, locale=locale)
        assert text.format(count=count).endswith(f"{count} {ending}") or text.endswith(ending), (count, text)


def shown(requests: list[BotRequest]) -> list[str]:
    """The texts and button labels a user saw."""
    return (
        [request.text for request in requests if request.text]
        + [label for request in requests for label, _ in request.buttons()]
        + [str(request.params.get("text", "")) for request in requests if request.method == "answercallbackquery"]
    )


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
async def test_every_screen_renders_in_every_locale(tenant_bot: NewBot, locale: str) -> None:
    shop = await tenant_bot("Tour Shop")
    other = await tenant_bot("Other Shop", default_locale="ru" if locale != "ru" else "en")
    await take_stars(shop)
    pack = await token_shop(shop)
    dear = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(10**9, "RUB"),
        delivers=price(1, "TOKEN"), category="tokens", title={"en": "Gold"},
    )  # fmt: skip
    plan = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(300, "XTR"), plan_code="vip",
        period_days=30, category="plans", title={"en": "VIP"},
    )  # fmt: skip
    await credit_code(shop.tenant, "GIFT", amount=10)
    await credit_code(shop.tenant, "ONE", amount=1, total_limit=1)
    await discount_code(shop.tenant, "SALE")
    first = new_user(language_code=locale)
    await shop.send(first, "/start")
    await shop.send(first, "/promo")
    await shop.send(first, "ONE")
    code = (await shop.core_user(first)).referral_code
    MISSING.missing.clear()

    # each user takes a few steps only: the anti-flood limit (10 at once) is not what this tests
    seen: list[BotRequest] = []
    user = new_user(language_code=locale)
    seen += await shop.send(user, f"/start ref_{code}")
    for screen in (Screen.HISTORY, Screen.MENU, Screen.BALANCE, Screen.BUY, Screen.REFERRALS):
        seen += await shop.press(user, MenuCallback(screen=screen).pack())

    user = new_user(language_code=locale)
    seen += await shop.send(user, "/start")
    await fund(shop.tenant, (await shop.core_user(user)).id, 19900, "RUB")
    seen += await shop.press(user, CategoryCallback(category="tokens").pack())
    seen += await shop.press(user, CategoryCallback(category="none").pack())
    seen += await shop.press(user, PackageCallback(package_id=pack.id).pack())
    seen += await shop.press(user, PayCallback(package_id=pack.id, asset="RUB").pack())
    seen += await shop.press(user, PayCallback(package_id=dear.id, asset="RUB").pack())
    seen += await shop.press(user, PackageCallback(package_id=shop.tenant.id).pack())  # not a package
    seen += await shop.press(user, MenuCallback(screen=Screen.HISTORY).pack())

    for codes in (("GIFT", "NOPE", "ONE"), ("SALE", "not a code!")):
        user = new_user(language_code=locale)
        for typed in codes:
            seen += await shop.press(user, MenuCallback(screen=Screen.PROMO).pack())
            seen += await shop.send(user, typed)

    for commands in (("/menu", "/balance", "/buy", "/history", "/referrals"), ("/help", "/terms", "/paysupport", "hi")):
        user = new_user(language_code=locale)
        for command in commands:
            seen += await shop.send(user, command)
    user = new_user(language_code=locale)
    seen += await shop.send(user, "/start")
    (invoice, _) = await shop.press(user, StarsCallback(package_id=pack.id).pack())
    seen += await shop.pre_checkout(user, invoice.params["payload"], 1)
    seen += await shop.successful_payment(user, invoice.params["payload"], 150, f"charge-{user.id}")
    seen += await other.press(new_user(language_code=locale), StarsCallback(package_id=pack.id).pack())

    flows = new_user(language_code=locale)
    seen += await shop.send(flows, "/start")
    for step in (
        MenuCallback(screen=Screen.TOPUP).pack(),
        TopupAssetCallback(asset="RUB").pack(),
        TopupAmountCallback(amount_minor=10000).pack(),
        MenuCallback(screen=Screen.SUBSCRIPTION).pack(),
        MenuCallback(screen=Screen.SERVICES).pack(),
        ReferralCallback(action=ReferralAction.LEADERBOARD).pack(),
        ReferralCallback(action=ReferralAction.PAYOUT).pack(),
    ):
        seen += await shop.press(flows, step)
    seen += await shop.send(flows, "/pricing")

    stars = new_user(language_code=locale)  # a Stars top-up, then a Stars subscription renewed and cancelled
    seen += await shop.send(stars, "/start")
    for step in (MenuCallback(screen=Screen.TOPUP).pack(), TopupAssetCallback(asset="XTR").pack()):
        seen += await shop.press(stars, step)
    (topup_invoice, _) = await shop.press(stars, TopupAmountCallback(amount_minor=100).pack())
    seen += await shop.successful_payment(stars, topup_invoice.params["payload"], 100, f"topup-{stars.id}")
    seen += await shop.press(stars, PackageCallback(package_id=plan.id).pack())
    (link, *shown_link) = await shop.press(stars, StarsCallback(package_id=plan.id).pack())
    seen += shown_link
    for charge, first_charge in ((f"sub-{stars.id}", True), (f"renew-{stars.id}", False)):
        paid = await shop.successful_payment(
            stars, link.params["payload"], 300, charge, recurring=True, first_recurring=first_charge
        )
        seen += paid
    (subscription_screen, _) = await shop.press(stars, MenuCallback(screen=Screen.SUBSCRIPTION).pack())
    seen += [subscription_screen]
    seen += await shop.press(stars, subscription_screen.buttons()[0][1])  # turn off renewal

    for screen in (Screen.SUPPORT, Screen.LANGUAGE):
        seen += await shop.press(user, MenuCallback(screen=screen).pack())
    seen += await shop.press(user, LanguageCallback(locale=locale).pack())
    with shared_i18n().use_locale(locale), shared_i18n().context():
        statuses = [status_text(status) for status in order_pb2.OrderStatus.values() if status]
        statuses += [refusal_text(refusal) for refusal in payment_pb2.PreCheckoutRefusal.values()]

    texts = shown(seen) + statuses
    assert MISSING.missing == set(), f"{locale}: no translation for {sorted(MISSING.missing)}"
    assert all("{" not in text and "}" not in text for text in texts), [t for t in texts if "{" in t]
    assert len({request.text for request in seen if request.text}) >= 20  # the tour did see the screens
    if locale != "en":
        english = {"Balance", "Your balance:", "Choose a category:", "Main menu. Choose what to do:"}
        assert not english & {text.split(" ", 1)[-1] for text in texts}
