"""The admin catalog of a tenant bot: an admin with CATALOG walks the packages by category, takes
one off sale and puts it back, edits its prices (a bad amount is refused and changes nothing) and
its title per locale, each after a confirm press; the users' buy screens show the result.

Two shops run side by side; an admin without CATALOG is refused by the bot (no button, a forged
press answered with a refusal) and by the core (UpdatePackage on their behalf is denied).
"""

from __future__ import annotations

import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.callbacks import (
    AdminCallback,
    AdminCatalogConfirmCallback,
    AdminPackageActiveCallback,
    AdminPriceCallback,
    AdminSection,
    CategoryCallback,
    MenuCallback,
    PackageCallback,
    Screen,
)
from sdk.billinghub.v1 import bot_settings_pb2, catalog_service_pb2, package_pb2
from sdk.errors import PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, new_user
from tests.bots.telegram import BotRequest
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_buy import customer, token_shop

P = bot_settings_pb2
CATALOG_DATA = AdminCallback(section=AdminSection.CATALOG).pack()


async def core_package(shop: TenantBot, package_id: str) -> package_pb2.Package:
    response = await shop.tenant.admin.catalog.GetPackage(catalog_service_pb2.GetPackageRequest(package_id=package_id))
    return response.package


def prices(package: package_pb2.Package) -> list[tuple[str, int]]:
    return [(price.asset, price.amount_minor) for price in package.prices]


async def open_package(shop: TenantBot, admin: TgUser) -> BotRequest:
    """/admin → Catalog → the "tokens" category → its one package: the package's screen."""
    (menu,) = await shop.send(admin, "/admin")
    (categories, _) = await shop.press(admin, menu.button("🗂"))
    (listed, _) = await shop.press(admin, categories.button("tokens"))
    (screen, _) = await shop.press(admin, listed.buttons()[0][1])
    return screen


async def buy_screen(shop: TenantBot, user: TgUser, package_id: str) -> str:
    (screen, _) = await shop.press(user, PackageCallback(package_id=package_id).pack())
    return screen.text


async def test_an_admin_takes_a_package_off_sale_and_puts_it_back(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    pack, others = await token_shop(shop), await token_shop(other)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)
    ann, _ann_id = await customer(shop, "en")

    (menu,) = await shop.send(ada, "/admin")
    (categories, _) = await shop.press(ada, menu.button("Catalog"))
    (listed, _) = await shop.press(ada, categories.button("tokens"))
    (screen, _) = await shop.press(ada, listed.button("100 tokens"))
    (off, _) = await shop.press(ada, screen.button("Take off sale"))
    (ann_off, _) = await shop.press(ann, MenuCallback(screen=Screen.BUY).pack())
    ann_package = await buy_screen(shop, ann, pack.id)
    (listed_off, _) = await shop.press(ada, off.button("Back"))
    (on, _) = await shop.press(ada, listed_off.button("100 tokens"))
    (back_on, _) = await shop.press(ada, on.button("Put on sale"))
    (ann_on, _) = await shop.press(ann, MenuCallback(screen=Screen.BUY).pack())

    assert [label for label, _ in menu.buttons()] == ["🩺 Health", "🗂 Catalog", "⬅️ Menu"]
    assert categories.text == "🗂 Catalog. Choose a category:"
    assert [label for label, _ in categories.buttons()] == ["tokens", "⬅️ Admin menu"]
    assert [label for label, _ in listed.buttons()] == ["✅ 100 tokens · 199.00 RUB", "⬅️ Categories"]
    assert screen.text == (
        "📦 100 tokens\nCategory: tokens\nStatus: ✅ on sale\n\nPrices:\n• 199.00 RUB\n• 150 XTR\n\n"
        "Titles:\n• ru: 100 токенов\n• en: 100 tokens\n• uk: 100 токенів"
    )
    assert [label for label, _ in screen.buttons()] == [
        "⏸ Take off sale", "✏️ Price in RUB", "✏️ Price in XTR", "🌐 Title", "⬅️ Back", "⬅️ Admin menu",
    ]  # fmt: skip
    assert off.text.startswith("⏸ The package is off sale now.\n\n📦 100 tokens\n")
    assert "Status: ⏸ off sale" in off.text
    assert "▶️ Put on sale" in [label for label, _ in off.buttons()]
    assert ann_off.text == "Nothing is on sale right now."
    assert ann_package == "This package is no longer on sale."
    assert listed_off.buttons()[0][0] == "⏸ 100 tokens · 199.00 RUB"
    assert back_on.text.startswith("✅ The package is on sale now.\n\n")
    assert ann_on.text == "Choose a category:"
    assert (await core_package(shop, pack.id)).active
    assert (await core_package(other, others.id)).active  # the other shop's package was never touched


