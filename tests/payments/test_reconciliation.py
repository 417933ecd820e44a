"""The reconciliation worker: payments whose webhook never came are asked about on a backing-off
schedule, credited once when paid (through the path webhooks take), expired when abandoned."""

from __future__ import annotations

import asyncio
import datetime as dt

from core_server.domain.clock import FrozenClock
from core_server.domain.payments.reconcile import Reconciler, next_interval
from core_server.domain.provider_api import ProviderUnavailable
from sdk.billinghub.v1 import payment_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.commerce.promos import settled_event_types
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance
from tests.payments.shop import deliver, invoice_of, open_topup, shop_with_testpay
from tests.payments.testpay import PROVIDER


async def _status(shop: TenantHandle, payment: str) -> int:
    return int((await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment))).payment.status)


def test_checks_back_off_to_an_hour() -> None:
    assert [next_interval(n).total_seconds() for n in range(9)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


async def test_a_lost_webhook_is_recovered_by_the_worker_once(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop, user = await shop_with_testpay(clocked_hub, "Worker recovers")
    payment = await open_topup(shop, user, 3_000)
    worker = Reconciler(clocked_hub.deps)
    PROVIDER.pay(payment.provider_ref)
    fetches = PROVIDER.fetches
    await worker.run_due()
    assert PROVIDER.fetches == fetches  # its first check is not due yet
    clock.advance(dt.timedelta(seconds=31))
    await asyncio.gather(worker.run_due(), worker.run_due(), deliver(clocked_hub, shop, invoice_of(payment)))
    assert await _status(shop, payment.id) == payment_pb2.PAYMENT_STATUS_SUCCEEDED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 3_000
    await assert_ledger_ok(shop)


async def test_a_provider_down_only_postpones_the_check(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop, user = await shop_with_testpay(clocked_hub, "Worker retries")
    payment = await open_topup(shop, user, 2_000)
    worker = Reconciler(clocked_hub.deps)
    PROVIDER.pay(payment.provider_ref)
    PROVIDER.fail_next(ProviderUnavailable("testpay: GET answered 502"))
    clock.advance(dt.timedelta(seconds=31))
    await worker.run_due()
    assert await _status(shop, payment.id) == payment_pb2.PAYMENT_STATUS_PENDING
    clock.advance(dt.timedelta(seconds=61))
    await worker.run_due()
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 2_000


async def test_an_abandoned_payment_expires_a_day_after_its_time_to_pay(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop, user = await shop_with_testpay(clocked_hub, "Worker expires")
    payment = await open_topup(shop, user, 2_000)
    worker = Reconciler(clocked_hub.deps)
    clock.advance(dt.timedelta(hours=2))
    await worker.run_due()
    assert await _status(shop, payment.id) == payment_pb2.PAYMENT_STATUS_PENDING  # the provider says pending
    clock.advance(dt.timedelta(days=1))
    await worker.run_due()
    assert await _status(shop, payment.id) == payment_pb2.PAYMENT_STATUS_EXPIRED
    assert "payment.expired" in await settled_event_types(shop, "payment.")
    PROVIDER.pay(payment.provider_ref)  # money arriving after all is still credited
    await deliver(clocked_hub, shop, invoice_of(payment))
    assert await _status(shop, payment.id) == payment_pb2.PAYMENT_STATUS_SUCCEEDED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 2_000
