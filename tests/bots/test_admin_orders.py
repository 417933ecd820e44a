"""The admin orders of a tenant bot: recent orders and by status, an order's screen, refunds in full
or in part to the wallet (RefundOrder), a Telegram Stars charge given back whole through the Bot
API (RefundTelegramPayment -> refundStarPayment), and the deliveries that failed for good.

Money is checked in the ledger after every refund; two shops never see each other's orders; an
admin without REFUNDS is refused by the bot and by the core.
"""

from __future__ import annotations

import pytest

from bot_gateway.callbacks import (
    AdminCallback,
    AdminOrderCallback,
    AdminSection,
    FailedTasksCallback,
    OrderFilter,
    OrdersCallback,
    PayCallback,
    RefundCallback,
    RefundKind,
    StarsCallback,
)
from bot_gateway.formatting import short_id
from sdk.billinghub.v1 import (
    bot_settings_pb2,
    fulfillment_service_pb2,
    order_pb2,
    order_service_pb2,
    package_pb2,
    payment_service_pb2,
)
from sdk.errors import PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser
from tests.bots.telegram import BotRequest
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_buy import customer, orders_of, token_shop
from tests.bots.test_stars import take_stars
from tests.commerce.catalog import stars_per_unit
from tests.money import assert_ledger_ok, balance, fund

P = bot_settings_pb2
ORDERS_DATA = AdminCallback(section=AdminSection.ORDERS).pack()


async def bought(shop: TenantBot, language: str = "en") -> tuple[TgUser, str, order_pb2.Order]:
    """A customer who paid 199.00 RUB from the wallet for the shop's token pack (100 TOKEN)."""
    pack = await token_shop(shop)
    user, user_id = await customer(shop, language, rub=19900)
    await shop.press(user, PayCallback(package_id=pack.id, asset="RUB").pack())
    (order,) = await orders_of(shop, user_id)
    return user, user_id, order


async def core_order(shop: TenantBot, order_id: str) -> order_pb2.Order:
    response = await shop.tenant.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order_id))
    return response.order