async def test_a_repeated_press_of_the_toggle_does_not_undo_it(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)
    off = AdminPackageActiveCallback(package_id=pack.id, active=False).pack()

    await shop.press(ada, off, callback_id="press-1")
    await shop.press(ada, off, callback_id="press-1")  # Telegram delivers the same press again
    await shop.press(ada, off)  # and the old message's button, pressed later

    assert not (await core_package(shop, pack.id)).active


async def test_admins_edit_each_price_and_a_bad_amount_changes_nothing(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)
    ben = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)  # each admin sends within the flood limit
    ann, _ann_id = await customer(shop, "en")

    (screen,) = await shop.send(ada, "/admin")
    (ask, _) = await shop.press(ada, AdminPriceCallback(package_id=pack.id, asset="RUB").pack())
    refusals = [(await shop.send(ada, typed))[0] for typed in ("abc", "1.234", "0", "5 USD")]
    unchanged = await core_package(shop, pack.id)
    (question,) = await shop.send(ada, "149,5")
    (saved, _) = await shop.press(ada, question.button("Confirm"), callback_id="confirm-rub")
    again = await shop.press(ada, question.button("Confirm"), callback_id="confirm-rub")  # delivered twice
    (ask_xtr, _) = await shop.press(ben, AdminPriceCallback(package_id=pack.id, asset="XTR").pack())
    (xtr_refused,) = await shop.send(ben, "99.5")
    (xtr_question,) = await shop.send(ben, "120")
    (xtr_saved, _) = await shop.press(ben, xtr_question.button("Confirm"))
    (stale, _) = await shop.press(ada, question.button("Confirm"))  # the first question's old button
    ann_sees = await buy_screen(shop, ann, pack.id)

    assert ask.text == "Type the new price in RUB (now 199.00 RUB), e.g. 149.00."
    assert [label for label, _ in ask.buttons()] == ["✖️ Cancel"]
    not_a_price = "That is not a price in RUB. Type a number with at most 2 decimals, e.g. 149.00."
    assert [r.text for r in refusals] == [
        not_a_price,
        not_a_price,
        "The price must be from 0.01 RUB to 10000000000000.00 RUB.",  # 0: the package has two prices
        not_a_price,
    ]
    assert prices(unchanged) == [("RUB", 19900), ("XTR", 150)]  # nothing typed wrong reached the core
    assert question.text == "Change the price of «100 tokens» in RUB from 199.00 RUB to 149.50 RUB?"
    assert [label for label, _ in question.buttons()] == ["✅ Confirm", "✖️ Cancel"]
    assert saved.text.startswith("✅ Saved.\n\n📦 100 tokens\n")
    assert "Prices:\n• 149.50 RUB\n• 150 XTR\n" in saved.text
    assert again[0].text.startswith("Nothing to confirm")  # the repeat found no edit waiting
    assert ask_xtr.text == "Type the new price in XTR (now 150 XTR), e.g. 149."
    assert xtr_refused.text == "That is not a price in XTR. Type a whole number, e.g. 149."
    assert xtr_question.text == "Change the price of «100 tokens» in XTR from 150 XTR to 120 XTR?"
    assert "Prices:\n• 149.50 RUB\n• 120 XTR\n" in xtr_saved.text
    assert stale.text.startswith("Nothing to confirm: start the edit again.\n\n")
    assert prices(await core_package(shop, pack.id)) == [("RUB", 14950), ("XTR", 120)]
    # what the buyer sees: the new prices on the package and its pay buttons
    assert ann_sees.endswith("Price: 149.50 RUB, 120 XTR")
    assert screen.text == "Admin menu. Choose a section:"


async def test_a_cancelled_price_edit_changes_nothing(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)

    await shop.press(ada, AdminPriceCallback(package_id=pack.id, asset="RUB").pack())
    (question,) = await shop.send(ada, "1")
    (cancelled, _) = await shop.press(ada, question.button("Cancel"))
    (typed_after,) = await shop.send(ada, "2")
    confirm = await shop.press(ada, AdminCatalogConfirmCallback(package_id=pack.id).pack())

    assert cancelled.text.startswith("📦 100 tokens\n")
    assert typed_after.text == "Main menu. Choose what to do:"  # no edit waits for a price any more
    assert confirm[0].text.startswith("Nothing to confirm")
    assert prices(await core_package(shop, pack.id)) == [("RUB", 19900), ("XTR", 150)]


