"""Buying in a tenant's bot: categories -> packages -> details -> pay from the wallet in one call.

Two shops in one process, each with its own catalog; the user sees their shop's packages only,
pays in the asset they choose, and a purchase the wallet cannot pay changes nothing and says how
to go on.
"""

from __future__ import annotations

from bot_gateway.callbacks import CategoryCallback, MenuCallback, PackageCallback, PayCallback, Screen, StarsCallback
from bot_gateway.formatting import short_id
from sdk.billinghub.v1 import order_pb2, order_service_pb2, package_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, new_user
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.money import assert_ledger_ok, balance, fund

BUY = MenuCallback(screen=Screen.BUY).pack()


async def token_shop(shop: TenantBot) -> package_pb2.Package:
    """A shop selling 100 tokens for 199.00 RUB or 150 Stars."""
    await ensure_rub(shop.tenant)
    return await create_package(
        shop.tenant,
        kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
        title={"en": "100 tokens", "ru": "100 токенов", "uk": "100 токенів"},
        description={"en": "For image generation", "ru": "Для генерации картинок"},
        prices=[price(19900, "RUB"), price(150, "XTR")],
        delivers=price(100, "TOKEN"),
        category="tokens",
    )


async def customer(shop: TenantBot, language: str, rub: int = 0) -> tuple[TgUser, str]:
    """A user who started the shop's bot, with `rub` minor units of RUB."""
    user = new_user(language_code=language)
    await shop.send(user, "/start")
    user_id = (await shop.core_user(user)).id
    if rub:
        await fund(shop.tenant, user_id, rub, "RUB")
    return user, user_id


async def orders_of(shop: TenantBot, user_id: str) -> list[order_pb2.Order]:
    response = await shop.tenant.admin.orders.ListOrders(order_service_pb2.ListOrdersRequest(user_id=user_id))
    return list(response.orders)


