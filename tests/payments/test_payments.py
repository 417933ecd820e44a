"""Provider payments through the core, with the in-memory `testpay` provider: a top-up or an
order paid at a provider is credited once, however often and however concurrently it is
reported; underpaid, overpaid, wrong-asset and late payments credit what arrived."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Callable

import pytest

from core_server.domain.deps import Deps
from core_server.domain.payments.service import PaymentService
from core_server.domain.provider_api import ProviderRejected, ProviderState, ProviderUnavailable
from core_server.store.unit_of_work import UnitOfWork
from sdk import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from sdk.billinghub.v1 import order_pb2, order_service_pb2, package_pb2, payment_pb2, wallet_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_event_types
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, money, new_user
from tests.payments.shop import deliver, invoice_of, open_for_order, open_topup, shop_with_testpay
from tests.payments.testpay import PROVIDER

APPLIED = pb.WEBHOOK_OUTCOME_APPLIED
DUPLICATE = pb.WEBHOOK_OUTCOME_DUPLICATE
SUCCEEDED = payment_pb2.PAYMENT_STATUS_SUCCEEDED
UNDERPAID = payment_pb2.PAYMENT_STATUS_UNDERPAID


async def _rub_token_pack(shop: TenantHandle, rub: int = 50_000, tokens: int = 1000) -> package_pb2.Package:
    return await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(rub, "RUB"), delivers=price(tokens, "TOKEN")
    )


async def test_a_paid_topup_is_credited_once_and_repeats_change_nothing(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Paid top-up")
    payment = await open_topup(shop, user, 50_000)
    assert payment.status == payment_pb2.PAYMENT_STATUS_PENDING
    assert payment.pay_url.startswith("https://testpay.invalid/pay/")
    assert payment.provider_ref
    PROVIDER.pay(payment.provider_ref)
    first = await deliver(hub, shop, invoice_of(payment))
    assert (first.http_status, first.body, first.outcome) == (200, b"OK", APPLIED)
    assert first.payment_id == payment.id
    again = await deliver(hub, shop, invoice_of(payment))
    assert (again.http_status, again.outcome) == (200, DUPLICATE)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 50_000
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment.id))).payment
    assert got.status == SUCCEEDED
    assert (got.received.asset, got.received.amount_minor) == ("RUB", 50_000)
    assert got.credit_transfer_id
    assert await settled_event_types(shop, "payment.") == ["payment.created", "payment.succeeded"]
    await assert_ledger_ok(shop)


def _units_opened_by_ingest(monkeypatch: pytest.MonkeyPatch, deps: Deps) -> Counter[str]:
    """How many read and write units PaymentService.ingest opens (its own calls only: the frames
    above the opening are searched for it, so the core's workers are not counted)."""
    opened: Counter[str] = Counter()

    def counting(kind: str, make: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
        def open_unit() -> UnitOfWork:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code is not PaymentService.ingest.__code__:
                frame = frame.f_back  # type: ignore[assignment]
            if frame is not None:
                opened[kind] += 1
            return make()

        return open_unit

    monkeypatch.setattr(deps, "read_uow", counting("read", deps.read_uow))
    monkeypatch.setattr(deps, "uow", counting("write", deps.uow))
    return opened


async def test_a_delivery_reads_in_one_transaction_and_a_duplicate_writes_nothing(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user = await shop_with_testpay(hub, "Cheap duplicates")
    payment = await open_topup(shop, user, 3_000)
    PROVIDER.pay(payment.provider_ref)
    opened = _units_opened_by_ingest(monkeypatch, hub.deps)
    assert (await deliver(hub, shop, invoice_of(payment))).outcome == APPLIED
    assert opened == {"read": 1, "write": 1}  # settings, signature and payment in one read; the credit
    opened.clear()
    again = await deliver(hub, shop, invoice_of(payment))
    assert (again.http_status, again.outcome, again.payment_id) == (200, DUPLICATE, payment.id)
    assert opened == {"read": 1}  # credited is final: no row lock, no write
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 3_000
    await assert_ledger_ok(shop)


async def test_a_warm_top_up_credit_takes_the_fast_path_with_the_same_result(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first credit from a provider's account warms its bucket cache on the ORM path; later
    top-up credits run as a few raw statements (payments/fast_credit.py) and leave the same
    trace: the transfer, the payment's state, its events, balanced books."""
    shop, user = await shop_with_testpay(hub, "Fast credits")
    cold = await open_topup(shop, user, 3_000)
    PROVIDER.pay(cold.provider_ref)
    await deliver(hub, shop, invoice_of(cold))
    warm, short = await open_topup(shop, user, 4_000), await open_topup(shop, user, 5_000)
    PROVIDER.pay(warm.provider_ref)
    PROVIDER.pay(short.provider_ref, amount=4_500)
    opened = _units_opened_by_ingest(monkeypatch, hub.deps)
    assert (await deliver(hub, shop, invoice_of(warm))).outcome == APPLIED
    assert (await deliver(hub, shop, invoice_of(short))).outcome == APPLIED
    assert opened == {"read": 2}  # no ORM write unit: the raw transaction credited both
    assert (await deliver(hub, shop, invoice_of(warm))).outcome == DUPLICATE
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=warm.id))).payment
    assert (got.status, got.received.amount_minor, bool(got.credit_transfer_id)) == (SUCCEEDED, 4_000, True)
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=short.id))).payment
    assert (got.status, got.received.amount_minor) == (UNDERPAID, 4_500)
    assert "received 4500" in got.failure_reason
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 3_000 + 4_000 + 4_500
    types = await settled_event_types(shop, "payment.")
    assert types.count("payment.succeeded") == 2 and types.count("payment.underpaid") == 1
    await assert_ledger_ok(shop)


