"""A successful_payment the bot never relayed (the gateway was down): the Stars charge is found by
the invoice payload in getStarTransactions, by CheckPayment and by the reconciliation worker, and
credited once; the late update itself then changes nothing."""

from __future__ import annotations

import datetime as dt

from core_server.domain.clock import FrozenClock
from core_server.domain.payments.reconcile import Reconciler
from sdk.billinghub.v1 import order_pb2, payment_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order
from tests.hub import Hub
from tests.money import assert_ledger_ok, balance
from tests.payments.stars import confirm, invoice, payment, stars_shop
from tests.providers.fakes.telegram import FakeTelegramBotApi

SUCCEEDED = payment_pb2.PAYMENT_STATUS_SUCCEEDED
PENDING = payment_pb2.PAYMENT_STATUS_PENDING


async def _run(worker: Reconciler) -> None:
    """Every check due now, in as many batches as it takes (the database is shared by all tests)."""
    while await worker.run_due():
        pass


async def test_check_payment_finds_a_lost_charge_by_its_payload(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Lost update")
    payload = (await invoice(bot, user, stars=300)).invoice.payload
    check = pb.CheckPaymentRequest(payment_id=payload, user_id=user)
    assert (await bot.payments.CheckPayment(check)).payment.status == PENDING
    charge = bot_api.pay(payload, 300)
    bot_api.noise(130)  # newer traffic pushes the charge to the second page

    checked = (await bot.payments.CheckPayment(check)).payment
    assert (checked.status, checked.provider_ref) == (SUCCEEDED, charge)
    late = await confirm(bot, user, payload, 300, charge)  # the update arrives after all
    assert (late.duplicate, late.payment.id) == (True, payload)
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 300
    await assert_ledger_ok(shop)


async def test_the_worker_recovers_a_lost_charge_and_settles_the_order(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Worker finds Stars")
    order = await create_order(shop, user, (await token_pack(shop, stars=100, tokens=1000)).id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload
    worker = Reconciler(clocked_hub.deps)
    charge = bot_api.pay(payload, 100)
    clock.advance(dt.timedelta(seconds=31))
    await _run(worker)
    assert (await payment(shop, payload)).provider_ref == charge
    fulfilled = (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order.id))).order
    assert fulfilled.status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    await assert_ledger_ok(shop)


async def test_an_unpaid_stars_invoice_is_asked_about_until_a_day_past_its_time(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Worker waits")
    payload = (await invoice(bot, user, stars=50)).invoice.payload
    worker = Reconciler(clocked_hub.deps)
    clock.advance(dt.timedelta(hours=2))  # past the top-up's hour to pay
    await _run(worker)
    assert (await payment(shop, payload)).status == PENDING  # a charge may still be found
    assert bot_api.calls("getStarTransactions")
    clock.advance(dt.timedelta(days=1))
    await _run(worker)
    assert (await payment(shop, payload)).status == payment_pb2.PAYMENT_STATUS_EXPIRED
    late = await confirm(bot, user, payload, 50, bot_api.pay(payload, 50))  # paid in the last second
    assert late.payment.status == SUCCEEDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 50
