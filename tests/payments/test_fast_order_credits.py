"""A provider's payment that pays an order, on the ORM path and on the fast path with the same
assertions (tests/commerce/paths.py): the wallet credited from `provider:testpay` and the order
settled from it in the same transaction, for every kind the fast path delivers; an overpaid
order keeps the surplus in the wallet, an underpaid one stays pending; fifty concurrent
deliveries of one payment credit and settle once."""

from __future__ import annotations

import asyncio
import json

import pytest

from sdk.billinghub.v1 import fulfillment_pb2, order_pb2, order_service_pb2, package_pb2, payment_pb2, wallet_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import subscription_service_pb2 as subs_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order
from tests.commerce.paths import PATHS, OrmCalls, choose_path
from tests.commerce.promos import settled_events
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, new_user
from tests.payments.shop import deliver, invoice_of, open_for_order, shop_with_testpay
from tests.payments.testpay import PROVIDER

APPLIED = pb.WEBHOOK_OUTCOME_APPLIED
DUPLICATE = pb.WEBHOOK_OUTCOME_DUPLICATE
SUCCEEDED = payment_pb2.PAYMENT_STATUS_SUCCEEDED
UNDERPAID = payment_pb2.PAYMENT_STATUS_UNDERPAID
TOPUP, PAYMENT, DELIVERY = (
    wallet_pb2.TRANSFER_KIND_TOPUP,
    wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT,
    wallet_pb2.TRANSFER_KIND_DELIVERY,
)


async def token_pack(shop: TenantHandle) -> package_pb2.Package:
    return await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(50_000, "RUB"), delivers=price(1000, "TOKEN")
    )


async def paid_order(
    hub: Hub, shop: TenantHandle, package: str, amount: int | None = None, **fields: object
) -> tuple[str, payment_pb2.Payment, order_pb2.Order]:
    """A new buyer's order of `package`, paid at testpay (`amount`: what arrived, its total when
    None) and delivered once: (the buyer, the payment, the order) as they are afterwards."""
    user = await new_user(shop, f"buyer-{package[-6:]}-{amount}")
    order = await create_order(shop, user, package, **fields)
    payment = await open_for_order(shop, user, order.id)
    PROVIDER.pay(payment.provider_ref, amount=amount)
    assert (await deliver(hub, shop, invoice_of(payment))).outcome == APPLIED
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment.id))).payment
    now = (await shop.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order.id))).order
    return user, got, now


async def warm_up(hub: Hub, shop: TenantHandle, calls: OrmCalls) -> None:
    """One order settled by testpay teaches the core the accounts it moves (the ORM path takes it)."""
    await paid_order(hub, shop, (await token_pack(shop)).id)
    calls.count()


async def rub_kinds(shop: TenantHandle, user: str) -> list[int]:
    moved = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=user, asset="RUB"))
    return sorted(t.kind for t in moved.transfers)


async def event_trail(shop: TenantHandle, user: str) -> list[tuple[str, object]]:
    """The buyer's events after its registration: (type, status or what order_settled says)."""
    events = await settled_events(shop, "order.", "payment.", "wallet.", "subscription.", "task.")
    mine = [(e.type, json.loads(e.data)) for e in events]
    return [
        (kind, data.get("order_settled", data.get("status")))
        for kind, data in mine
        if data.get("user_id") == user and kind not in ("order.created", "payment.created")
    ]