async def test_fifty_concurrent_deliveries_of_one_payment_credit_once(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Storm of deliveries")
    payment = await open_topup(shop, user, 12_345)
    PROVIDER.pay(payment.provider_ref)
    results = await asyncio.gather(*(deliver(hub, shop, invoice_of(payment)) for _ in range(50)))
    assert all(r.http_status == 200 for r in results)
    assert [r.outcome for r in results].count(APPLIED) == 1
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 12_345
    transfers = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=user, asset="RUB"))
    assert len(transfers.transfers) == 1
    await assert_ledger_ok(shop)


async def test_webhooks_and_checks_racing_on_one_payment_credit_once(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Webhook against check")
    payment = await open_topup(shop, user, 7_000)
    PROVIDER.pay(payment.provider_ref)
    check = pb.CheckPaymentRequest(payment_id=payment.id)
    calls = [deliver(hub, shop, invoice_of(payment)) for _ in range(10)]
    calls += [shop.admin.payments.CheckPayment(check) for _ in range(10)]
    await asyncio.gather(*calls)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 7_000
    await assert_ledger_ok(shop)


async def test_an_order_paid_at_the_provider_is_settled_in_the_same_transaction(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Order by provider")
    pack = await _rub_token_pack(shop)
    order = await create_order(shop, user, pack.id)
    payment = await open_for_order(shop, user, order.id)
    assert (payment.amount.asset, payment.amount.amount_minor, payment.order_id) == ("RUB", 50_000, order.id)
    PROVIDER.pay(payment.provider_ref)
    assert (await deliver(hub, shop, invoice_of(payment))).outcome == APPLIED
    paid = (await shop.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order.id))).order
    assert paid.status == order_pb2.ORDER_STATUS_FULFILLED
    assert paid.paid_via == "provider:testpay"
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    moved = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=user, asset="RUB"))
    kinds = sorted(t.kind for t in moved.transfers)
    assert kinds == sorted([wallet_pb2.TRANSFER_KIND_TOPUP, wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT])
    await assert_ledger_ok(shop)


async def test_underpaid_order_stays_unpaid_and_what_arrived_is_in_the_wallet(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Underpaid")
    order = await create_order(shop, user, (await _rub_token_pack(shop)).id)
    payment = await open_for_order(shop, user, order.id)
    PROVIDER.pay(payment.provider_ref, amount=30_000)
    assert (await deliver(hub, shop, invoice_of(payment))).outcome == APPLIED
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment.id))).payment
    assert got.status == UNDERPAID
    assert "received 30000" in got.failure_reason
    still = (await shop.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order.id))).order
    assert still.status == order_pb2.ORDER_STATUS_PENDING
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 30_000
    assert "payment.underpaid" in await settled_event_types(shop, "payment.")
    await assert_ledger_ok(shop)