async def test_an_admin_refunds_part_then_the_rest_of_an_order(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    _ann, ann_id, order = await bought(shop)
    _bea, _bea_id, kept = await bought(shop)
    _ivan, ivan_id, ivan_order = await bought(other)
    rita = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS)
    rosa = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS)  # the second half (an admin's burst is 10 updates)
    bob = await make_admin(other, P.ADMIN_PERMISSION_REFUNDS)
    ref = short_id(order.id)

    (menu,) = await shop.send(rita, "/admin")
    (recent, _) = await shop.press(rita, menu.button("Orders"))
    (screen, _) = await shop.press(rita, recent.button(f"#{ref}"))
    (ask_amount, _) = await shop.press(rita, screen.button("Refund a part"))
    (too_much,) = await shop.send(rita, "250")
    (garbage,) = await shop.send(rita, "fifty")
    (ask_reason,) = await shop.send(rita, "50")
    (blank,) = await shop.send(rita, " ")
    (part,) = await shop.send(rita, "Arrived late")
    (screen2, _) = await shop.press(rosa, part.button("Back to the order"))
    (ask_rest, _) = await shop.press(rosa, screen2.button("Refund all"))
    (rest,) = await shop.send(rosa, "Never used")
    (refunded_list, _) = await shop.press(rosa, OrdersCallback(status=OrderFilter.REFUNDED, page=0).pack())
    (fulfilled_list, _) = await shop.press(rosa, OrdersCallback(status=OrderFilter.FULFILLED, page=0).pack())
    (no_more, _) = await shop.press(rosa, RefundCallback(kind=RefundKind.FULL, order_id=order.id).pack())
    (forged, _) = await other.press(bob, RefundCallback(kind=RefundKind.FULL, order_id=order.id).pack())
    (bobs, _) = await other.press(bob, ORDERS_DATA)

    assert [label for label, _ in menu.buttons()] == ["🩺 Health", "🧾 Orders", "⬅️ Menu"]
    assert recent.text.startswith("🧾 Orders: All (page 1)\n\n")
    assert f"#{ref} · " in recent.text and f"#{short_id(kept.id)} · " in recent.text
    assert f"#{short_id(ivan_order.id)}" not in recent.text  # the other shop's order
    assert "· 199.00 RUB · fulfilled" in recent.text
    assert "⚠️ Failed deliveries" not in [label for label, _ in recent.buttons()]  # rita has no QUEUES
    assert screen.text.startswith(f"🧾 Order #{ref}\n\nBuyer: Ann (")
    assert "Package: token_pack ×1\nStatus: fulfilled\nTotal: 199.00 RUB\nPaid via: wallet\n" in screen.text
    assert [label for label, _ in screen.buttons()] == ["↩️ Refund all (199.00 RUB)", "✂️ Refund a part", "⬅️ Orders"]
    assert ask_amount.text == f"Type the amount to refund from order #{ref}, up to 199.00 RUB."
    assert too_much.text == garbage.text == "Type an amount from 0.01 RUB to 199.00 RUB."
    assert ask_reason.text == f"Type the reason for refunding 50.00 RUB of order #{ref} (up to 500 characters)."
    assert blank.text == "The reason must be 1 to 500 characters."
    assert part.text == f"↩️ 50.00 RUB of order #{ref} refunded to the buyer's wallet. Status: partially refunded."
    assert "Refunded: 50.00 RUB" in screen2.text
    assert ask_rest.text == f"Type the reason for refunding 149.00 RUB of order #{ref} (up to 500 characters)."
    assert rest.text == f"↩️ 149.00 RUB of order #{ref} refunded to the buyer's wallet. Status: refunded."
    assert f"#{ref}" in refunded_list.text and f"#{short_id(kept.id)}" not in refunded_list.text
    assert f"#{short_id(kept.id)}" in fulfilled_list.text and f"#{ref}" not in fulfilled_list.text
    assert no_more.text == f"Order #{ref} cannot be refunded this way."
    assert forged.text == "This order was not found."
    assert f"#{ref}" not in bobs.text and f"#{short_id(ivan_order.id)}" in bobs.text
    after = await core_order(shop, order.id)
    assert after.status == order_pb2.ORDER_STATUS_REFUNDED and after.refunded.amount_minor == 19900
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 19900
    assert (await core_order(shop, kept.id)).refunded.amount_minor == 0
    assert (await balance(other.tenant.admin, ivan_id, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_the_orders_page_five_at_a_time(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    pack = await token_shop(shop)
    _ann, ann_id = await customer(shop, "en", rub=6 * 19900)
    for _ in range(6):
        await shop.tenant.admin.orders.PurchaseFromWallet(
            order_service_pb2.PurchaseFromWalletRequest(user_id=ann_id, package_id=pack.id, pay_asset="RUB")
        )
    ids = [order.id for order in await orders_of(shop, ann_id)]  # newest first
    rita = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS)

    (first, _) = await shop.press(rita, ORDERS_DATA)
    (second, _) = await shop.press(rita, first.button("Older"))
    (back, _) = await shop.press(rita, second.button("Newer"))
    (pending, _) = await shop.press(rita, OrdersCallback(status=OrderFilter.PENDING, page=0).pack())

    def shown(screen: BotRequest) -> list[str]:
        return [label.split(" · ")[0] for label, _ in screen.buttons() if label.startswith("#")]

    assert shown(first) == shown(back) == [f"#{short_id(i)}" for i in ids[:5]]
    assert shown(second) == [f"#{short_id(ids[5])}"]
    assert second.text.startswith("🧾 Orders: All (page 2)\n")
    assert "Older ➡️" not in [label for label, _ in second.buttons()]
    assert "⬅️ Newer" not in [label for label, _ in first.buttons()]
    assert pending.text == "🧾 Orders: Pending (page 1)\n\nNo orders here."
    assert "✅ Pending" in [label for label, _ in pending.buttons()]


async def test_a_stars_order_is_refunded_whole_through_telegram(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await take_stars(shop)
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en")
    (invoice, _) = await shop.press(ann, StarsCallback(package_id=pack.id).pack())
    payload = invoice.params["payload"]
    await shop.pre_checkout(ann, payload, 150)
    await shop.successful_payment(ann, payload, 150, charge_id="charge-7")
    (order,) = await orders_of(shop, ann_id)
    rita = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS)
    ref = short_id(order.id)

    (screen, _) = await shop.press(rita, AdminOrderCallback(order_id=order.id).pack())
    (part, _) = await shop.press(rita, RefundCallback(kind=RefundKind.PART, order_id=order.id).pack())
    (asked, _) = await shop.press(rita, screen.button("Refund the Stars payment"))
    answered = await shop.send(rita, "Asked for it")  # the core asks the fake Bot API with the shop's token

    assert "Paid via: provider:telegram_stars" in screen.text
    assert [label for label, _ in screen.buttons()] == ["↩️ Refund the Stars payment (150 XTR)", "⬅️ Orders"]
    assert part.text == f"Order #{ref} cannot be refunded this way."  # Telegram refunds whole charges
    assert asked.text == f"Type the reason for refunding 150 XTR of order #{ref} (up to 500 characters)."
    assert [request.method for request in answered] == ["refundstarpayment", "sendmessage"]
    (refund_call, done) = answered
    assert done.text == f"↩️ The Stars payment of order #{ref} was given back to the buyer through Telegram."
    assert str(refund_call.params["user_id"]) == str(ann.id)  # the core calls with JSON
    assert refund_call.params["telegram_payment_charge_id"] == "charge-7"
    after = await core_order(shop, order.id)
    assert after.status == order_pb2.ORDER_STATUS_REFUNDED
    assert (await balance(shop.tenant.admin, ann_id, "XTR")).posted.amount_minor == 0
    assert (await balance(shop.tenant.admin, ann_id, "TOKEN")).posted.amount_minor == 0  # the delivery reversed
    await assert_ledger_ok(shop.tenant)


async def test_failed_deliveries_are_listed_for_admins_with_queues(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    _ann, ann_id, _order = await bought(shop)
    stars = await stars_per_unit(shop.tenant)
    await fund(shop.tenant, ann_id, 9000, "RUB")
    await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(
            user_id=ann_id, package_id=stars.id, pay_asset="RUB", recipient="somebody_else", quantity=50
        )
    )
    fulfillment = shop.tenant.admin.fulfillment
    (task,) = (
        await fulfillment.LeaseTasks(
            fulfillment_service_pb2.LeaseTasksRequest(kind=package_pb2.PACKAGE_KIND_TELEGRAM_STARS, max_tasks=1)
        )
    ).tasks
    await fulfillment.FailTask(fulfillment_service_pb2.FailTaskRequest(task_id=task.id, reason="fragment is down"))
    both = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS, P.ADMIN_PERMISSION_QUEUES)
    rita = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS)

    (recent, _) = await shop.press(both, ORDERS_DATA)
    (failed, _) = await shop.press(both, recent.button("Failed deliveries"))
    (order_screen, _) = await shop.press(both, failed.button(f"Order #{short_id(task.order_id)}"))
    (refused,) = await shop.press(rita, FailedTasksCallback(page=0).pack())

    assert failed.text.startswith("⚠️ Failed deliveries (page 1)\n\n")
    assert (
        f"#{short_id(task.order_id)} · telegram_stars · attempts: 1/{task.max_attempts} · fragment is down"
        in failed.text
    )
    assert failed.text.endswith("has no Retry: it would be delivered unpaid.")
    assert "Retry" not in str(failed.buttons())  # refunded when it failed: the core would refuse it
    assert "Status: " in order_screen.text and "Failure: " in order_screen.text
    assert refused.params["text"] == "You do not have permission for this."
    await assert_ledger_ok(shop.tenant)


