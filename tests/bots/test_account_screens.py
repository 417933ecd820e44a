"""The screens about a user's own account: paged order history, referrals, promo codes, language.

Every story runs two shops' bots in one process: their users, FSM states and texts stay apart.
"""

from __future__ import annotations

from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.callbacks import HistoryCallback, LanguageCallback, MenuCallback, Screen
from sdk.billinghub.v1 import order_service_pb2, user_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, new_user
from tests.bots.test_buy import customer, token_shop
from tests.commerce.promos import credit_code
from tests.commerce.referrals import set_program
from tests.money import assert_ledger_ok, balance, fund


def menu(screen: Screen) -> str:
    return MenuCallback(screen=screen).pack()


async def buy_times(shop: TenantBot, user_id: str, package_id: str, times: int) -> None:
    await fund(shop.tenant, user_id, 19900 * times, "RUB")
    for _ in range(times):
        await shop.tenant.admin.orders.PurchaseFromWallet(
            order_service_pb2.PurchaseFromWalletRequest(user_id=user_id, package_id=package_id, pay_asset="RUB")
        )


async def test_history_pages_through_the_users_own_orders(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en")
    ivan, _ = await customer(other, "ru")
    await buy_times(shop, ann_id, pack.id, 7)

    (first, _) = await shop.press(ann, menu(Screen.HISTORY))
    (second, _) = await shop.press(ann, first.button("Older"))
    (back, _) = await shop.press(ann, second.button("Newer"))
    (stale, _) = await shop.press(ann, HistoryCallback(page=9).pack())
    (empty, _) = await other.press(ivan, menu(Screen.HISTORY))

    lines = first.text.splitlines()
    assert lines[0] == "Your orders (page 1):" and len(lines) == 6
    assert all(line.endswith("· 199.00 RUB · delivered") for line in lines[1:])
    assert [data for _, data in first.buttons()] == [HistoryCallback(page=1).pack(), "m:menu"]
    assert second.text.splitlines()[0] == "Your orders (page 2):" and len(second.text.splitlines()) == 3
    assert [data for _, data in second.buttons()] == [HistoryCallback(page=0).pack(), "m:menu"]
    assert back.text == first.text
    assert stale.text == first.text  # a button from a forgotten page starts over
    assert empty.text == "У вас пока нет заказов."  # the other shop's user has none of these orders


async def test_referrals_show_the_link_the_friends_and_the_earnings(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    other = await tenant_bot("Shop B")
    pack = await token_shop(shop)
    await set_program(shop.tenant, level_rates_bps=[1000])
    inviter, inviter_id = await customer(shop, "ru")
    code = (await shop.core_user(inviter)).referral_code
    friends = [new_user(language_code="ru") for _ in range(2)]
    for friend in friends:
        await shop.send(friend, f"/start ref_{code}")
    buyer_id = (await shop.core_user(friends[0])).id
    await buy_times(shop, buyer_id, pack.id, 1)
    loner, _ = await customer(other, "en")

    (screen, _) = await shop.press(inviter, menu(Screen.REFERRALS))
    (lonely, _) = await other.press(loner, menu(Screen.REFERRALS))

    assert f"Ваша реферальная ссылка:\nhttps://t.me/shop_a_bot?start=ref_{code}" in screen.text
    assert "Вы пригласили 2 друзей." in screen.text
    assert "Заработано: 19.90 RUB" in screen.text  # 10 % of 199.00 RUB
    assert "You invited 0 friends." in lonely.text and "Earned: 0" in lonely.text
    assert (await balance(shop.tenant.admin, inviter_id, "RUB")).posted.amount_minor == 1990
    await assert_ledger_ok(shop.tenant)


async def test_promo_code_waits_for_the_code_redeems_it_and_explains_refusals(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A")
    shop_b = await tenant_bot("Shop B", default_locale="uk")
    await credit_code(shop_a.tenant, "BONUS", amount=50)
    await credit_code(shop_a.tenant, "ONCE", amount=5, total_limit=1)
    ann, ann_id = await customer(shop_a, "en")
    kate, kate_id = await customer(shop_a, "en")
    olga, olga_id = await customer(shop_b, "uk")

    (ask, _) = await shop_a.press(ann, menu(Screen.PROMO))
    await shop_b.press(olga, menu(Screen.PROMO))
    (redeemed,) = await shop_a.send(ann, "bonus")
    (not_waiting,) = await shop_a.send(ann, "BONUS")  # the screen stopped waiting: plain text is not a code
    (olga_unknown,) = await shop_b.send(olga, "BONUS")  # shop A's code means nothing in shop B

    assert ask.method == "editmessagetext" and ask.text == "Send your promo code in a message."
    assert redeemed.text == "Promo code BONUS applied: 50 TOKEN credited to your balance."
    assert not_waiting.text == "Main menu. Choose what to do:"
    assert olga_unknown.text == "Такого промокоду немає."
    assert (await balance(shop_a.tenant.admin, ann_id, "TOKEN")).posted.amount_minor == 50
    assert (await balance(shop_b.tenant.admin, olga_id, "TOKEN")).posted.amount_minor == 0

    await shop_a.press(ann, menu(Screen.PROMO))
    (first_once,) = await shop_a.send(ann, "ONCE")
    await shop_a.press(kate, menu(Screen.PROMO))
    (used_up,) = await shop_a.send(kate, "ONCE")
    await shop_a.press(kate, menu(Screen.PROMO))
    (malformed,) = await shop_a.send(kate, "no spaces allowed here!")

    assert first_once.text.startswith("Promo code ONCE applied")
    assert used_up.text == "This promo code has been used up."
    assert malformed.text == "That does not look like a promo code."
    assert (await balance(shop_a.tenant.admin, kate_id, "TOKEN")).posted.amount_minor == 0
    await assert_ledger_ok(shop_a.tenant)


async def test_a_screen_waiting_for_input_in_one_bot_does_not_wait_in_another(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A")
    shop_b = await tenant_bot("Shop B")
    await credit_code(shop_a.tenant, "BONUS", amount=50)
    await credit_code(shop_b.tenant, "BONUS", amount=70)
    ann = new_user(language_code="en")  # one Telegram user, a customer of both shops
    await shop_a.send(ann, "/start")
    await shop_b.send(ann, "/start")

    await shop_a.press(ann, menu(Screen.PROMO))
    (in_b,) = await shop_b.send(ann, "BONUS")  # shop B was not asked for a code
    (in_a,) = await shop_a.send(ann, "BONUS")

    assert in_b.text == "Main menu. Choose what to do:"
    assert in_a.text == "Promo code BONUS applied: 50 TOKEN credited to your balance."
    assert (await balance(shop_b.tenant.admin, (await shop_b.core_user(ann)).id, "TOKEN")).posted.amount_minor == 0


async def switch(shop: TenantBot, user: TgUser, locale: str) -> str:
    (screen, _) = await shop.press(user, menu(Screen.LANGUAGE))
    assert screen.button(locale_label(locale))
    (after, _) = await shop.press(user, LanguageCallback(locale=locale).pack())
    return after.text


def locale_label(locale: str) -> str:
    return {"ru": "Русский", "en": "English", "uk": "Українська"}[locale]


async def test_the_language_chosen_is_kept_on_the_core_user_of_that_shop(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A")
    shop_b = await tenant_bot("Shop B")
    ann = new_user(language_code="en")  # the same Telegram user in both shops
    await shop_a.send(ann, "/start")
    await shop_b.send(ann, "/start")

    menu_in_ukrainian = await switch(shop_a, ann, "uk")
    (balance_a, _) = await shop_a.press(ann, menu(Screen.BALANCE))
    (balance_b, _) = await shop_b.press(ann, menu(Screen.BALANCE))
    (languages, _) = await shop_a.press(ann, menu(Screen.LANGUAGE))

    assert menu_in_ukrainian == "Головне меню. Оберіть дію:"
    assert balance_a.text.startswith("Ваш баланс:")
    assert balance_b.text.startswith("Your balance:")  # the other shop keeps the Telegram language
    assert ("✅ Українська", LanguageCallback(locale="uk").pack()) in languages.buttons()
    assert (await shop_a.core_user(ann)).language_code == "uk"
    assert (await shop_b.core_user(ann)).language_code == ""

    (welcome,) = await shop_a.send(ann, "/start")  # a later registration keeps the choice
    assert welcome.text.startswith("З поверненням")
    assert (await shop_a.core_user(ann)).language_code == "uk"


async def test_a_language_set_in_the_core_is_used_by_the_bot(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    ann = new_user(language_code="en")
    await shop.send(ann, "/start")
    core_user = await shop.core_user(ann)
    await shop.tenant.admin.users.UpdateUser(
        user_service_pb2.UpdateUserRequest(
            user_id=core_user.id, language_code="ru", update_mask=FieldMask(paths=["language_code"])
        )
    )
    ann_renamed = TgUser(ann.id, "Anna", ann.username, ann.language_code)  # a new profile: registered again

    (help_text,) = await shop.send(ann_renamed, "/help")

    assert help_text.text.startswith("Команды:")