@PATHS
async def test_a_token_pack_paid_exactly_or_overpaid_is_settled_alike(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop, _ = await shop_with_testpay(hub, "Orders at testpay")
    await warm_up(hub, shop, calls)
    pack = await token_pack(shop)
    user, payment, order = await paid_order(hub, shop, pack.id)
    assert (payment.status, payment.received.amount_minor, bool(payment.credit_transfer_id)) == (
        SUCCEEDED,
        50_000,
        True,
    )
    assert (order.status, order.paid_via) == (order_pb2.ORDER_STATUS_FULFILLED, "provider:testpay")
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    assert await rub_kinds(shop, user) == sorted([TOPUP, PAYMENT])
    assert await event_trail(shop, user) == [
        ("wallet.credited", None),
        ("wallet.debited", None),
        ("wallet.credited", None),
        ("order.paid", "fulfilled"),
        ("order.fulfilled", "fulfilled"),
        ("payment.succeeded", True),
    ]
    over, overpaid, settled = await paid_order(hub, shop, pack.id, amount=50_700)
    assert (overpaid.status, settled.status) == (SUCCEEDED, order_pb2.ORDER_STATUS_FULFILLED)
    assert (await balance(shop.admin, over, "RUB")).posted.amount_minor == 700  # the surplus stays
    assert (await balance(shop.admin, over, "TOKEN")).posted.amount_minor == 1000
    again = await deliver(hub, shop, invoice_of(overpaid))
    assert again.outcome == DUPLICATE
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_an_underpaid_order_stays_pending_with_the_money_in_the_wallet(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop, _ = await shop_with_testpay(hub, "Underpaid at testpay")
    await warm_up(hub, shop, calls)
    user, payment, order = await paid_order(hub, shop, (await token_pack(shop)).id, amount=30_000)
    assert (payment.status, order.status) == (UNDERPAID, order_pb2.ORDER_STATUS_PENDING)
    assert "received 30000" in payment.failure_reason
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 30_000
    assert await event_trail(shop, user) == [("wallet.credited", None), ("payment.underpaid", "underpaid")]
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_a_plan_and_a_premium_gift_paid_at_the_provider_are_delivered_alike(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop, _ = await shop_with_testpay(hub, "Plans and gifts at testpay")
    await warm_up(hub, shop, calls)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(30_000, "RUB"), plan_code="pro", period_days=30
    )
    premium = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(40_000, "RUB"), premium_months=6
    )
    subscriber, payment, order = await paid_order(hub, shop, plan.id)
    assert (payment.status, order.status) == (SUCCEEDED, order_pb2.ORDER_STATUS_FULFILLED)
    listed = await shop.admin.subscriptions.ListSubscriptions(subs_pb.ListSubscriptionsRequest(user_id=subscriber))
    [running] = listed.subscriptions
    assert (running.plan_code, running.last_order_id) == ("pro", order.id)
    assert [kind for kind, _ in await event_trail(shop, subscriber)] == [
        "wallet.credited",
        "subscription.activated",
        "wallet.debited",
        "order.paid",
        "order.fulfilled",
        "payment.succeeded",
    ]
    fan, paid, gift = await paid_order(hub, shop, premium.id, recipient="@durov_fan")
    assert (paid.status, gift.status, gift.paid_via) == (SUCCEEDED, order_pb2.ORDER_STATUS_PAID, "provider:testpay")
    tasks = await shop.admin.fulfillment.ListTasks(fpb.ListTasksRequest(order_id=gift.id))
    [task] = tasks.tasks
    assert (task.status, json.loads(task.payload)) == (
        fulfillment_pb2.TASK_STATUS_QUEUED,
        {"recipient": "durov_fan", "months": 6},
    )
    assert [kind for kind, _ in await event_trail(shop, fan)] == [
        "wallet.credited",
        "task.created",
        "wallet.debited",
        "order.paid",
        "payment.succeeded",
    ]
    assert (await balance(shop.admin, fan, "RUB")).posted.amount_minor == 0
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_a_payment_of_a_cancelled_order_stays_in_the_wallet_alike(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """The fast path leaves this one to the ORM path, which records why the order was not settled."""
    calls = choose_path(monkeypatch, fast)
    shop, _ = await shop_with_testpay(hub, "Cancelled at testpay")
    await warm_up(hub, shop, calls)
    user = await new_user(shop, "changed their mind")
    order = await create_order(shop, user, (await token_pack(shop)).id)
    payment = await open_for_order(shop, user, order.id)
    await shop.admin.orders.CancelOrder(order_service_pb2.CancelOrderRequest(order_id=order.id))
    PROVIDER.pay(payment.provider_ref)
    assert (await deliver(hub, shop, invoice_of(payment))).outcome == APPLIED
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment.id))).payment
    assert got.status == SUCCEEDED
    assert "order not settled (the order is cancelled)" in got.failure_reason
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 50_000
    await assert_ledger_ok(shop)


@PATHS
async def test_fifty_concurrent_deliveries_of_an_order_payment_settle_it_once(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop, _ = await shop_with_testpay(hub, "Storm of order payments")
    await warm_up(hub, shop, calls)
    user = await new_user(shop, "storm buyer")
    order = await create_order(shop, user, (await token_pack(shop)).id)
    payment = await open_for_order(shop, user, order.id)
    PROVIDER.pay(payment.provider_ref, amount=50_001)
    results = await asyncio.gather(*(deliver(hub, shop, invoice_of(payment)) for _ in range(50)))
    assert all(r.http_status == 200 for r in results)
    assert [r.outcome for r in results].count(APPLIED) == 1
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 1
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    assert await rub_kinds(shop, user) == sorted([TOPUP, PAYMENT])
    tokens = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=user, asset="TOKEN"))
    assert [t.kind for t in tokens.transfers] == [DELIVERY]
    settled = (await shop.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order.id))).order
    assert settled.status == order_pb2.ORDER_STATUS_FULFILLED
    if fast:  # the fifty did not wait on the ORM path: at most the losers' reads found it credited
        assert calls.calls == []
    await assert_ledger_ok(shop)