async def test_only_admins_with_refunds_refund(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    ann, ann_id, order = await bought(shop)
    quinn = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)  # an admin without REFUNDS

    (menu,) = await shop.send(quinn, "/admin")
    presses = [
        await shop.press(quinn, data)
        for data in (
            ORDERS_DATA,
            OrdersCallback(status=OrderFilter.PAID, page=0).pack(),
            AdminOrderCallback(order_id=order.id).pack(),
            RefundCallback(kind=RefundKind.FULL, order_id=order.id).pack(),
        )
    ]
    ann_press = await shop.press(ann, RefundCallback(kind=RefundKind.FULL, order_id=order.id).pack())

    assert all("Orders" not in label for label, _ in menu.buttons())
    for press in presses:
        assert [request.method for request in press] == ["answercallbackquery"]
        assert press[0].params["text"] == "You do not have permission for this."
    assert all("refund" not in request.text.lower() for request in ann_press)
    for who in (quinn, ann):
        staff = shop.hub.on_behalf_of(who.id)
        with pytest.raises(PermissionDenied):
            await staff.orders.RefundOrder(
                order_service_pb2.RefundOrderRequest(order_id=order.id, reason="forged", actor="forged")
            )
        with pytest.raises(PermissionDenied):
            await staff.payments.RefundTelegramPayment(
                payment_service_pb2.RefundTelegramPaymentRequest(payment_id=order.id, reason="forged", actor="x")
            )
    assert (await core_order(shop, order.id)).refunded.amount_minor == 0
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop.tenant)


@pytest.mark.parametrize("language", ["ru", "uk"])
async def test_the_orders_speak_the_admins_language(tenant_bot: NewBot, language: str) -> None:
    shop = await tenant_bot("Shop A", default_locale=language)
    _ann, _ann_id, order = await bought(shop, language)
    rita = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS, language=language)
    ref = short_id(order.id)

    (recent, _) = await shop.press(rita, ORDERS_DATA)
    (screen, _) = await shop.press(rita, recent.button(f"#{ref}"))
    (asked, _) = await shop.press(rita, screen.button("✂️"))
    (reason,) = await shop.send(rita, "50")
    (done,) = await shop.send(rita, "причина")

    expected = {
        "ru": (
            "🧾 Заказы: Все (стр. 1)",
            f"Введите сумму возврата по заказу #{ref}, не больше 199.00 RUB.",
            f"↩️ 50.00 RUB по заказу #{ref} возвращено на кошелёк покупателя. Статус: частично возвращён.",
        ),
        "uk": (
            "🧾 Замовлення: Усі (стор. 1)",
            f"Введіть суму повернення за замовленням #{ref}, не більше 199.00 RUB.",
            f"↩️ 50.00 RUB за замовленням #{ref} повернено на гаманець покупця. Статус: частково повернено.",
        ),
    }[language]
    assert recent.text.startswith(expected[0])
    assert asked.text == expected[1]
    assert ref in reason.text and "500" in reason.text
    assert done.text == expected[2]
    await assert_ledger_ok(shop.tenant)
