"""A Telegram user starts a tenant's bot, maybe from a friend's link, and opens the main menu and
the balance: two tenants' bots in one process, each with its own users, wallets and language."""

from __future__ import annotations

import pytest

from bot_gateway.callbacks import MenuCallback, Screen
from sdk.billinghub.v1 import common_pb2, user_service_pb2
from sdk.errors import NotFound
from tests.bots.conftest import NewBot
from tests.bots.harness import new_user
from tests.commerce.catalog import ensure_rub
from tests.money import fund

MENU_LABELS_EN = [
    "Balance",
    "Buy",
    "History",
    "Subscription",
    "My services",
    "Referrals",
    "Promo code",
    "Support",
    "Language",
]
MENU_LABELS_RU = ["Баланс", "Купить", "История", "Подписка", "Мои услуги", "Рефералы", "Промокод", "Поддержка", "Язык"]


async def test_start_from_a_referral_link_registers_the_user_in_that_tenant_only(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A", default_locale="ru")
    shop_b = await tenant_bot("Shop B", default_locale="en")
    inviter, invited, stranger = new_user("Ivan", "ru"), new_user("Ann", "ru"), new_user("Bob", "en")

    await shop_a.send(inviter, "/start")
    inviter_code = (await shop_a.core_user(inviter)).referral_code
    (greeting,) = await shop_a.send(invited, f"/start ref_{inviter_code}")
    (other_greeting,) = await shop_b.send(stranger, "/start")

    assert greeting.method == "sendmessage" and greeting.chat_id == invited.id
    assert "Добро пожаловать, Ann!" in greeting.text
    assert "Вы присоединились по приглашению." in greeting.text
    invited_user = await shop_a.core_user(invited)
    assert f"https://t.me/shop_a_bot?start=ref_{invited_user.referral_code}" in greeting.text
    assert [label.split(" ", 1)[1] for label, _ in greeting.buttons()] == MENU_LABELS_RU
    assert greeting.buttons()[0][1] == MenuCallback(screen=Screen.BALANCE).pack()

    assert "Welcome, Bob!" in other_greeting.text and "https://t.me/shop_b_bot?start=ref_" in other_greeting.text
    assert "invitation" not in other_greeting.text
    assert [label.split(" ", 1)[1] for label, _ in other_greeting.buttons()] == MENU_LABELS_EN

    inviter_user = await shop_a.core_user(inviter)
    assert invited_user.referrer_id == inviter_user.id
    assert invited_user.first_name == "Ann" and invited_user.username == invited.username
    with pytest.raises(NotFound):  # the users of one tenant's bot are not the other's
        await shop_b.tenant.admin.users.FindUser(
            user_service_pb2.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(invited.id))
        )


async def test_a_second_start_welcomes_back_and_registers_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop C")
    other = await tenant_bot("Shop D")
    user = new_user("Kate", "uk")

    await shop.send(user, "/start")
    (again,) = await shop.send(user, "/start")
    (first_elsewhere,) = await other.send(user, "/start")  # the same person is new in another shop

    assert "З поверненням, Kate!" in again.text
    assert "Ласкаво просимо, Kate!" in first_elsewhere.text
    listed = await shop.tenant.admin.users.ListUsers(user_service_pb2.ListUsersRequest())
    assert [u.external_id for u in listed.users] == [str(user.id)]


async def test_balance_shows_every_wallet_with_its_scale_edited_in_place(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A", default_locale="ru")
    shop_b = await tenant_bot("Shop B")
    await ensure_rub(shop_a.tenant)
    ann, bob = new_user("Ann", "ru"), new_user("Bob", "en")
    await shop_a.send(ann, "/start")
    await shop_b.send(bob, "/start")
    await fund(shop_a.tenant, (await shop_a.core_user(ann)).id, 19900, "RUB")
    await fund(shop_b.tenant, (await shop_b.core_user(bob)).id, 7, "TOKEN")

    edit, answer = await shop_a.press(ann, MenuCallback(screen=Screen.BALANCE).pack())
    (bob_edit, _bob_answer) = await shop_b.press(bob, MenuCallback(screen=Screen.BALANCE).pack())

    assert edit.method == "editmessagetext" and answer.method == "answercallbackquery"
    assert int(edit.params["message_id"]) == shop_a.latest_message_id(ann)
    assert edit.text.splitlines() == ["Ваш баланс:", "• 199.00 RUB", "• 0 TOKEN", "• 0 XTR"]
    assert bob_edit.text.splitlines() == ["Your balance:", "• 7 TOKEN", "• 0 XTR"]
    assert [data for _, data in edit.buttons()] == [
        MenuCallback(screen=Screen.TOPUP).pack(),
        MenuCallback(screen=Screen.BUY).pack(),
        MenuCallback(screen=Screen.MENU).pack(),
    ]

    (menu_edit, _) = await shop_a.press(ann, MenuCallback(screen=Screen.MENU).pack())
    assert menu_edit.method == "editmessagetext" and menu_edit.text == "Главное меню. Выберите действие:"
