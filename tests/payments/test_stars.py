"""Telegram Stars through the core, as the bot gateway drives it against a fake Bot API: an
invoice, the pre-checkout answer, the successful_payment credited once (however often and however
concurrently it is confirmed), renewals of Telegram subscriptions, and charges that match nothing
credited all the same."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument, PermissionDenied
from sdk.billinghub.v1 import order_pb2, package_pb2, payment_pb2, tenant_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, price, stars_per_unit, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_event_types
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user
from tests.payments.stars import MONTH, confirm, invoice, payment, pre_checkout, stars_shop, user_payments
from tests.providers.fakes.telegram import FakeTelegramBotApi

SUCCEEDED = payment_pb2.PAYMENT_STATUS_SUCCEEDED
PENDING = payment_pb2.PAYMENT_STATUS_PENDING
R = payment_pb2


async def _order(shop: TenantHandle, order_id: str) -> order_pb2.Order:
    return (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order_id))).order


async def _plan(shop: TenantHandle, days: int = 30, stars: int = 100) -> package_pb2.Package:
    return await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(stars, "XTR"), plan_code="pro", period_days=days
    )


async def test_a_token_pack_is_bought_with_stars(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Stars shop")
    pack = await token_pack(shop, stars=100, tokens=1000)
    order = await create_order(shop, user, pack.id)

    opened = await invoice(bot, user, order=order.id, create_link=True)
    sent = opened.invoice
    assert (sent.title, sent.currency, sent.payload, sent.subscription_period) == (
        "Package",
        "XTR",
        opened.payment.id,
        0,
    )
    assert [(p.label, p.amount) for p in sent.prices] == [("Package", 100)]
    assert opened.invoice_link.startswith("https://t.me/$") and opened.payment.pay_url == opened.invoice_link
    assert (opened.payment.provider, opened.payment.provider_ref, opened.payment.status) == (
        "telegram_stars",
        "",
        PENDING,
    )
    [link] = bot_api.calls("createInvoiceLink")
    assert (link["payload"], link["currency"], link["provider_token"]) == (opened.payment.id, "XTR", "")
    assert link["prices"] == [{"label": "Package", "amount": 100}]

    assert (await pre_checkout(bot, user, sent.payload, 100)).ok
    charge = bot_api.pay(sent.payload, 100)
    confirmed = await confirm(bot, user, sent.payload, 100, charge)

    assert not confirmed.duplicate
    assert (confirmed.payment.status, confirmed.payment.provider_ref) == (SUCCEEDED, charge)
    assert (confirmed.payment.received.asset, confirmed.payment.received.amount_minor) == ("XTR", 100)
    paid = await _order(shop, order.id)
    assert (paid.status, paid.paid_via) == (order_pb2.ORDER_STATUS_FULFILLED, "provider:telegram_stars")
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    assert await settled_event_types(shop, "payment.") == ["payment.created", "payment.succeeded"]
    assert bot_api.calls("getStarTransactions") == []  # the bot's own update needs no lookup
    await assert_ledger_ok(shop)


async def test_an_invoice_without_a_link_asks_telegram_nothing(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    _shop, user, bot = await stars_shop(hub, bot_api, "Invoice only")
    opened = await invoice(bot, user, stars=500, title="Stars", description="500 Stars for the wallet")
    assert (opened.invoice.title, opened.invoice.description) == ("Stars", "500 Stars for the wallet")
    assert [(p.amount) for p in opened.invoice.prices] == [500]
    assert (opened.invoice_link, opened.payment.pay_url) == ("", "")
    assert bot_api.recorded == []
    defaults = await invoice(bot, user, stars=20)
    assert (defaults.invoice.title, defaults.invoice.description) == ("Top-up", "20 Stars to your balance")


async def test_pre_checkout_refusals_answer_and_change_nothing(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Pre-checkout")
    stranger = await new_user(shop, "2")
    order = await create_order(shop, user, (await token_pack(shop, stars=100)).id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload
    refusals = {
        "amount": await pre_checkout(bot, user, payload, 99),
        "currency": await pre_checkout(bot, user, payload, 100, currency="USD"),
        "user": await pre_checkout(bot, stranger, payload, 100),
        "unknown": await pre_checkout(bot, user, str(uuid.uuid4()), 100),
        "not an id": await pre_checkout(bot, user, "topup:100", 100),
    }
    assert {name: (answer.ok, answer.refusal) for name, answer in refusals.items()} == {
        "amount": (False, R.PRE_CHECKOUT_REFUSAL_AMOUNT_MISMATCH),
        "currency": (False, R.PRE_CHECKOUT_REFUSAL_AMOUNT_MISMATCH),
        "user": (False, R.PRE_CHECKOUT_REFUSAL_WRONG_USER),
        "unknown": (False, R.PRE_CHECKOUT_REFUSAL_UNKNOWN_INVOICE),
        "not an id": (False, R.PRE_CHECKOUT_REFUSAL_UNKNOWN_INVOICE),
    }
    assert all(answer.error_message for answer in refusals.values())

    await fund(shop, user, 100, "XTR")
    await pay(shop, order.id)  # paid from the wallet meanwhile
    gone = await pre_checkout(bot, user, payload, 100)
    assert (gone.ok, gone.refusal) == (False, R.PRE_CHECKOUT_REFUSAL_ORDER_NOT_PENDING)

    paid_payload = (await invoice(bot, user, stars=30)).invoice.payload
    await confirm(bot, user, paid_payload, 30, bot_api.pay(paid_payload, 30))
    twice = await pre_checkout(bot, user, paid_payload, 30)
    assert (twice.ok, twice.refusal, twice.error_message) == (
        False,
        R.PRE_CHECKOUT_REFUSAL_ALREADY_PAID,
        "This invoice is already paid.",
    )
    assert (await payment(shop, payload)).status == PENDING
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 30
    assert (await balance(shop.admin, stranger, "XTR")).posted.amount_minor == 0
    assert bot_api.calls("getStarTransactions") == []  # a pre-checkout asks no provider
    await assert_ledger_ok(shop)


async def test_pre_checkout_refuses_an_expired_order(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Expired order")
    order = await create_order(shop, user, (await token_pack(shop, stars=100)).id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload
    assert (await pre_checkout(bot, user, payload, 100)).ok
    clock.advance(dt.timedelta(days=2))
    late = await pre_checkout(bot, user, payload, 100)
    assert (late.ok, late.refusal) == (False, R.PRE_CHECKOUT_REFUSAL_EXPIRED)
    assert (await payment(shop, payload)).status == PENDING


async def test_the_same_charge_twice_or_twenty_at_once_credits_once(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Charge storm")
    first = (await invoice(bot, user, stars=250)).invoice.payload
    charge = bot_api.pay(first, 250)
    once, again = await confirm(bot, user, first, 250, charge), await confirm(bot, user, first, 250, charge)
    assert (once.duplicate, again.duplicate) == (False, True)
    assert once.payment == again.payment

    second = (await invoice(bot, user, stars=70)).invoice.payload
    storm_charge = bot_api.pay(second, 70)
    storm = await asyncio.gather(*(confirm(bot, user, second, 70, storm_charge) for _ in range(20)))
    assert [answer.duplicate for answer in storm].count(False) == 1
    assert {answer.payment.id for answer in storm} == {second}
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 320
    transfers = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=user, asset="XTR"))
    assert len(transfers.transfers) == 2
    assert len(await user_payments(shop, user)) == 2
    await assert_ledger_ok(shop)


async def test_a_telegram_subscription_renewal_extends_the_plan(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Stars subscription")
    plan = await _plan(shop)
    order = await create_order(shop, user, plan.id)
    opened = await invoice(bot, user, order=order.id, subscription_period=MONTH, create_link=True)
    assert opened.invoice.subscription_period == MONTH
    assert bot_api.calls("createInvoiceLink")[0]["subscription_period"] == MONTH
    payload, started = opened.invoice.payload, clock.now()
    assert (await pre_checkout(bot, user, payload, 100)).ok
    first = bot_api.pay(payload, 100, period=MONTH)
    await confirm(bot, user, payload, 100, first, is_recurring=True, is_first_recurring=True)
    assert await _plan_end(shop, user) == started + dt.timedelta(days=30)

    clock.advance(dt.timedelta(days=29, hours=23))
    renewal = bot_api.pay(payload, 100, period=MONTH)
    flags = {"is_recurring": True, "subscription_expiration_date": int((started + dt.timedelta(days=60)).timestamp())}
    renewed = await asyncio.gather(*(confirm(bot, user, payload, 100, renewal, **flags) for _ in range(5)))

    assert [answer.duplicate for answer in renewed].count(False) == 1
    [new_payment] = {answer.payment.id: answer.payment for answer in renewed}.values()
    assert (new_payment.provider_ref, new_payment.status) == (renewal, SUCCEEDED)
    assert new_payment.order_id not in ("", order.id)
    assert (await _order(shop, new_payment.order_id)).status == order_pb2.ORDER_STATUS_FULFILLED
    assert await _plan_end(shop, user) == started + dt.timedelta(days=60)
    orders = await shop.admin.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=user))
    assert len(orders.orders) == 2  # the losers of the race left no order behind
    assert (await payment(shop, payload)).provider_ref == first
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def _plan_end(shop: TenantHandle, user: str) -> dt.datetime:
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest(user_id=user))
    [subscription] = listed.subscriptions
    return subscription.end_time.ToDatetime(tzinfo=dt.UTC)


async def test_a_subscription_invoice_is_only_for_a_thirty_day_plan(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Subscription rules")
    weekly = await create_order(shop, user, (await _plan(shop, days=7)).id)
    pack = await create_order(shop, user, (await token_pack(shop)).id)
    for fields in (
        {"order": weekly.id, "subscription_period": MONTH},
        {"order": pack.id, "subscription_period": MONTH},
        {"stars": 100, "subscription_period": MONTH},
        {"order": pack.id, "subscription_period": 86_400},
    ):
        with pytest.raises(InvalidArgument) as bad:
            await invoice(bot, user, **fields)  # type: ignore[arg-type]
        assert [v.field for v in bad.value.field_violations] == ["subscription_period"]
    assert await user_payments(shop, user) == []


async def test_bad_input_names_the_field_and_changes_nothing(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Bad input")
    payload = (await invoice(bot, user, stars=10)).invoice.payload
    cases = [
        (invoice(bot, user, stars=10, title="t" * 33), "title"),
        (invoice(bot, user, stars=10, description="d" * 256), "description"),
        (invoice(bot, user), "order_id"),
        (invoice(bot, "not-an-id", stars=10), "user_id"),
        (pre_checkout(bot, user, payload, 0), "total_amount"),
        (pre_checkout(bot, user, "p" * 129, 10), "payload"),
        (pre_checkout(bot, "nope", payload, 10), "user_id"),
        (confirm(bot, user, payload, 10, ""), "telegram_payment_charge_id"),
        (confirm(bot, user, payload, 10, "c1", currency="xtr"), "currency"),
        (confirm(bot, user, payload, 10**15 + 1, "c1"), "total_amount"),
        (confirm(bot, user, "", 10, "c1"), "payload"),
        (confirm(bot, user, payload, 10, "c1", subscription_expiration_date=-1), "subscription_expiration_date"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidArgument) as bad:
            await call
        assert field in [v.field for v in bad.value.field_violations]
    with pytest.raises(InvalidArgument) as rub:
        await bot.payments.CreateStarsInvoice(pb.CreateStarsInvoiceRequest(user_id=user, amount=price(100, "RUB")))
    assert [v.field for v in rub.value.field_violations] == ["amount.asset"]
    assert [p.id for p in await user_payments(shop, user)] == [payload]
    assert (await payment(shop, payload)).status == PENDING
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0


async def test_orders_not_priced_in_stars_and_tenants_without_a_bot_are_refused(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Roubles")
    rub_order = await create_order(shop, user, (await stars_per_unit(shop)).id, recipient="friend_here")
    with pytest.raises(FailedPrecondition) as rub:
        await invoice(bot, user, order=rub_order.id)
    assert rub.value.reason == "AMOUNT_OUT_OF_RANGE"

    botless, buyer, botless_gateway = await stars_shop(hub, bot_api, "No bot", bot_token="")
    with pytest.raises(FailedPrecondition) as no_bot:
        await invoice(botless_gateway, buyer, stars=10, create_link=True)
    assert no_bot.value.reason == "PROVIDER_REJECTED"
    assert "bot token" in no_bot.value.message
    assert await user_payments(botless, buyer) == []
    assert (await invoice(botless_gateway, buyer, stars=10)).invoice.payload  # the bot sends it itself
    assert bot_api.recorded == []


async def test_a_repeated_request_id_returns_the_first_invoice(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Idempotent invoice")
    first, second = await asyncio.gather(
        invoice(bot, user, stars=40, create_link=True, request_id="inv-1", title="Forty"),
        invoice(bot, user, stars=40, create_link=True, request_id="inv-1", title="Forty"),
    )
    assert first.payment.id == second.payment.id
    assert first.invoice == second.invoice
    assert len(bot_api.calls("createInvoiceLink")) == 1
    with pytest.raises(InvalidArgument):
        await invoice(bot, user, stars=41, create_link=True, request_id="inv-1")
    assert len(await user_payments(shop, user)) == 1


async def test_charges_that_match_no_invoice_are_credited_all_the_same(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Stray charges")
    stranger = await new_user(shop, "2")
    order = await create_order(shop, user, (await token_pack(shop, stars=100)).id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload

    short = await confirm(bot, user, payload, 60, bot_api.pay(payload, 60))
    assert short.payment.status == payment_pb2.PAYMENT_STATUS_UNDERPAID
    assert (await _order(shop, order.id)).status == order_pb2.ORDER_STATUS_PENDING
    second = await confirm(bot, user, payload, 100, bot_api.pay(payload, 100))  # the same invoice paid again
    assert second.payment.id != payload and not second.payment.order_id
    unknown = await confirm(bot, user, "gift-42", 15, bot_api.pay("gift-42", 15))
    foreign = await confirm(bot, stranger, payload, 100, bot_api.pay(payload, 100, user=2))
    assert (foreign.payment.user_id, foreign.payment.status) == (stranger, SUCCEEDED)
    for stray in (second, unknown, foreign):
        assert stray.payment.status == SUCCEEDED
        assert "credited to the wallet" in stray.payment.failure_reason
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 60 + 100 + 15
    assert (await balance(shop.admin, stranger, "XTR")).posted.amount_minor == 100
    await assert_ledger_ok(shop)


async def test_a_stray_charge_in_a_currency_the_tenant_lacks_is_recorded_not_credited(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    """A successful_payment naming no invoice and a currency that is no asset of the tenant (the
    Bot API says XTR, but the core answers any caller): recorded, nothing credited, answered."""
    shop, user, bot = await stars_shop(hub, bot_api, "Odd currency")
    for currency, charge in (("ZZZ", "odd-charge-1"), ("RUB", "odd-charge-2")):
        odd = await confirm(bot, user, "no-invoice", 100, charge, currency)
        assert odd.payment.status == payment_pb2.PAYMENT_STATUS_UNDERPAID
        assert f"100 minor units of {currency}: nothing credited" in odd.payment.failure_reason
        again = await confirm(bot, user, "no-invoice", 100, charge, currency)
        assert (again.payment.id, again.duplicate) == (odd.payment.id, True)
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_only_the_bot_gateway_confirms_telegram_payments(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Roles")
    payload = (await invoice(bot, user, stars=10)).invoice.payload
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    for caller in (partner, shop.admin):
        with pytest.raises(PermissionDenied):
            await confirm(caller, user, payload, 10, "forged")
        with pytest.raises(PermissionDenied):
            await pre_checkout(caller, user, payload, 10)
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
