"""The admin's Users section: find a user by id, Telegram id, @username or name, read their profile
as the core has it, adjust their balance (buttons or `/adjust`) through a confirm step that posts
once however often it is pressed, block and unblock them.

Two shops run side by side: an admin of one finds and adjusts nobody of the other. An admin
without ADJUST sees no adjust button, a forged press and the command are refused by the bot, and
the core refuses AdjustBalance on their behalf; an admin without USERS cannot search or block.
"""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf import field_mask_pb2

from bot_gateway.callbacks import (
    AdjustAssetCallback,
    AdjustConfirmCallback,
    AdjustPresetCallback,
    AdjustUserCallback,
    AdminBlockCallback,
    AdminCallback,
    AdminSection,
    AdminUserCallback,
    PayCallback,
)
from sdk.billinghub.v1 import (
    bot_settings_pb2,
    order_service_pb2,
    user_service_pb2,
    wallet_pb2,
    wallet_service_pb2,
)
from sdk.errors import FailedPrecondition, PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import BotRequest, TenantBot, TgUser, new_user
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_buy import orders_of, token_shop
from tests.money import CREDIT, assert_ledger_ok, balance, fund, money

P = bot_settings_pb2
USERS_DATA = AdminCallback(section=AdminSection.USERS).pack()
REFUSED = "You do not have permission for this."


async def shopper(shop: TenantBot, first_name: str, username: str, rub: int = 0, language: str = "en") -> TgUser:
    """A user of the shop's bot (started it), with `rub` minor units of RUB."""
    user = new_user(first_name, language_code=language, username=username)
    await shop.send(user, "/start")
    if rub:
        await fund(shop.tenant, (await shop.core_user(user)).id, rub, "RUB")
    return user


async def rub_of(shop: TenantBot, user: TgUser) -> int:
    return (await balance(shop.tenant.admin, (await shop.core_user(user)).id, "RUB")).available.amount_minor


async def adjustments_by_admins(shop: TenantBot, user: TgUser) -> list[tuple[str, str, int]]:
    """(reason, actor, minor units) of the user's adjustments a bot admin made, newest first."""
    user_id = (await shop.core_user(user)).id
    response = await shop.tenant.admin.wallet.ListTransfers(wallet_service_pb2.ListTransfersRequest(user_id=user_id))
    return [
        (transfer.reason, transfer.actor, transfer.amount.amount_minor)
        for transfer in response.transfers
        if transfer.kind == wallet_pb2.TRANSFER_KIND_ADJUSTMENT and transfer.actor.startswith("tg:")
    ]


def refused(press: list[BotRequest]) -> bool:
    return [r.method for r in press] == ["answercallbackquery"] and press[0].params.get("text") == REFUSED


