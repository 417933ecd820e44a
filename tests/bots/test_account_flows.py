"""The account flows beyond the first screens: subscription renewal, the referral leaderboard and
payout requests, service packages (a post URL per platform, the daily quota, the task), and
`/pricing`. Two shops in every story; another user's ids are never acted on.
"""

from __future__ import annotations

from bot_gateway.callbacks import (
    MenuCallback,
    ReferralAction,
    ReferralCallback,
    Screen,
    ServiceOrderCallback,
    ServicePlatformCallback,
    SubscriptionCancelCallback,
)
from bot_gateway.formatting import short_id
from sdk.billinghub.v1 import (
    fulfillment_pb2,
    fulfillment_service_pb2,
    order_service_pb2,
    package_pb2,
    referral_pb2,
    referral_service_pb2,
    subscription_pb2,
    subscription_service_pb2,
)
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, new_user
from tests.bots.test_account_screens import buy_times
from tests.bots.test_buy import customer, orders_of, token_shop
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit
from tests.commerce.referrals import set_program
from tests.money import assert_ledger_ok, balance, fund


def menu(screen: Screen) -> str:
    return MenuCallback(screen=screen).pack()


async def subscriptions(shop: TenantBot, user_id: str) -> list[subscription_pb2.Subscription]:
    response = await shop.tenant.admin.subscriptions.ListSubscriptions(
        subscription_service_pb2.ListSubscriptionsRequest(user_id=user_id)
    )
    return list(response.subscriptions)


async def test_subscription_shows_renewal_switches_it_off_and_renews(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    await ensure_rub(shop.tenant)
    plan = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100000, "RUB"), plan_code="vip",
        period_days=30, category="plans", title={"en": "VIP month"},
    )  # fmt: skip
    ann, ann_id = await customer(shop, "en", rub=200000)
    ivan, _ = await customer(other, "ru")
    none, _ = await customer(shop, "en")
    await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(user_id=ann_id, package_id=plan.id, pay_asset="RUB")
    )
    (sub,) = await subscriptions(shop, ann_id)
    until = sub.end_time.ToDatetime().strftime("%Y-%m-%d")

    (screen, _) = await shop.press(ann, menu(Screen.SUBSCRIPTION))
    (empty, _) = await shop.press(none, menu(Screen.SUBSCRIPTION))
    (forged, _) = await other.press(ivan, SubscriptionCancelCallback(subscription_id=sub.id).pack())
    (cancelled, _) = await shop.press(ann, screen.button("Turn off renewal"))
    (again, _) = await shop.press(ann, SubscriptionCancelCallback(subscription_id=sub.id).pack())
    (details, _) = await shop.press(ann, cancelled.button("Renew vip"))
    (renewed, _) = await shop.press(ann, details.button("from balance"))

    assert screen.text == f"Your subscriptions:\nvip: active until {until}, renewal on"
    assert [label for label, _ in screen.buttons()] == ["Turn off renewal of vip", "Renew vip", "⬅️ Menu"]
    assert empty.text == "You have no subscription."
    assert forged.text == "У вас нет подписки."  # shop B's user: shop A's subscription is not theirs
    assert cancelled.text == (
        f"Renewal is off. The plan stays until its end.\n\nYour subscriptions:\nvip: active until {until}, renewal off"
    )
    assert [label for label, _ in cancelled.buttons()] == ["Renew vip", "⬅️ Menu"]
    assert again.text.startswith("Renewal is already off.")
    assert details.text.startswith("VIP month")
    assert renewed.text.startswith("Paid: 1000.00 RUB.")
    (sub,) = await subscriptions(shop, ann_id)
    assert (sub.end_time.ToDatetime() - sub.start_time.ToDatetime()).days >= 59  # extended by another period
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop.tenant)