async def test_overpaid_order_is_paid_and_the_surplus_stays_in_the_wallet(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Overpaid")
    order = await create_order(shop, user, (await _rub_token_pack(shop)).id)
    payment = await open_for_order(shop, user, order.id)
    PROVIDER.pay(payment.provider_ref, amount=50_700)
    await deliver(hub, shop, invoice_of(payment))
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment.id))).payment
    assert got.status == SUCCEEDED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 700
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    await assert_ledger_ok(shop)


async def test_wrong_asset_is_credited_in_its_asset_and_an_unknown_one_is_not(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Wrong asset")
    known = await open_topup(shop, user, 10_000)
    PROVIDER.pay(known.provider_ref, asset="XTR", amount=77)
    await deliver(hub, shop, invoice_of(known))
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=known.id))).payment
    assert got.status == UNDERPAID
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 77
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    unknown = await open_topup(shop, user, 10_000)
    PROVIDER.pay(unknown.provider_ref, asset="DOGE", amount=5)
    await deliver(hub, shop, invoice_of(unknown))
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=unknown.id))).payment
    assert got.status == UNDERPAID
    assert not got.credit_transfer_id
    assert "nothing credited" in got.failure_reason
    await assert_ledger_ok(shop)


async def test_a_failed_payment_is_closed_and_money_arriving_later_is_still_credited(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Late money")
    payment = await open_topup(shop, user, 5_000)
    invoice = invoice_of(payment)
    invoice.state = ProviderState.FAILED
    assert (await deliver(hub, shop, invoice)).outcome == APPLIED
    got = (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment.id))).payment
    assert got.status == payment_pb2.PAYMENT_STATUS_FAILED
    PROVIDER.pay(payment.provider_ref)
    assert (await deliver(hub, shop, invoice)).outcome == APPLIED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 5_000
    await assert_ledger_ok(shop)