async def test_an_admin_finds_a_user_by_each_key(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill")
    await shopper(shop, "Zed", "zedd")
    stranger = await shopper(other, "Zoe", "zoe_other")  # shop B's: never found from shop A
    ada = await make_admin(shop, P.ADMIN_PERMISSION_USERS)
    bea = await make_admin(shop, P.ADMIN_PERMISSION_USERS)  # a second admin: each stays within the flood limit
    core_zoe = await shop.core_user(zoe)

    (menu,) = await shop.send(ada, "/admin")
    (prompt, _) = await shop.press(ada, menu.button("Users"))
    (by_id,) = await shop.send(ada, core_zoe.id)
    (by_telegram,) = await shop.send(ada, "/users " + str(zoe.id))
    (prompt_again, _) = await shop.press(ada, USERS_DATA)
    (by_username,) = await shop.send(ada, "@Zoe_Quill")
    (by_name,) = await shop.send(ada, "zoe")
    (both,) = await shop.send(bea, "/users Z")
    (wildcard,) = await shop.send(bea, "%")
    (underscore,) = await shop.send(bea, "e_q")
    (too_long,) = await shop.send(bea, "x" * 101)
    (other_shops,) = await shop.send(bea, str(stranger.id))
    (nobody,) = await shop.send(bea, "@zoe_other")

    assert [label for label, _ in menu.buttons()] == ["🩺 Health", "👥 Users", "⬅️ Menu"]
    assert prompt.text == "👥 Users\n\nType a user id, a Telegram id, an @username or a name to find a user."
    assert prompt_again.text == prompt.text
    for found in (by_id, by_telegram, by_username, by_name, underscore):
        assert found.text.startswith(f"👤 Zoe (@zoe_quill)\nID: {core_zoe.id}\nTelegram id: {zoe.id}\n"), found.text
    assert both.text == "Users matching “Z”:"
    labels = [label for label, _ in both.buttons()]
    assert len(labels) == 3 and labels[2] == "⬅️ Admin menu"
    assert {label.split(" · ")[0] for label in labels[:2]} == {"Zoe (@zoe_quill)", "Zed (@zedd)"}
    assert both.button("Zoe") == AdminUserCallback(user_id=core_zoe.id).pack()
    assert wildcard.text == "No user matches “%”. Type another search."  # a LIKE wildcard is a plain character
    assert too_long.text == "Type from 1 to 100 characters: an id, a Telegram id, an @username or a name."
    assert other_shops.text == f"No user matches “{stranger.id}”. Type another search."
    assert nobody.text == "No user matches “@zoe_other”. Type another search."


async def test_the_profile_is_the_cores(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=50000)
    core_zoe = await shop.core_user(zoe)
    friend = new_user("Fred")
    await shop.send(friend, f"/start ref_{core_zoe.referral_code}")
    await shop.press(zoe, PayCallback(package_id=pack.id, asset="RUB").pack())
    ada = await make_admin(shop, P.ADMIN_PERMISSION_USERS, P.ADMIN_PERMISSION_ADJUST)
    marked = await shop.hub.users.SetUserBotBlocked(
        user_service_pb2.SetUserBotBlockedRequest(user_id=core_zoe.id, bot_blocked=True)
    )

    (profile,) = await shop.send(ada, "/users @zoe_quill")

    (order,) = await orders_of(shop, core_zoe.id)
    balances = await shop.tenant.admin.wallet.GetBalances(wallet_service_pb2.GetBalancesRequest(user_id=core_zoe.id))
    lines = profile.text.splitlines()
    assert lines[:6] == [
        "👤 Zoe (@zoe_quill)",
        f"ID: {core_zoe.id}",
        f"Telegram id: {zoe.id}",
        f"Joined: {core_zoe.create_time.ToDatetime():%Y-%m-%d}",
        "Status: ✅ active",
        f"⚠️ Blocked the bot on {marked.user.bot_blocked_time.ToDatetime():%Y-%m-%d}",
    ]
    assert {b.available.asset: b.available.amount_minor for b in balances.balances}["RUB"] == 50000 - 19900
    assert "Balances:" in lines and "• 301.00 RUB" in lines
    day = f"{order.create_time.ToDatetime():%Y-%m-%d}"
    assert f"Recent orders:\n• {day} · {order.id.replace('-', '')[-8:]} · 199.00 RUB · delivered" in profile.text
    assert "Referrals: 1 user invited, earned 0" in lines
    assert profile.text.endswith("Subscription:\n• none")
    assert [label for label, _ in profile.buttons()] == [
        "± Adjust balance", "🚫 Block", "🔄 Refresh", "🔎 Search again", "⬅️ Admin menu",
    ]  # fmt: skip


async def test_buttons_adjust_once_however_often_confirm_is_pressed(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=5000)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_USERS, P.ADMIN_PERMISSION_ADJUST)

    (profile,) = await shop.send(ada, f"/users {zoe.id}")
    (assets, _) = await shop.press(ada, profile.button("Adjust"))
    (amounts, _) = await shop.press(ada, assets.button("RUB"))
    (reason_prompt, _) = await shop.press(ada, amounts.button("+100.00 RUB"))
    (empty_reason,) = await shop.send(ada, "   ")
    (confirm,) = await shop.send(ada, "contest  prize")
    before_confirm = await rub_of(shop, zoe)
    (done, _) = await shop.press(ada, confirm.button("Confirm"))
    (again, _) = await shop.press(ada, confirm.button("Confirm"))  # a double tap
    await asyncio.gather(*(shop.press(ada, confirm.button("Confirm")) for _ in range(2)))  # racing presses

    assert [label for label, _ in assets.buttons()] == ["RUB", "TOKEN", "XTR", "✖️ Cancel"]
    assert amounts.text.startswith("± Adjust the RUB balance of Zoe (@zoe_quill). Choose an amount or type one")
    assert [label for label, _ in amounts.buttons()] == [
        "+100.00 RUB", "+500.00 RUB", "+1000.00 RUB", "-100.00 RUB", "-500.00 RUB", "-1000.00 RUB", "✖️ Cancel",
    ]  # fmt: skip
    assert reason_prompt.text.startswith("+100.00 RUB for Zoe (@zoe_quill). Now type the reason")
    assert empty_reason.text == "The reason must be from 1 to 500 characters. Type it again."
    assert confirm.text == (
        "Confirm the adjustment:\n"
        f"User: Zoe (@zoe_quill), Telegram id {zoe.id}\n"
        "Credit: +100.00 RUB\n"
        "Balance: 50.00 RUB → 150.00 RUB\n"
        "Reason: contest prize"
    )
    assert [label for label, _ in confirm.buttons()] == ["✅ Confirm", "✖️ Cancel"]
    assert before_confirm == 5000  # nothing changes before the confirm press
    assert done.text == "✅ Done: +100.00 RUB for Zoe (@zoe_quill).\nBalance: 150.00 RUB\nReason: contest prize"
    assert again.text == done.text  # the same request replayed, not a second credit
    assert await rub_of(shop, zoe) == 15000
    assert await adjustments_by_admins(shop, zoe) == [("contest prize", f"tg:{ada.id}", 10000)]
    await assert_ledger_ok(shop.tenant)


