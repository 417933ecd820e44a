"""Paying for a package with Telegram Stars in the bot: the invoice, the pre-checkout answer, and
the payment confirmed in the core exactly once. A shop without Stars says so and keeps nothing."""

from __future__ import annotations

from bot_gateway.callbacks import StarsCallback
from sdk.billinghub.v1 import order_pb2, payment_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, new_user
from tests.bots.test_buy import customer, orders_of, token_shop
from tests.money import assert_ledger_ok, balance


async def take_stars(shop: TenantBot) -> None:
    limit = payment_pb2.PaymentLimit(asset="XTR", min_minor=1, max_minor=1_000_000)
    config = payment_pb2.ProviderConfig(
        provider="telegram_stars", enabled=True, title={"en": "Telegram Stars"}, limits=[limit], base_url=shop.api.url
    )
    await shop.tenant.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config))


async def test_a_user_pays_a_package_with_stars_and_is_credited_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    other = await tenant_bot("Shop B")
    await take_stars(shop)
    await take_stars(other)
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "ru")
    stranger = new_user(language_code="en")
    await other.send(stranger, "/start")

    (invoice, answer) = await shop.press(ann, StarsCallback(package_id=pack.id).pack())
    payload = invoice.params["payload"]
    (wrong_total,) = await shop.pre_checkout(ann, payload, 149)
    (wrong_shop,) = await other.pre_checkout(stranger, payload, 150)  # shop A's invoice in shop B's bot
    (accepted,) = await shop.pre_checkout(ann, payload, 150)
    (thanks,) = await shop.successful_payment(ann, payload, 150, charge_id="charge-1")
    repeated = await shop.successful_payment(ann, payload, 150, charge_id="charge-1")

    assert invoice.method == "sendinvoice" and answer.method == "answercallbackquery"
    assert invoice.params["currency"] == "XTR" and invoice.params["prices"][0]["amount"] == 150
    assert invoice.chat_id == ann.id
    assert wrong_total.method == "answerprecheckoutquery" and wrong_total.params["ok"] == "false"
    assert wrong_total.params["error_message"] == "Сумма не совпадает со счётом."
    assert wrong_shop.params["ok"] == "false"
    assert accepted.params["ok"] == "true" and "error_message" not in accepted.params
    assert thanks.text == "Платёж получен: 150 XTR. Спасибо!"
    assert repeated == []  # the same charge again: nothing credited, nothing said

    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_FULFILLED and order.paid_via == "provider:telegram_stars"
    assert (await balance(shop.tenant.admin, ann_id, "TOKEN")).posted.amount_minor == 100
    assert (await balance(shop.tenant.admin, ann_id, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_a_shop_without_stars_says_so_and_leaves_no_pending_order(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en")

    requests = await shop.press(ann, StarsCallback(package_id=pack.id).pack())

    assert [request.method for request in requests] == ["editmessagetext", "answercallbackquery"]
    assert requests[0].text == "Paying with Telegram Stars is not available in this shop."
    (order,) = await orders_of(shop, ann_id)
    assert order.status == order_pb2.ORDER_STATUS_CANCELLED
