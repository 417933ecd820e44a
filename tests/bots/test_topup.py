"""Topping up in a tenant's bot: through a payment provider (a pay link and "Check payment") or by
a manual method (the tenant's instructions, a receipt photo, a request an admin decides).

Every story runs two shops' bots: amounts, FSM data and requests stay in the shop they belong to.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import Update

from bot_gateway.callbacks import CheckPaymentCallback, MenuCallback, Screen, TopupAmountCallback
from bot_gateway.middlewares.tenant import BOT_TENANT_KEY, HUB_KEY
from sdk.billinghub.v1 import payment_pb2, topup_pb2, topup_service_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, shared_dispatcher
from tests.bots.telegram import EPOCH, BotRequest
from tests.bots.test_buy import customer
from tests.commerce.catalog import ensure_rub
from tests.money import assert_ledger_ok, balance
from tests.payments.shop import set_testpay
from tests.payments.testpay import PROVIDER

TOPUP = MenuCallback(screen=Screen.TOPUP).pack()
_message_ids = iter(range(900_000, 10**7))


async def send_photo(shop: TenantBot, user: TgUser, file_id: str, *, as_file: bool = False) -> list[BotRequest]:
    """The user sends a photo (Telegram lists its sizes, the largest last), or a file."""
    sizes = [
        {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 960},
    ]
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": EPOCH,
        "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
        "from": user.as_json(),
    }
    if as_file:
        message["document"] = {"file_id": file_id, "file_unique_id": "d", "file_name": "receipt.pdf"}
    else:
        message["photo"] = sizes
    before = len(shop.api.requests)
    update = Update.model_validate({"update_id": next(_message_ids), "message": message}, context={"bot": shop.bot})
    await shared_dispatcher().feed_update(shop.bot, update, **{BOT_TENANT_KEY: shop.bot_tenant, HUB_KEY: shop.hub})
    return [r for r in shop.api.requests[before:] if r.token == shop.token and r.method != "getme"]


def url_buttons(request: BotRequest) -> list[tuple[str, str]]:
    markup = request.params.get("reply_markup") or {}
    return [(b["text"], b["url"]) for row in markup.get("inline_keyboard", []) for b in row if "url" in b]


async def rub_shop(shop: TenantBot, *, manual: bool = False) -> None:
    """RUB, testpay for RUB 1.00 to 100 000.00, and (manual) a card transfer method."""
    await ensure_rub(shop.tenant)
    await set_testpay(shop.tenant)
    if manual:
        method = topup_pb2.TopupMethod(
            code="card_ru",
            title={"en": "Card transfer", "ru": "Перевод на карту"},
            instructions={"en": "Send the money to card 2200 0000 0000 0001.", "ru": "Переведите на карту 2200."},
            active=True,
        )
        await shop.tenant.admin.topups.SetTopupMethods(topup_service_pb2.SetTopupMethodsRequest(methods=[method]))


async def payments_of(shop: TenantBot, user_id: str) -> list[payment_pb2.Payment]:
    response = await shop.tenant.admin.payments.ListPayments(pb.ListPaymentsRequest(user_id=user_id))
    return list(response.payments)


async def test_a_provider_top_up_opens_a_link_and_check_payment_credits_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    await rub_shop(shop)
    await rub_shop(other)
    ann, ann_id = await customer(shop, "en")
    ivan, ivan_id = await customer(other, "ru")

    (balance_screen, _) = await shop.press(ann, MenuCallback(screen=Screen.BALANCE).pack())
    (assets, _) = await shop.press(ann, balance_screen.button("Top up"))
    (amounts, _) = await shop.press(ann, assets.button("RUB"))
    (ivan_amounts, _) = await other.press(ivan, TOPUP)
    (methods, _) = await shop.press(ann, amounts.button("500.00 RUB"))
    (opened, _) = await shop.press(ann, methods.button("Test pay"))
    (pending, _) = await shop.press(ann, opened.button("Check payment"))
    (payment,) = await payments_of(shop, ann_id)
    PROVIDER.pay(payment.provider_ref)
    (credited, _) = await shop.press(ann, CheckPaymentCallback(payment_id=payment.id).pack())
    (again, _) = await shop.press(ann, CheckPaymentCallback(payment_id=payment.id).pack())
    (forged, _) = await other.press(ivan, CheckPaymentCallback(payment_id=payment.id).pack())

    assert [label for label, _ in assets.buttons()] == ["RUB", "TOKEN", "⬅️ Back"]
    assert amounts.text.startswith("How much RUB do you want to top up?")
    assert [label for label, _ in amounts.buttons()][:4] == ["100.00 RUB", "500.00 RUB", "1000.00 RUB", "5000.00 RUB"]
    assert ivan_amounts.text == "Какой баланс пополнить?"  # the other shop's user, in their language
    assert methods.text == "Top up 500.00 RUB. Choose how to pay (or type another amount):"
    assert opened.text.startswith("Payment of 500.00 RUB via Test pay is open.")
    assert url_buttons(opened) == [("💳 Pay", f"https://testpay.invalid/pay/{payment.provider_ref}")]
    assert payment.amount.amount_minor == 50000 and payment.provider == "testpay" and not payment.order_id
    assert pending.text.startswith("The payment of 500.00 RUB has not arrived yet.")
    assert credited.text == again.text == "Payment of 500.00 RUB received and credited to your balance."
    assert forged.text == "Платёж не найден."
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 50000
    assert await payments_of(other, ivan_id) == []
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_a_typed_amount_is_checked_before_anything_is_opened(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop)
    ann, ann_id = await customer(shop, "en")
    await shop.press(ann, TOPUP)
    await shop.press(ann, "tua:RUB")

    (not_amount,) = await shop.send(ann, "a lot")
    (too_precise,) = await shop.send(ann, "10.555")
    (negative,) = await shop.send(ann, "-5")
    (zero,) = await shop.send(ann, "0")
    (too_small,) = await shop.send(ann, "0.50")  # below the provider's RUB 1.00: no provider offered
    (typed,) = await shop.send(ann, "250,50")

    assert not_amount.text == "That is not an amount of RUB. Type a number like 250.00."
    assert too_precise.text == not_amount.text
    assert negative.text == zero.text == "The amount must be from 0.01 RUB to 10000000000000.00 RUB."
    assert too_small.text == "No payment method takes 0.50 RUB. Type another amount."
    assert typed.text == "Top up 250.50 RUB. Choose how to pay (or type another amount):"
    assert await payments_of(shop, ann_id) == []


async def test_a_manual_top_up_sends_the_receipt_photo_as_a_request(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    other = await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    await rub_shop(other)
    ann, ann_id = await customer(shop, "ru")
    bob, _ = await customer(other, "en")

    await shop.press(ann, TOPUP)
    await shop.press(ann, "tua:RUB")
    (methods, _) = await shop.press(ann, TopupAmountCallback(amount_minor=100000).pack())
    (bob_methods, _) = await other.press(bob, TOPUP)
    (instructions, _) = await shop.press(ann, methods.button("Перевод на карту"))
    (not_photo,) = await shop.send(ann, "I paid")
    (sent,) = await send_photo(shop, ann, "AgACAgIAAx-receipt")
    (after,) = await send_photo(shop, ann, "AgACAgIAAx-again")  # the dialog is over: not another request

    assert [label for label, _ in methods.buttons()] == ["Test pay", "Перевод на карту", "⬅️ Назад"]
    assert "card_ru" not in str(bob_methods.buttons())
    assert instructions.text == (
        "Перевод на карту\n\nПереведите на карту 2200.\n\nСумма: 1000.00 RUB\n\nПосле оплаты пришлите сюда фото чека."
    )
    assert not_photo.text == "Пришлите чек фотографией."
    assert sent.text.startswith("Заявка на пополнение на 1000.00 RUB отправлена.")
    assert after.text != sent.text
    listed = await shop.tenant.admin.topups.ListTopupRequests(topup_service_pb2.ListTopupRequestsRequest())
    (request,) = listed.topup_requests
    assert request.user_id == ann_id and request.method_code == "card_ru"
    assert request.receipt == "AgACAgIAAx-receipt" and request.amount.amount_minor == 100000
    assert request.status == topup_pb2.TOPUP_REQUEST_STATUS_PENDING
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0  # until an admin approves
    other_listed = await other.tenant.admin.topups.ListTopupRequests(topup_service_pb2.ListTopupRequestsRequest())
    assert list(other_listed.topup_requests) == []


async def test_a_stale_top_up_button_starts_over(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop)
    ann, ann_id = await customer(shop, "en")

    (stale, _) = await shop.press(ann, "tup:testpay")

    assert stale.text == "This top-up was interrupted. Please start again."
    assert await payments_of(shop, ann_id) == []


async def test_a_receipt_sent_as_a_file_is_taken_too(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    ann, ann_id = await customer(shop, "en")
    await shop.press(ann, TOPUP)
    await shop.press(ann, "tua:RUB")
    await shop.press(ann, TopupAmountCallback(amount_minor=25000).pack())
    await shop.press(ann, "tum:card_ru")

    (sent,) = await send_photo(shop, ann, "BQACAgIAAx-pdf", as_file=True)

    assert sent.text.startswith("Your top-up request for 250.00 RUB is sent.")
    listed = await shop.tenant.admin.topups.ListTopupRequests(topup_service_pb2.ListTopupRequestsRequest())
    (request,) = listed.topup_requests
    assert (request.user_id, request.receipt) == (ann_id, "BQACAgIAAx-pdf")