async def test_a_typed_debit_and_an_old_confirm_screen(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=5000)
    core_zoe = await shop.core_user(zoe)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_USERS, P.ADMIN_PERMISSION_ADJUST)

    await shop.press(ada, AdjustUserCallback(user_id=core_zoe.id).pack())
    await shop.press(ada, AdjustAssetCallback(asset="RUB").pack())
    (not_amount,) = await shop.send(ada, "ten")
    (too_fine,) = await shop.send(ada, "-1.005")
    (zero,) = await shop.send(ada, "0")
    (reason_prompt,) = await shop.send(ada, "-20,5")
    (first,) = await shop.send(ada, "wrong order")
    (second,) = await shop.send(ada, "/adjust @zoe_quill -10 RUB second thoughts")
    old = await shop.press(ada, first.button("Confirm"))
    (posted, _) = await shop.press(ada, second.button("Confirm"))

    assert not_amount.text == "That is not an amount of RUB. Type a signed number like +100.00 or -100.00."
    assert too_fine.text == not_amount.text
    assert zero.text == "The amount must not be zero and at most 10000000000000.00 RUB either way."
    assert reason_prompt.text.startswith("-20.50 RUB for Zoe (@zoe_quill).")
    assert "Debit: -20.50 RUB\nBalance: 50.00 RUB → 29.50 RUB\n" in first.text
    assert [r.method for r in old] == ["answercallbackquery"]
    assert old[0].params["text"] == "This confirmation is out of date: nothing was changed."
    assert posted.text.startswith("✅ Done: -10.00 RUB for Zoe (@zoe_quill).\nBalance: 40.00 RUB")
    assert await rub_of(shop, zoe) == 4000


