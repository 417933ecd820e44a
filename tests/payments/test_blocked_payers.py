"""A user the tenant's admin blocked cannot open a provider payment or a Stars invoice
(FAILED_PRECONDITION, USER_BLOCKED: no payment row, nothing asked of the provider), and an invoice
issued before the block is refused at pre-checkout, so Telegram never charges it. Money already
paid is still credited: a provider's notice of a payment opened before the block settles it."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from sdk import FailedPrecondition
from sdk.billinghub.v1 import payment_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, money
from tests.payments.shop import deliver, invoice_of, open_topup, shop_with_testpay
from tests.payments.stars import invoice, pre_checkout, stars_shop, user_payments
from tests.payments.testpay import PROVIDER
from tests.providers.fakes.telegram import FakeTelegramBotApi


async def set_blocked(shop: TenantHandle, user: str, blocked: bool) -> None:
    mask = field_mask_pb2.FieldMask(paths=["blocked"])
    await shop.admin.users.UpdateUser(users_pb.UpdateUserRequest(user_id=user, blocked=blocked, update_mask=mask))


async def test_a_blocked_user_opens_no_provider_payment(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Blocked payer")
    pack = await token_pack(shop, stars=10, tokens=100)
    order = await create_order(shop, user, pack.id)
    await set_blocked(shop, user, True)
    asked = len(PROVIDER.invoices)
    for request in (
        pb.CreatePaymentRequest(user_id=user, amount=money(50_000, "RUB"), provider="testpay"),
        pb.CreatePaymentRequest(user_id=user, order_id=order.id, provider="testpay"),
    ):
        with pytest.raises(FailedPrecondition) as caught:
            await shop.admin.payments.CreatePayment(request)
        assert caught.value.reason == "USER_BLOCKED"
    assert await user_payments(shop, user) == []
    assert len(PROVIDER.invoices) == asked  # the provider was never asked
    await set_blocked(shop, user, False)
    assert (await open_topup(shop, user, 50_000)).status == payment_pb2.PAYMENT_STATUS_PENDING


async def test_a_payment_opened_before_the_block_is_still_credited(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Paid then blocked")
    payment = await open_topup(shop, user, 50_000)
    await set_blocked(shop, user, True)
    PROVIDER.pay(payment.provider_ref)
    credited = await deliver(hub, shop, invoice_of(payment))
    assert credited.outcome == pb.WEBHOOK_OUTCOME_APPLIED  # the money was received: it is the user's
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 50_000
    await assert_ledger_ok(shop)


async def test_a_blocked_user_gets_no_stars_invoice_and_an_earlier_one_is_refused_at_checkout(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Blocked stars")
    earlier = await invoice(bot, user, stars=50)
    await set_blocked(shop, user, True)
    with pytest.raises(FailedPrecondition) as caught:
        await invoice(bot, user, stars=70, create_link=True)
    assert caught.value.reason == "USER_BLOCKED"
    assert [p.id for p in await user_payments(shop, user)] == [earlier.payment.id]
    assert bot_api.calls("createInvoiceLink") == []
    refused = await pre_checkout(bot, user, earlier.invoice.payload, 50)
    assert (refused.ok, refused.refusal) == (False, payment_pb2.PRE_CHECKOUT_REFUSAL_USER_BLOCKED)
    assert refused.error_message
    await set_blocked(shop, user, False)
    assert (await pre_checkout(bot, user, earlier.invoice.payload, 50)).ok
