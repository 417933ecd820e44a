"""Refunds of Telegram Stars payments to Telegram (RefundTelegramPayment -> refundStarPayment),
through the real core against a fake Bot API: the order the charge paid is refunded first (its
tokens reversed, commissions clawed back), the charge's Stars leave the wallet for
provider:telegram_stars before Telegram is asked, and Telegram's answer ends it: refunded, back
where it was (a refusal), or still refunding (no answer) until asked again. Money is exact at
every step, and a wallet that cannot give the Stars (or the tokens) back refuses the refund with
nothing changed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.payments.reconcile import Reconciler
from core_server.domain.payments.stars_refunds import CALL_LEASE
from core_server.store.models import PaymentRow
from sdk import BillingHubClient, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import order_pb2, package_pb2, payment_pb2, subscription_pb2, tenant_pb2, wallet_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, ensure_rub, price, token_pack
from tests.commerce.orders import create_order
from tests.commerce.promos import settled_event_types, settled_events
from tests.commerce.referrals import join, set_program
from tests.hub import Hub, TenantHandle
from tests.money import DEBIT, assert_ledger_ok, balance, money
from tests.payments.shop import open_topup, set_testpay
from tests.payments.stars import MONTH, confirm, invoice, payment, stars_shop
from tests.providers.fakes.telegram import FakeTelegramBotApi

P = payment_pb2
DAY = dt.timedelta(days=1)


async def refund(
    admin: BillingHubClient, payment_id: str, *, request_id: str = "", reason: str = "asked by the buyer"
) -> payment_pb2.Payment:
    request = pb.RefundTelegramPaymentRequest(
        request_id=request_id, payment_id=payment_id, reason=reason, actor="telegram:42"
    )
    return (await admin.payments.RefundTelegramPayment(request)).payment


async def _paid_with_stars(
    shop: TenantHandle, bot: BillingHubClient, bot_api: FakeTelegramBotApi, user: str, **order: object
) -> tuple[str, str]:
    """A token pack (100 XTR -> 1000 TOKEN) bought with Stars; (payment id, order id)."""
    pack = await token_pack(shop, stars=100, tokens=1000)
    bought = await create_order(shop, user, pack.id, **order)
    payload = (await invoice(bot, user, order=bought.id)).invoice.payload
    await confirm(bot, user, payload, 100, bot_api.pay(payload, 100))
    return payload, bought.id


async def _topped_up(bot: BillingHubClient, bot_api: FakeTelegramBotApi, user: str, stars: int) -> str:
    payload = (await invoice(bot, user, stars=stars)).invoice.payload
    await confirm(bot, user, payload, stars, bot_api.pay(payload, stars))
    return payload


async def _order(shop: TenantHandle, order_id: str) -> order_pb2.Order:
    return (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order_id))).order


async def _xtr(shop: TenantHandle, user: str) -> list[tuple[str, int, str, str]]:
    """The user's XTR transfers, sorted: (kind, signed amount for the wallet, other side, reference)
    (the transfers posted together have no order among them)."""
    listed = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=user, asset="XTR"))
    rows = []
    for t in reversed(listed.transfers):
        into = t.credit.user_id == user
        other = t.debit if into else t.credit
        name = other.system or other.user_id
        rows.append(
            (wallet_pb2.TransferKind.Name(t.kind), t.amount.amount_minor * (1 if into else -1), name, t.reference)
        )
    return sorted(rows)


async def test_a_token_pack_bought_with_stars_is_refunded_to_telegram(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Refund a pack")
    payment_id, order_id = await _paid_with_stars(shop, bot, bot_api, user)
    charge = (await payment(shop, payment_id)).provider_ref
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000

    refunded = await refund(shop.admin, payment_id)

    assert (refunded.status, refunded.provider_ref, refunded.received.amount_minor) == (
        P.PAYMENT_STATUS_REFUNDED,
        charge,
        100,
    )
    assert bot_api.calls("refundStarPayment") == [{"user_id": 1, "telegram_payment_charge_id": charge}]
    assert bot_api.refunded == [charge]
    order = await _order(shop, order_id)
    assert (order.status, order.refunded.amount_minor) == (order_pb2.ORDER_STATUS_REFUNDED, 100)
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 0  # the tokens reversed
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0  # the Stars went to Telegram
    reference = f"payment:{payment_id}"
    assert await _xtr(shop, user) == sorted(
        [
            ("TRANSFER_KIND_TOPUP", 100, "provider:telegram_stars", reference),
            ("TRANSFER_KIND_ORDER_PAYMENT", -100, "revenue", f"order:{order_id}"),
            ("TRANSFER_KIND_REFUND", 100, "revenue", f"order:{order_id}"),
            ("TRANSFER_KIND_REFUND", -100, "provider:telegram_stars", reference),
        ]
    )
    assert await settled_event_types(shop, "payment.") == [
        "payment.created",
        "payment.succeeded",
        "payment.refunding",
        "payment.refunded",
    ]
    assert await settled_event_types(shop, "order.refunded") == ["order.refunded"]
    again = await refund(shop.admin, payment_id)  # refunded is final: nothing more happens
    assert again.status == P.PAYMENT_STATUS_REFUNDED
    assert len(bot_api.calls("refundStarPayment")) == 1
    checked = await bot.payments.CheckPayment(pb.CheckPaymentRequest(payment_id=payment_id, user_id=user))
    assert checked.payment.status == P.PAYMENT_STATUS_REFUNDED  # never credited again
    await assert_ledger_ok(shop)


async def test_a_top_up_and_an_overpaid_order_are_refunded_whole(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Refund a top-up")
    topup = await _topped_up(bot, bot_api, user, 250)
    pack = await token_pack(shop, stars=100, tokens=1000)
    order = await create_order(shop, user, pack.id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload
    await confirm(bot, user, payload, 130, bot_api.pay(payload, 130))  # 30 more than asked
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 250 + 30

    assert (await refund(shop.admin, topup)).status == P.PAYMENT_STATUS_REFUNDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 30
    assert (await refund(shop.admin, payload)).status == P.PAYMENT_STATUS_REFUNDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0  # 100 from the order, 30 surplus
    assert (await _order(shop, order.id)).status == order_pb2.ORDER_STATUS_REFUNDED
    assert [c["telegram_payment_charge_id"] for c in bot_api.calls("refundStarPayment")] == bot_api.refunded
    assert len(bot_api.refunded) == 2
    await assert_ledger_ok(shop)


async def test_commissions_are_clawed_back_and_a_refunded_order_is_not_refunded_twice(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, _user, bot = await stars_shop(hub, bot_api, "Refund with a referrer")
    await set_program(shop, level_rates_bps=[1000])  # 10 % in the order's asset
    affiliate, code = await join(shop, "7")
    buyer, _ = await join(shop, "8", code)
    pack = await token_pack(shop, stars=100, tokens=1000)
    order = await create_order(shop, buyer, pack.id)
    payload = (await invoice(bot, buyer, order=order.id)).invoice.payload
    await confirm(bot, buyer, payload, 100, bot_api.pay(payload, 100, user=8))
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 10

    assert (await refund(shop.admin, payload)).status == P.PAYMENT_STATUS_REFUNDED
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 0
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 0
    assert bot_api.calls("refundStarPayment")[0]["user_id"] == 8

    other = await create_order(shop, buyer, pack.id)  # refunded to the wallet first, then to Telegram
    second = (await invoice(bot, buyer, order=other.id)).invoice.payload
    await confirm(bot, buyer, second, 100, bot_api.pay(second, 100, user=8))
    await shop.admin.orders.RefundOrder(orders_pb.RefundOrderRequest(order_id=other.id, reason="r", actor="a"))
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 100
    assert (await refund(shop.admin, second)).status == P.PAYMENT_STATUS_REFUNDED
    assert (await balance(shop.admin, buyer, "XTR")).posted.amount_minor == 0
    assert (await _order(shop, other.id)).refunded.amount_minor == 100
    await assert_ledger_ok(shop)


async def test_a_wallet_that_cannot_give_it_back_refuses_and_nothing_changes(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Spent already")
    topup = await _topped_up(bot, bot_api, user, 100)
    spend = wallet_pb.AdjustBalanceRequest(
        user_id=user, amount=money(1, "XTR"), direction=DEBIT, reason="spent", actor="tests"
    )
    await shop.admin.wallet.AdjustBalance(spend)
    payment_id, order_id = await _paid_with_stars(shop, bot, bot_api, user)
    await shop.admin.wallet.AdjustBalance(
        wallet_pb.AdjustBalanceRequest(
            user_id=user, amount=money(1, "TOKEN"), direction=DEBIT, reason="spent", actor="tests"
        )
    )
    before = await _xtr(shop, user)

    for payment_id_, asset in ((topup, "XTR"), (payment_id, "TOKEN")):
        with pytest.raises(FailedPrecondition) as short:
            await refund(shop.admin, payment_id_)
        assert (short.value.reason, short.value.metadata["asset"]) == ("INSUFFICIENT_FUNDS", asset)
        assert (await payment(shop, payment_id_)).status == P.PAYMENT_STATUS_SUCCEEDED

    assert (await _order(shop, order_id)).status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 999
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 99
    assert await _xtr(shop, user) == before
    assert bot_api.calls("refundStarPayment") == []
    assert [t for t in await settled_event_types(shop, "payment.") if "refund" in t] == []
    await assert_ledger_ok(shop)


async def test_a_refusal_by_telegram_puts_the_money_back(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Telegram says no")
    order = await create_order(shop, user, (await token_pack(shop, stars=100, tokens=1000)).id)
    payload = (await invoice(bot, user, order=order.id)).invoice.payload
    short = await confirm(bot, user, payload, 60, "charge-telegram-never-made")  # unknown to Telegram
    assert short.payment.status == P.PAYMENT_STATUS_UNDERPAID
    pack_payment, pack_order = await _paid_with_stars(shop, bot, bot_api, user)
    wrong_payer = (await invoice(bot, user, stars=40)).invoice.payload
    await confirm(bot, user, wrong_payer, 40, bot_api.pay(wrong_payer, 40, user=2))  # Telegram's payer is 2

    for payment_id, status, why in (
        (payload, P.PAYMENT_STATUS_UNDERPAID, "CHARGE_NOT_FOUND"),
        (wrong_payer, P.PAYMENT_STATUS_SUCCEEDED, "USER_ID_INVALID"),
    ):
        with pytest.raises(FailedPrecondition) as refused:
            await refund(shop.admin, payment_id)
        assert refused.value.reason == "PROVIDER_REJECTED"
        assert why in refused.value.message
        assert (await payment(shop, payment_id)).status == status
    assert (await refund(shop.admin, pack_payment)).status == P.PAYMENT_STATUS_REFUNDED
    assert (await _order(shop, pack_order)).status == order_pb2.ORDER_STATUS_REFUNDED
    assert (await _order(shop, order.id)).status == order_pb2.ORDER_STATUS_PENDING
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 60 + 40
    transfers = await _xtr(shop, user)
    assert [t for t in transfers if t[3] == f"payment:{payload}"] == [  # out, and back when Telegram said no
        ("TRANSFER_KIND_REFUND", -60, "provider:telegram_stars", f"payment:{payload}"),
        ("TRANSFER_KIND_REVERSAL", 60, "provider:telegram_stars", f"payment:{payload}"),
        ("TRANSFER_KIND_TOPUP", 60, "provider:telegram_stars", f"payment:{payload}"),
    ]
    failed = [json.loads(e.data) for e in await settled_events(shop, "payment.refund_failed")]
    assert [(e["payment_id"], e["status"]) for e in failed] == [(payload, "underpaid"), (wrong_payer, "succeeded")]
    assert bot_api.refunded == [(await payment(shop, pack_payment)).provider_ref]
    await assert_ledger_ok(shop)


async def test_no_answer_leaves_it_refunding_until_asked_again(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Telegram is down")
    first, order_id = await _paid_with_stars(shop, bot, bot_api, user)
    bot_api.misbehaviour.fail_next(503)  # nothing refunded, no answer
    pending = await refund(shop.admin, first)
    assert pending.status == P.PAYMENT_STATUS_REFUNDING
    assert (await _order(shop, order_id)).status == order_pb2.ORDER_STATUS_REFUNDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0  # out of the wallet already
    assert bot_api.refunded == []
    checked = await bot.payments.CheckPayment(pb.CheckPaymentRequest(payment_id=first, user_id=user))
    assert checked.payment.status == P.PAYMENT_STATUS_REFUNDING
    again = await refund(shop.admin, first)  # the admin asks again: Telegram refunds now
    assert again.status == P.PAYMENT_STATUS_REFUNDED
    assert len(bot_api.calls("refundStarPayment")) == 2

    second = await _topped_up(bot, bot_api, user, 70)
    bot_api.refund_then_fail(502)  # refunded at Telegram, the answer lost
    assert (await refund(shop.admin, second)).status == P.PAYMENT_STATUS_REFUNDING
    worker = Reconciler(clocked_hub.deps)
    await worker.run_due()  # its next ask is 30 s away
    assert len(bot_api.calls("refundStarPayment")) == 3
    clock.advance(dt.timedelta(seconds=31))
    while await worker.run_due():
        pass
    assert (await payment(shop, second)).status == P.PAYMENT_STATUS_REFUNDED  # CHARGE_ALREADY_REFUNDED: done
    assert len(bot_api.calls("refundStarPayment")) == 4
    assert bot_api.refunded == [(await payment(shop, p)).provider_ref for p in (first, second)]
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    assert [t for t in await settled_event_types(shop, "payment.") if "refund" in t] == [
        "payment.refunding",
        "payment.refunded",
        "payment.refunding",
        "payment.refunded",
    ]
    await assert_ledger_ok(shop)


async def test_a_charge_telegram_refunded_already_counts_as_refunded(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Refunded elsewhere")
    payment_id = await _topped_up(bot, bot_api, user, 90)
    bot_api.refunded.append((await payment(shop, payment_id)).provider_ref)  # refunded by other means
    assert (await refund(shop.admin, payment_id)).status == P.PAYMENT_STATUS_REFUNDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_ten_refunds_at_once_refund_once(hub: Hub, bot_api: FakeTelegramBotApi) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Refund storm")
    payment_id, order_id = await _paid_with_stars(shop, bot, bot_api, user)
    calls = [refund(shop.admin, payment_id, request_id="storm-1" if i % 2 else "") for i in range(10)]
    answers = await asyncio.gather(*calls)

    assert {a.status for a in answers} <= {P.PAYMENT_STATUS_REFUNDING, P.PAYMENT_STATUS_REFUNDED}
    assert P.PAYMENT_STATUS_REFUNDED in {a.status for a in answers}
    assert (await payment(shop, payment_id)).status == P.PAYMENT_STATUS_REFUNDED
    assert len(bot_api.calls("refundStarPayment")) == 1
    assert (await _order(shop, order_id)).refunded.amount_minor == 100
    assert [t[0] for t in await _xtr(shop, user)].count("TRANSFER_KIND_REFUND") == 2  # to the wallet, to Telegram
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_refunding_a_telegram_subscription_charge_ends_its_period_and_telegrams_renewal(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Refund a plan")
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="pro", period_days=30
    )
    order = await create_order(shop, user, plan.id)
    payload = (await invoice(bot, user, order=order.id, subscription_period=MONTH)).invoice.payload
    await confirm(
        bot, user, payload, 100, bot_api.pay(payload, 100, period=MONTH), is_recurring=True, is_first_recurring=True
    )
    clock.advance(29 * DAY)
    renewal = await confirm(bot, user, payload, 100, bot_api.pay(payload, 100, period=MONTH), is_recurring=True)
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest(user_id=user))
    [before] = listed.subscriptions
    assert before.renewed_by == "telegram_stars"

    assert (await refund(shop.admin, renewal.payment.id)).status == P.PAYMENT_STATUS_REFUNDED
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest(user_id=user))
    [after] = listed.subscriptions
    assert after.status == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    assert after.end_time.ToDatetime() == before.end_time.ToDatetime() - 30 * DAY  # the refunded period taken back
    assert after.renewed_by == ""  # the wallet renews it now
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_what_cannot_be_refunded_is_refused_and_bad_input_names_the_field(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "Refund rules")
    pending = (await invoice(bot, user, stars=10)).invoice.payload
    await ensure_rub(shop)
    await set_testpay(shop)
    testpay = await open_topup(shop, user)
    for payment_id in (pending, testpay.id):
        with pytest.raises(FailedPrecondition) as refused:
            await refund(shop.admin, payment_id)
        assert refused.value.reason == "PAYMENT_NOT_REFUNDABLE"
    with pytest.raises(NotFound) as missing:
        await refund(shop.admin, str(uuid.uuid4()))
    assert missing.value.reason == "PAYMENT_NOT_FOUND"

    paid = await _topped_up(bot, bot_api, user, 10)
    for request, field in (
        (pb.RefundTelegramPaymentRequest(payment_id="", reason="r", actor="a"), "payment_id"),
        (pb.RefundTelegramPaymentRequest(payment_id="nope", reason="r", actor="a"), "payment_id"),
        (pb.RefundTelegramPaymentRequest(payment_id=paid, reason=" ", actor="a"), "reason"),
        (pb.RefundTelegramPaymentRequest(payment_id=paid, reason="r" * 501, actor="a"), "reason"),
        (pb.RefundTelegramPaymentRequest(payment_id=paid, reason="r", actor=""), "actor"),
        (pb.RefundTelegramPaymentRequest(payment_id=paid, reason="r", actor="a\x00"), "actor"),
    ):
        with pytest.raises(InvalidArgument) as bad:
            await shop.admin.payments.RefundTelegramPayment(request)
        assert [v.field for v in bad.value.field_violations] == [field]
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    with pytest.raises(PermissionDenied):
        await refund(partner, paid)
    other = await hub.new_tenant("Another shop")
    with pytest.raises(NotFound):
        await refund(other.admin, paid)

    first = await refund(shop.admin, paid, request_id="once")
    with pytest.raises(InvalidArgument) as reused:
        await refund(shop.admin, paid, request_id="once", reason="another reason")
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert (await refund(shop.admin, paid, request_id="once")) == first
    assert len(bot_api.calls("refundStarPayment")) == 1
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_a_tenant_without_a_bot_token_is_refused_before_anything_moves(
    hub: Hub, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(hub, bot_api, "No bot to refund with", bot_token="")
    payload = (await invoice(bot, user, stars=10)).invoice.payload
    await confirm(bot, user, payload, 10, "charge-of-a-botless-shop")
    with pytest.raises(FailedPrecondition) as refused:
        await refund(shop.admin, payload)
    assert (refused.value.reason, "bot token" in refused.value.message) == ("PROVIDER_REJECTED", True)
    assert (await payment(shop, payload)).status == P.PAYMENT_STATUS_SUCCEEDED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 10
    await assert_ledger_ok(shop)


async def test_one_caller_asks_at_a_time_and_a_dead_callers_lease_runs_out(
    clocked_hub: Hub, clock: FrozenClock, bot_api: FakeTelegramBotApi
) -> None:
    shop, user, bot = await stars_shop(clocked_hub, bot_api, "Lease of the call")
    payment_id = await _topped_up(bot, bot_api, user, 50)
    bot_api.misbehaviour.fail_next(504)
    assert (await refund(shop.admin, payment_id)).status == P.PAYMENT_STATUS_REFUNDING
    async with clocked_hub.deps.uow() as uow:  # a core took the call and stopped before an answer
        row = await uow.session.get(PaymentRow, (uuid.UUID(shop.id), uuid.UUID(payment_id)))
        assert row is not None and row.refund_call_until is None
        row.refund_call_until = clock.now() + CALL_LEASE
        await uow.commit()
    clock.advance(dt.timedelta(minutes=1))
    assert (await refund(shop.admin, payment_id)).status == P.PAYMENT_STATUS_REFUNDING  # held: not asked
    await Reconciler(clocked_hub.deps).run_due()
    assert len(bot_api.calls("refundStarPayment")) == 1
    clock.advance(CALL_LEASE)
    assert (await refund(shop.admin, payment_id)).status == P.PAYMENT_STATUS_REFUNDED
    assert len(bot_api.calls("refundStarPayment")) == 2
    await assert_ledger_ok(shop)