async def test_referrals_leaderboard_and_a_payout_request(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    pack = await token_shop(shop)
    await set_program(shop.tenant, level_rates_bps=[1000])
    inviter, inviter_id = await customer(shop, "en")
    code = (await shop.core_user(inviter)).referral_code
    friends = [new_user(language_code="en") for _ in range(2)]
    for friend in friends:
        await shop.send(friend, f"/start ref_{code}")
    await buy_times(shop, (await shop.core_user(friends[0])).id, pack.id, 1)  # 19.90 RUB to the inviter
    ivan, ivan_id = await customer(other, "ru")

    (screen, _) = await shop.press(inviter, menu(Screen.REFERRALS))
    (top, _) = await shop.press(inviter, screen.button("Top referrers"))
    (ivan_top, _) = await other.press(ivan, ReferralCallback(action=ReferralAction.LEADERBOARD).pack())
    (ivan_payout, _) = await other.press(ivan, ReferralCallback(action=ReferralAction.PAYOUT).pack())
    (asked, _) = await shop.press(inviter, screen.button("Withdraw"))
    (too_much,) = await shop.send(inviter, "20")
    (garbage,) = await shop.send(inviter, "ten")
    (where,) = await shop.send(inviter, "15.5")
    (sent,) = await shop.send(inviter, "TRC20 TXyz123")

    assert [label for label, _ in screen.buttons()] == ["🏆 Top referrers", "💸 Withdraw", "⬅️ Menu"]
    assert top.text == f"Top referrers:\n1. @{inviter.username}: 2 invited"
    assert ivan_top.text == "Пока никто не пригласил друзей."
    assert ivan_payout.text == "Пока нечего выводить."
    assert asked.text == "How much do you want to withdraw? Available: 19.90 RUB. Send the amount."
    assert too_much.text == garbage.text == "Send an amount from 0.01 RUB to 19.90 RUB."
    assert where.text.startswith("Where should we pay it?")
    assert sent.text == "Your payout request for 15.50 RUB is sent. An admin will pay it to TRC20 TXyz123."
    listed = await shop.tenant.admin.referrals.ListPayoutRequests(referral_service_pb2.ListPayoutRequestsRequest())
    (payout,) = listed.payout_requests
    assert payout.user_id == inviter_id and payout.amount.amount_minor == 1550
    assert payout.destination == "TRC20 TXyz123" and payout.status == referral_pb2.PAYOUT_STATUS_PENDING
    other_listed = await other.tenant.admin.referrals.ListPayoutRequests(
        referral_service_pb2.ListPayoutRequestsRequest(user_id=ivan_id)
    )
    assert list(other_listed.payout_requests) == []
    await assert_ledger_ok(shop.tenant)


async def service_shop(shop: TenantBot) -> package_pb2.Package:
    await ensure_rub(shop.tenant)
    return await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(9999, "RUB"), posts_per_day=2,
        features='{"views": "1000-2500"}', category="boost", title={"en": "Boost", "ru": "Буст"},
    )  # fmt: skip


async def test_a_service_order_takes_post_urls_within_the_daily_quota(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    boost = await service_shop(shop)
    await service_shop(other)
    ann, ann_id = await customer(shop, "en", rub=9999)
    ivan, _ = await customer(other, "ru")
    await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(user_id=ann_id, package_id=boost.id, pay_asset="RUB")
    )
    (order,) = await orders_of(shop, ann_id)

    (services, _) = await shop.press(ann, menu(Screen.SERVICES))
    (ivan_services, _) = await other.press(ivan, menu(Screen.SERVICES))
    (forged, _) = await other.press(ivan, ServiceOrderCallback(order_id=order.id).pack())
    (platforms, _) = await shop.press(ann, services.button("Boost"))
    (asked, _) = await shop.press(ann, platforms.button("Telegram"))
    (wrong_host,) = await shop.send(ann, "https://instagram.com/p/1")
    (accepted,) = await shop.send(ann, "https://t.me/channel/1")
    await shop.press(ann, ServicePlatformCallback(order_id=order.id, platform="x").pack())
    (last,) = await shop.send(ann, "https://x.com/user/status/2")
    await shop.press(ann, ServicePlatformCallback(order_id=order.id, platform="vk").pack())
    (used_up,) = await shop.send(ann, "https://vk.com/wall-1_3")

    assert services.buttons()[0][1] == ServiceOrderCallback(order_id=order.id).pack()
    assert services.text == "Choose a service to send a post to:"
    assert ivan_services.text == "У вас нет активных услуг."
    assert forged.text == "Эта услуга не активна."
    assert platforms.text == "Today: 2 of 2 posts left.\nWhere is the post?"
    assert asked.text == "Send the link to the post on Telegram."
    assert wrong_host.text == "That is not a link to a post on Telegram. Send a link like https://t.me/…."
    tasks = await shop.tenant.admin.fulfillment.ListTasks(fulfillment_service_pb2.ListTasksRequest(order_id=order.id))
    (second, first) = tasks.tasks  # newest first
    assert (
        accepted.text == f"The post is accepted. Posts left today: 1.\nTask {short_id(first.id)}: waiting in the queue."
    )
    assert last.text == f"The post is accepted. Posts left today: 0.\nTask {short_id(second.id)}: waiting in the queue."
    assert used_up.text == "Today's posts are used up. Come back tomorrow."
    assert '"url": "https://t.me/channel/1"' in first.payload and '"platform": "telegram"' in first.payload
    assert '"platform": "x"' in second.payload
    assert all(task.status == fulfillment_pb2.TASK_STATUS_QUEUED for task in tasks.tasks)


async def test_pricing_lists_every_active_package_with_its_prices(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    other = await tenant_bot("Shop B")
    await token_shop(shop)
    await stars_per_unit(shop.tenant)
    ann, _ = await customer(shop, "ru")
    bob, _ = await customer(other, "en")
    await fund(shop.tenant, (await shop.core_user(ann)).id, 1, "RUB")

    (prices,) = await shop.send(ann, "/pricing")
    (empty,) = await other.send(bob, "/pricing")

    assert prices.text == (
        "Цены:\n\n— stars —\n• Пакет: 1.80 RUB за единицу\n\n— tokens —\n• 100 токенов: 199.00 RUB / 150 XTR"
    )
    assert empty.text == "Nothing is on sale right now."