async def test_a_user_walks_the_catalog_and_pays_from_the_wallet(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A", default_locale="ru")
    shop_b = await tenant_bot("Shop B")
    pack = await token_shop(shop_a)
    await create_package(
        shop_b.tenant, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(5, "XTR"),
        delivers=price(1, "TOKEN"), category="vip", title={"en": "One token"},
    )  # fmt: skip
    ann, ann_id = await customer(shop_a, "ru", rub=19900)
    bob, _ = await customer(shop_b, "en")

    (categories, _) = await shop_a.press(ann, BUY)
    (bob_categories, _) = await shop_b.press(bob, BUY)
    (packages, _) = await shop_a.press(ann, categories.button("tokens"))
    (details, _) = await shop_a.press(ann, packages.button("100 токенов"))
    (paid, _) = await shop_a.press(ann, details.button("RUB"))

    assert categories.method == "editmessagetext" and categories.text == "Выберите категорию:"
    assert categories.buttons() == [("tokens", CategoryCallback(category="tokens").pack()), ("⬅️ Меню", "m:menu")]
    assert [label for label, _ in bob_categories.buttons()] == ["vip", "⬅️ Menu"]  # each shop its own catalog
    assert packages.buttons()[0] == ("100 токенов · 199.00 RUB", PackageCallback(package_id=pack.id).pack())
    assert details.text == "100 токенов\n\nДля генерации картинок\n\nЦена: 199.00 RUB, 150 XTR"
    assert [data for _, data in details.buttons()] == [
        StarsCallback(package_id=pack.id).pack(),
        PayCallback(package_id=pack.id, asset="RUB").pack(),
        PayCallback(package_id=pack.id, asset="XTR").pack(),
        CategoryCallback(category="tokens").pack(),
    ]
    assert [label for label, _ in details.buttons()][:3] == [
        "⭐ Оплатить 150 Telegram Stars",
        "Оплатить 199.00 RUB с баланса",
        "Оплатить 150 XTR с баланса",
    ]
    assert paid.method == "editmessagetext"
    assert paid.text.startswith("Оплачено: 199.00 RUB. Спасибо за покупку!")
    assert paid.text.endswith("Баланс: 0.00 RUB")

    (order,) = await orders_of(shop_a, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_FULFILLED and order.total == price(19900, "RUB")
    assert short_id(order.id) in paid.text
    assert (await balance(shop_a.tenant.admin, ann_id, "TOKEN")).posted.amount_minor == 100
    assert (await balance(shop_a.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop_a.tenant)


async def test_short_funds_change_nothing_and_point_to_the_top_up(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="uk")
    pack = await token_shop(shop)
    other_pack = await token_shop(other)
    ann, ann_id = await customer(shop, "en", rub=10000)
    olga, olga_id = await customer(other, "uk", rub=100)

    (refused, _) = await shop.press(ann, PayCallback(package_id=pack.id, asset="RUB").pack())
    (olga_refused, _) = await other.press(olga, PayCallback(package_id=other_pack.id, asset="RUB").pack())

    assert refused.text == (
        "Not enough funds: the price is 199.00 RUB, your balance is 100.00 RUB.\nTop up your balance and try again."
    )
    assert refused.buttons() == [("💰 Top up the balance", "m:balance"), ("⬅️ Menu", "m:menu")]
    assert olga_refused.text.startswith("Недостатньо коштів: ціна 199.00 RUB, на балансі 1.00 RUB.")
    assert await orders_of(shop, ann_id) == [] and await orders_of(other, olga_id) == []
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 10000

    await fund(shop.tenant, ann_id, 9900, "RUB")  # topped up: the same button now buys
    (paid, _) = await shop.press(ann, PayCallback(package_id=pack.id, asset="RUB").pack())
    assert paid.text.startswith("Paid: 199.00 RUB.")
    assert len(await orders_of(shop, ann_id)) == 1
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_a_press_delivered_twice_buys_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en", rub=50000)
    pay = PayCallback(package_id=pack.id, asset="RUB").pack()

    (first, _) = await shop.press(ann, pay, callback_id="press-1")
    (again, _) = await shop.press(ann, pay, callback_id="press-1")

    assert first.text.startswith("Paid: 199.00 RUB.") and again.text.startswith("Paid: 199.00 RUB.")
    assert len(await orders_of(shop, ann_id)) == 1
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 50000 - 19900


async def test_another_shops_package_cannot_be_bought_or_seen(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A")
    shop_b = await tenant_bot("Shop B")
    await token_shop(shop_a)
    b_pack = await token_shop(shop_b)
    ann, ann_id = await customer(shop_a, "en", rub=50000)
    _bob, bob_id = await customer(shop_b, "en", rub=50000)

    (details, _) = await shop_a.press(ann, PackageCallback(package_id=b_pack.id).pack())  # forged button data
    (paid, _) = await shop_a.press(ann, PayCallback(package_id=b_pack.id, asset="RUB").pack())

    assert details.text == paid.text == "This package is no longer on sale."
    assert await orders_of(shop_a, ann_id) == [] and await orders_of(shop_b, bob_id) == []
    assert (await balance(shop_a.tenant.admin, ann_id, "RUB")).posted.amount_minor == 50000


async def test_an_empty_catalog_says_so(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    other = await tenant_bot("Shop B")
    await token_shop(other)  # another shop's catalog is not this one's
    ann, _ = await customer(shop, "ru")

    (empty, _) = await shop.press(ann, BUY)

    assert empty.text == "Сейчас ничего не продаётся." and empty.buttons() == [("⬅️ Меню", "m:menu")]


def test_orders_of_the_same_moment_read_apart() -> None:
    """UUIDv7 ids made in one millisecond share their leading (time) characters, not their tail."""
    import uuid

    ids = [str(uuid.UUID(int=(0x018F << 112) | (0x7000 << 64) | n)) for n in (1, 2)]
    assert ids[0][:8] == ids[1][:8] and short_id(ids[0]) != short_id(ids[1])