async def test_the_adjust_command(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=5000)
    core_zoe = await shop.core_user(zoe)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_ADJUST)  # ADJUST alone: ids, not @usernames
    bea = await make_admin(shop, P.ADMIN_PERMISSION_USERS, P.ADMIN_PERMISSION_ADJUST)

    (no_search,) = await shop.send(ada, "/adjust @zoe_quill +100.50 RUB bonus for the contest")
    (by_username,) = await shop.send(bea, "/adjust @zoe_quill +100.50 RUB bonus for the contest")
    (done, _) = await shop.press(bea, by_username.button("Confirm"))
    (by_telegram,) = await shop.send(ada, f"/adjust {zoe.id} -50 rub refund of a mistake")
    (by_id,) = await shop.send(ada, f"/adjust {core_zoe.id} +5 RUB tip")
    await shop.press(ada, by_id.button("Confirm"))
    await shop.press(ada, by_id.button("Confirm"))
    (bare,) = await shop.send(bea, "/adjust")
    (no_asset,) = await shop.send(bea, "/adjust @zoe_quill +5 prize")
    (bad_amount,) = await shop.send(bea, "/adjust @zoe_quill 5.001 RUB prize")
    (no_reason,) = await shop.send(bea, "/adjust @zoe_quill +5 RUB")
    (nobody,) = await shop.send(bea, "/adjust @nobody_here +5 RUB prize")

    assert no_search.text == "Finding a user by @username needs the Users permission: give an id or a Telegram id."
    assert by_username.text == (
        "Confirm the adjustment:\n"
        f"User: Zoe (@zoe_quill), Telegram id {zoe.id}\n"
        "Credit: +100.50 RUB\n"
        "Balance: 50.00 RUB → 150.50 RUB\n"
        "Reason: bonus for the contest"
    )
    assert done.text.startswith("✅ Done: +100.50 RUB for Zoe (@zoe_quill).\nBalance: 150.50 RUB")
    assert "Debit: -50.00 RUB\nBalance: 150.50 RUB → 100.50 RUB\nReason: refund of a mistake" in by_telegram.text
    assert "Credit: +5.00 RUB" in by_id.text
    assert await rub_of(shop, zoe) == 15550  # +100.50 and +5 (once); the unconfirmed debit changed nothing
    assert bare.text.startswith("Usage: /adjust <user> <amount> [asset] <reason>\n")
    assert no_asset.text.startswith("Name the asset after the amount: one of RUB, TOKEN, XTR.")
    assert bad_amount.text == "That is not an amount of RUB. Type a signed number like +100.00 or -100.00."
    assert no_reason.text.startswith("The reason must be from 1 to 500 characters.\n\nUsage: /adjust")
    assert nobody.text == "No user @nobody_here in this shop: give an id, a Telegram id or an @username."


async def test_a_debit_beyond_the_balance_is_refused_and_changes_nothing(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=5000)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_ADJUST)

    (confirm,) = await shop.send(ada, f"/adjust {zoe.id} -100 RUB too much")
    (refusal, _) = await shop.press(ada, confirm.button("Confirm"))

    assert confirm.text.endswith("Balance: 50.00 RUB → -50.00 RUB\nReason: too much\n"
                                 "⚠️ The balance is too low for this debit: the core will refuse it.")  # fmt: skip
    assert refusal.text == (
        "Not enough funds: the balance is 50.00 RUB, a debit of 100.00 RUB would take it below zero. "
        "Nothing was changed."
    )
    assert await rub_of(shop, zoe) == 5000
    await assert_ledger_ok(shop.tenant)