async def test_a_bad_signature_is_refused_and_changes_nothing(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Forged")
    payment = await open_topup(shop, user, 5_000)
    PROVIDER.pay(payment.provider_ref)
    refused = await deliver(hub, shop, invoice_of(payment), key="not-the-key")
    assert (refused.http_status, refused.outcome) == (401, pb.WEBHOOK_OUTCOME_REFUSED)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0


async def test_a_delivery_to_another_tenant_credits_nothing(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Victim")
    other, _ = await shop_with_testpay(hub, "Other tenant")
    payment = await open_topup(shop, user, 5_000)
    PROVIDER.pay(payment.provider_ref)
    answer = await deliver(hub, other, invoice_of(payment))
    assert answer.outcome == pb.WEBHOOK_OUTCOME_UNKNOWN_PAYMENT
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0


async def test_an_unsigned_notice_is_confirmed_with_the_provider_before_crediting(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Unsigned", unsigned="yes")
    payment = await open_topup(shop, user, 5_000)
    invoice = invoice_of(payment)
    assert (await deliver(hub, shop, invoice, facts=False)).outcome == DUPLICATE  # the provider says pending
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    PROVIDER.pay(payment.provider_ref)
    assert (await deliver(hub, shop, invoice, facts=False)).outcome == APPLIED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 5_000
    fetches = PROVIDER.fetches
    assert (await deliver(hub, shop, invoice, facts=False)).outcome == DUPLICATE
    assert PROVIDER.fetches == fetches  # credited already: the provider is not asked again
    await assert_ledger_ok(shop)


async def test_a_lost_webhook_is_recovered_by_check_payment(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Lost webhook")
    payment = await open_topup(shop, user, 9_900)
    check = pb.CheckPaymentRequest(payment_id=payment.id)
    assert (await shop.admin.payments.CheckPayment(check)).payment.status == payment_pb2.PAYMENT_STATUS_PENDING
    PROVIDER.pay(payment.provider_ref)
    assert (await shop.admin.payments.CheckPayment(check)).payment.status == SUCCEEDED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 9_900


async def test_a_provider_down_while_opening_fails_the_payment_with_unavailable(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Down at open")
    PROVIDER.fail_next(ProviderUnavailable("testpay: POST /invoices timed out"))
    with pytest.raises(Unavailable) as caught:
        await open_topup(shop, user, 5_000)
    assert caught.value.reason == "PROVIDER_UNAVAILABLE"
    listed = await shop.admin.payments.ListPayments(pb.ListPaymentsRequest(user_id=user))
    assert [p.status for p in listed.payments] == [payment_pb2.PAYMENT_STATUS_FAILED]
    PROVIDER.fail_next(ProviderRejected("testpay: answered 400: amount too small"))
    with pytest.raises(FailedPrecondition) as refused:
        await open_topup(shop, user, 5_000)
    assert refused.value.reason == "PROVIDER_REJECTED"


async def test_a_provider_down_while_confirming_is_unavailable_and_credits_nothing(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Down at confirm", unsigned="yes")
    payment = await open_topup(shop, user, 5_000)
    PROVIDER.pay(payment.provider_ref)
    PROVIDER.fail_next(ProviderUnavailable("testpay: GET timed out"))
    with pytest.raises(Unavailable):
        await deliver(hub, shop, invoice_of(payment), facts=False)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    assert (await deliver(hub, shop, invoice_of(payment), facts=False)).outcome == APPLIED  # the retry
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 5_000


async def test_a_repeated_request_id_returns_the_same_payment(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Idempotent open")
    first, second = await asyncio.gather(
        open_topup(shop, user, 5_000, request_id="open-1"), open_topup(shop, user, 5_000, request_id="open-1")
    )
    assert first.id == second.id
    with pytest.raises(InvalidArgument):
        await open_topup(shop, user, 6_000, request_id="open-1")
    listed = await shop.admin.payments.ListPayments(pb.ListPaymentsRequest(user_id=user))
    assert len(listed.payments) == 1


async def test_opening_refuses_what_the_provider_settings_do_not_allow(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Limits")
    with pytest.raises(FailedPrecondition) as small:
        await open_topup(shop, user, 99)
    assert small.value.reason == "AMOUNT_OUT_OF_RANGE"
    with pytest.raises(FailedPrecondition) as asset:
        request = pb.CreatePaymentRequest(user_id=user, amount=money(100, "XTR"), provider="testpay")
        await shop.admin.payments.CreatePayment(request)
    assert asset.value.reason == "AMOUNT_OUT_OF_RANGE"
    bare = await hub.new_tenant("No provider set up")
    with pytest.raises(NotFound) as missing:
        request = pb.CreatePaymentRequest(user_id=await new_user(bare), amount=money(500, "TOKEN"), provider="testpay")
        await bare.admin.payments.CreatePayment(request)
    assert missing.value.reason == "PROVIDER_NOT_CONFIGURED"
    with pytest.raises(InvalidArgument) as bad:
        await shop.admin.payments.CreatePayment(pb.CreatePaymentRequest(user_id=user, provider="nope"))
    fields = {v.field for v in bad.value.field_violations}
    assert {"order_id"} <= fields
    listed = await shop.admin.payments.ListPayments(pb.ListPaymentsRequest(user_id=user))
    assert list(listed.payments) == []


async def test_another_users_order_is_not_found_and_a_paid_one_not_pending(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Orders guarded")
    stranger = await new_user(shop, "2")
    pack = await _rub_token_pack(shop, rub=100)
    order = await create_order(shop, user, pack.id)
    with pytest.raises(NotFound):
        await open_for_order(shop, stranger, order.id)
    await fund(shop, user, 100, "RUB")
    await pay(shop, order.id)
    with pytest.raises(FailedPrecondition) as paid:
        await open_for_order(shop, user, order.id)
    assert paid.value.reason == "ORDER_NOT_PENDING"


async def test_payment_methods_list_the_enabled_providers_that_take_the_amount(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Methods")
    request = pb.ListPaymentMethodsRequest(user_id=user, amount=money(5_000, "RUB"))
    methods = (await shop.admin.payments.ListPaymentMethods(request)).methods
    assert [(m.provider, m.asset, m.min_minor) for m in methods] == [("testpay", "RUB", 100)]
    too_small = pb.ListPaymentMethodsRequest(user_id=user, amount=money(50, "RUB"))
    assert list((await shop.admin.payments.ListPaymentMethods(too_small)).methods) == []