@pytest.mark.parametrize(
    ("locale", "button", "typed"),
    [("uk", "Українська", "Сто токенів"), ("ru", "Русский", "Сто токенов"), ("en", "English", "A hundred tokens")],
)
async def test_a_title_changed_in_one_locale_is_seen_by_users_of_that_locale(
    tenant_bot: NewBot, locale: str, button: str, typed: str
) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)
    readers = {code: (await customer(shop, code))[0] for code in ("ru", "en", "uk")}
    before = {"ru": "100 токенов", "en": "100 tokens", "uk": "100 токенів"}

    screen = await open_package(shop, ada)
    (locales, _) = await shop.press(ada, screen.button("Title"))
    (ask, _) = await shop.press(ada, locales.button(button))
    (too_long,) = await shop.send(ada, "x" * 101)
    (question,) = await shop.send(ada, f"  {typed} ")
    (saved, _) = await shop.press(ada, question.button("Confirm"))
    seen = {}
    for code, reader in readers.items():
        (listed, _) = await shop.press(reader, CategoryCallback(category="tokens").pack())
        seen[code] = listed.buttons()[0][0]

    assert locales.text == "Which language's title do you want to change?"
    assert [label for label, _ in locales.buttons()] == ["Русский", "English", "Українська", "✖️ Cancel"]
    assert ask.text == f"Type the title in {button} (up to 100 characters). Now: {before[locale]}"
    assert too_long.text == "The title must be one line of 1 to 100 characters. Type it again."
    assert question.text == f"Set the title in {button} to «{typed}»?"
    assert f"• {locale}: {typed}" in saved.text
    assert seen == {code: f"{typed if code == locale else title} · 199.00 RUB" for code, title in before.items()}
    titles = dict((await core_package(shop, pack.id)).title)
    assert titles == {**before, locale: typed}


async def test_only_admins_with_catalog_change_the_catalog(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    pack = await token_shop(shop)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG)  # an admin of shop A only
    quinn = await make_admin(shop, P.ADMIN_PERMISSION_STATS)  # an admin without CATALOG
    ann = new_user()
    await shop.send(ann, "/start")
    await other.send(ada, "/start")
    off = AdminPackageActiveCallback(package_id=pack.id, active=False).pack()

    (quinn_menu,) = await shop.send(quinn, "/admin")
    presses = [
        await shop.press(quinn, data)
        for data in (CATALOG_DATA, off, AdminPriceCallback(package_id=pack.id, asset="RUB").pack())
    ]
    ann_press = await shop.press(ann, off)
    ada_elsewhere = await other.press(ada, CATALOG_DATA)

    assert [label for label, _ in quinn_menu.buttons()] == ["📊 Stats", "🩺 Health", "⬅️ Menu"]
    for press in presses:
        assert [request.method for request in press] == ["answercallbackquery"]
        assert press[0].params["text"] == "You do not have permission for this."
    assert [request.method for request in ann_press] == ["answercallbackquery"]
    assert ann_press[0].params["text"] == "This button is no longer active. Send /menu for the menu."
    assert ada_elsewhere[0].params["text"] == "This button is no longer active. Send /menu for the menu."
    # and the core refuses the change on behalf of quinn or ann, whatever a bot would do
    for person in (quinn, ann):
        with pytest.raises(PermissionDenied):
            await shop.hub.on_behalf_of(person.id).catalog.UpdatePackage(
                catalog_service_pb2.UpdatePackageRequest(
                    package=package_pb2.Package(id=pack.id, active=False), update_mask=FieldMask(paths=["active"])
                )
            )
    assert (await core_package(shop, pack.id)).active


async def test_the_catalog_speaks_russian(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    pack = await token_shop(shop)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_CATALOG, language="ru")

    screen = await open_package(shop, olga)
    (ask, _) = await shop.press(olga, screen.button("Цена в RUB"))
    (refused,) = await shop.send(olga, "1.234")
    (question,) = await shop.send(olga, "150")
    (saved, _) = await shop.press(olga, question.button("Подтвердить"))
    (off, _) = await shop.press(olga, saved.button("Снять с продажи"))

    assert screen.text.startswith("📦 100 токенов\nКатегория: tokens\nСтатус: ✅ в продаже\n\nЦены:\n")
    assert ask.text == "Введите новую цену в RUB (сейчас 199.00 RUB), например 149.00."
    assert refused.text == "Это не цена в RUB. Введите число, не более 2 знаков после запятой, например 149.00."
    assert question.text == "Изменить цену «100 токенов» в RUB с 199.00 RUB на 150.00 RUB?"
    assert saved.text.startswith("✅ Сохранено.\n\n")
    assert off.text.startswith("⏸ Пакет снят с продажи.\n\n")
    assert prices(await core_package(shop, pack.id))[0] == ("RUB", 15000)