async def test_a_blocked_user_cannot_buy_until_unblocked(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    pack = await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=50000)
    core_zoe = await shop.core_user(zoe)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_USERS)
    buy = PayCallback(package_id=pack.id, asset="RUB").pack()

    (profile,) = await shop.send(ada, f"/users {zoe.id}")
    (question, _) = await shop.press(ada, profile.button("Block"))
    (blocked, _) = await shop.press(ada, question.button("Yes, block"))
    blocked_in_core = (await shop.core_user(zoe)).blocked
    (attempt, _) = await shop.press(zoe, buy)
    with pytest.raises(FailedPrecondition) as error:
        await shop.hub.orders.PurchaseFromWallet(
            order_service_pb2.PurchaseFromWalletRequest(user_id=core_zoe.id, package_id=pack.id, pay_asset="RUB")
        )
    orders_while_blocked = await orders_of(shop, core_zoe.id)
    (unblock_question, _) = await shop.press(ada, blocked.button("Unblock"))
    (unblocked, _) = await shop.press(ada, unblock_question.button("Yes, unblock"))
    (bought, _) = await shop.press(zoe, buy)

    assert next(label for label, _ in profile.buttons()) == "🚫 Block"  # no adjust button without ADJUST
    assert question.text.startswith("Block Zoe (@zoe_quill)?\nThey will not be able to order, pay")
    assert [label for label, _ in question.buttons()] == ["🚫 Yes, block", "✖️ Cancel"]
    assert blocked.text.startswith("🚫 The user is blocked.\n\n👤 Zoe (@zoe_quill)\n")
    assert "Status: 🚫 blocked" in blocked.text
    assert blocked_in_core is True
    assert attempt.text == "This package can't be bought now."
    assert error.value.reason == "USER_BLOCKED"
    assert orders_while_blocked == []
    assert unblock_question.text == "Unblock Zoe (@zoe_quill)?\nThey will be able to order and pay again."
    assert unblocked.text.startswith("✅ The user is unblocked.\n\n👤 Zoe (@zoe_quill)\n")
    assert "Status: ✅ active" in unblocked.text
    assert bought.text.startswith("Paid: 199.00 RUB.")
    assert (await shop.core_user(zoe)).blocked is False


async def test_admins_without_the_permissions_are_refused_by_the_bot_and_the_core(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=5000)
    core_zoe = await shop.core_user(zoe)
    uma = await make_admin(shop, P.ADMIN_PERMISSION_USERS)  # no ADJUST
    sam = await make_admin(shop, P.ADMIN_PERMISSION_STATS)  # neither USERS nor ADJUST

    (profile,) = await shop.send(uma, f"/users {zoe.id}")
    forged_start = await shop.press(uma, AdjustUserCallback(user_id=core_zoe.id).pack())
    forged_asset = await shop.press(uma, AdjustAssetCallback(asset="RUB").pack())
    forged_preset = await shop.press(uma, AdjustPresetCallback(amount_minor=10000).pack())
    forged_confirm = await shop.press(uma, AdjustConfirmCallback(token="0" * 32).pack())
    (uma_command,) = await shop.send(uma, f"/adjust {zoe.id} +100 RUB sneaky")
    (sam_menu,) = await shop.send(sam, "/admin")
    sam_users = await shop.press(sam, USERS_DATA)
    sam_profile = await shop.press(sam, AdminUserCallback(user_id=core_zoe.id).pack())
    sam_block = await shop.press(sam, AdminBlockCallback(user_id=core_zoe.id, blocked=True, confirmed=True).pack())
    (sam_command,) = await shop.send(sam, "/users zoe")
    (zoe_command,) = await shop.send(zoe, f"/adjust {zoe.id} +100 RUB myself")  # a user, not an admin

    assert "Adjust" not in " ".join(label for label, _ in profile.buttons())
    for press in (forged_start, forged_asset, forged_preset, forged_confirm, sam_users, sam_profile, sam_block):
        assert refused(press), press
    assert uma_command.text == REFUSED and sam_command.text == REFUSED
    assert zoe_command.text == "Main menu. Choose what to do:"
    assert "👥 Users" not in [label for label, _ in sam_menu.buttons()]
    assert await rub_of(shop, zoe) == 5000
    assert (await shop.core_user(zoe)).blocked is False
    # the core refuses the same calls on their behalf, whatever a bot would do
    adjust = wallet_service_pb2.AdjustBalanceRequest(
        user_id=core_zoe.id, amount=money(100, "RUB"), direction=CREDIT, reason="forged", actor=f"tg:{uma.id}"
    )
    block = user_service_pb2.UpdateUserRequest(
        user_id=core_zoe.id, blocked=True, update_mask=field_mask_pb2.FieldMask(paths=["blocked"])
    )
    for call in (
        shop.hub.on_behalf_of(uma.id).wallet.AdjustBalance(adjust),
        shop.hub.on_behalf_of(sam.id).users.ListUsers(user_service_pb2.ListUsersRequest(query="zoe")),
        shop.hub.on_behalf_of(sam.id).users.UpdateUser(block),
    ):
        with pytest.raises(PermissionDenied):
            await call
    assert await rub_of(shop, zoe) == 5000


async def test_an_admin_reaches_no_user_of_another_shop(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await token_shop(shop)
    await token_shop(other)
    bob = await shopper(other, "Bob", "bob_b", rub=5000)
    core_bob = await other.core_user(bob)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_USERS, P.ADMIN_PERMISSION_ADJUST)

    (profile, *_rest) = await shop.press(ada, AdminUserCallback(user_id=core_bob.id).pack())
    (adjust, *_rest) = await shop.press(ada, AdjustUserCallback(user_id=core_bob.id).pack())
    (block, *_rest) = await shop.press(
        ada, AdminBlockCallback(user_id=core_bob.id, blocked=True, confirmed=True).pack()
    )
    (command,) = await shop.send(ada, f"/adjust {core_bob.id} +100 RUB cross-shop")
    (by_telegram,) = await shop.send(ada, f"/adjust {bob.id} +100 RUB cross-shop")

    for answer in (profile, adjust, block):
        assert answer.text == "No such user in this shop."
    assert command.text.startswith("No user ")
    assert by_telegram.text.startswith("No user ")
    assert await rub_of(other, bob) == 5000
    assert (await other.core_user(bob)).blocked is False


@pytest.mark.parametrize(
    ("language", "confirm_head", "profile_head", "done_head"),
    [
        ("ru", "Подтвердите корректировку:", "Статус: ✅ активен", "✅ Готово: +100.00 RUB для Zoe (@zoe_quill)."),
        ("uk", "Підтвердіть коригування:", "Статус: ✅ активний", "✅ Готово: +100.00 RUB для Zoe (@zoe_quill)."),
    ],
)
async def test_the_users_section_speaks_the_admins_language(
    tenant_bot: NewBot, language: str, confirm_head: str, profile_head: str, done_head: str
) -> None:
    shop = await tenant_bot("Shop A")
    await token_shop(shop)
    zoe = await shopper(shop, "Zoe", "zoe_quill", rub=5000)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_USERS, P.ADMIN_PERMISSION_ADJUST, language=language)

    (menu,) = await shop.send(olga, "/admin")
    (prompt, _) = await shop.press(olga, USERS_DATA)
    (profile,) = await shop.send(olga, "@zoe_quill")
    (confirm,) = await shop.send(olga, f"/adjust {zoe.id} +100 RUB приз")
    (done, _) = await shop.press(olga, confirm.button("✅"))
    (nothing,) = await shop.send(olga, "/users")
    (missing,) = await shop.send(olga, "@nobody_here")

    assert len(menu.buttons()) == 3
    assert prompt.text.startswith("👥 ")
    assert profile_head in profile.text.splitlines()
    assert confirm.text.startswith(confirm_head + "\n")
    assert done.text.startswith(done_head)
    assert nothing.text == prompt.text
    assert "@nobody_here" in missing.text and "No user" not in missing.text
    assert await rub_of(shop, zoe) == 15000
