"""Every real provider end to end: its adapter against its fake server, the payments domain, and
the HTTP gateway's webhook route, through the core's API only (tests/payments/drivers.py).

For each provider: a paid payment credits once however often (and however concurrently) it is
delivered; a forged delivery credits nothing; underpaid, overpaid, other-asset and failed
payments; a lost webhook recovered by CheckPayment and by the reconciliation worker; the provider
timing out or failing with 5xx never credits twice nor loses the payment."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.payments.reconcile import Reconciler
from http_gateway.app import create_app
from sdk import AlreadyExists, Unavailable
from sdk.billinghub.v1 import catalog_service_pb2, order_pb2, order_service_pb2, package_pb2, payment_pb2, tenant_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.client import BillingHubClient
from sdk.interceptors import NO_RETRY
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, money, new_user
from tests.payments.drivers import DRIVERS, Driver
from tests.providers.fakes.server import serve

SUCCEEDED = payment_pb2.PAYMENT_STATUS_SUCCEEDED
UNDERPAID = payment_pb2.PAYMENT_STATUS_UNDERPAID
PENDING = payment_pb2.PAYMENT_STATUS_PENDING


@dataclass
class Setup:
    hub: Hub
    driver: Any
    shop: TenantHandle
    user: str
    http: Any  # the gateway app's Quart test client

    async def topup(self, amount: int | None = None) -> payment_pb2.Payment:
        request = pb.CreatePaymentRequest(
            user_id=self.user, amount=money(amount or self.driver.amount, self.driver.asset), provider=self.driver.name
        )
        return (await self.shop.admin.payments.CreatePayment(request)).payment

    async def deliver(self, ref: str, *, forged: bool = False) -> Any:
        delivery = self.driver.delivery(ref, forged=forged)
        url = f"/webhooks/{self.shop.id}/{self.driver.name}" + (f"?{delivery.query}" if delivery.query else "")
        return await self.http.post(url, data=delivery.body, headers=delivery.headers)

    async def payment(self, payment_id: str) -> payment_pb2.Payment:
        return (await self.shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment_id))).payment

    async def posted(self, asset: str | None = None) -> int:
        return int((await balance(self.shop.admin, self.user, asset or self.driver.asset)).posted.amount_minor)


OTHER_SCALES = {"LTC": 8}  # assets the hub does not know: their scale comes from the tenant alone


async def _ensure_asset(shop: TenantHandle, code: str) -> None:
    request = catalog_service_pb2.CreateAssetRequest(code=code)
    if code in OTHER_SCALES:
        request.scale = OTHER_SCALES[code]
    with contextlib.suppress(AlreadyExists):
        await shop.admin.catalog.CreateAsset(request)


@contextlib.asynccontextmanager
async def _running(hub: Hub, driver_class: type[Any]) -> AsyncIterator[Setup]:
    driver = driver_class()
    async with serve(driver.app()) as served:
        shop = await hub.new_tenant(f"{driver.name} shop")
        for code in filter(None, (driver.asset, driver.other_asset)):
            await _ensure_asset(shop, code)
        options, secrets = driver.settings()
        config = payment_pb2.ProviderConfig(
            provider=driver.name,
            enabled=True,
            limits=[payment_pb2.PaymentLimit(asset=driver.asset)],
            options=options,
            base_url=driver.base_url(served),
        )
        await shop.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config, secrets=secrets))
        key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="http gateway")
        client = BillingHubClient(hub.target, key, retry=NO_RETRY)
        try:
            yield Setup(hub, driver, shop, await new_user(shop), create_app(client).test_client())
        finally:
            await client.close()


@pytest.fixture(params=DRIVERS, ids=lambda d: d.name)
async def provider(request: pytest.FixtureRequest, hub: Hub) -> AsyncIterator[Setup]:
    async with _running(hub, request.param) as setup:
        yield setup


async def test_a_paid_payment_delivered_fifty_times_at_once_credits_once(provider: Setup) -> None:
    payment = await provider.topup()
    assert payment.pay_url
    provider.driver.pay(payment.provider_ref, provider.driver.amount)
    answers = await asyncio.gather(*(provider.deliver(payment.provider_ref) for _ in range(50)))
    assert {a.status_code for a in answers} == {200}
    assert (await provider.payment(payment.id)).status == SUCCEEDED
    assert await provider.posted() == provider.driver.amount
    await assert_ledger_ok(provider.shop)


async def test_a_forged_delivery_credits_nothing(provider: Setup) -> None:
    payment = await provider.topup()
    answer = await provider.deliver(payment.provider_ref, forged=True)
    assert answer.status_code in (
        (401, 400) if provider.driver.signed or provider.driver.name == "mulenpay" else (200,)
    )
    assert (await provider.payment(payment.id)).status == PENDING
    assert await provider.posted() == 0


async def test_an_order_paid_at_the_provider_is_fulfilled(provider: Setup) -> None:
    driver = provider.driver
    pack = await create_package(
        provider.shop,
        kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
        price=price(driver.amount, driver.asset),
        delivers=price(500, "TOKEN"),
    )
    order = await create_order(provider.shop, provider.user, pack.id)
    request = pb.CreatePaymentRequest(user_id=provider.user, order_id=order.id, provider=driver.name)
    payment = (await provider.shop.admin.payments.CreatePayment(request)).payment
    driver.pay(payment.provider_ref, driver.amount + 1)  # a little more: the surplus stays in the wallet
    assert (await provider.deliver(payment.provider_ref)).status_code == 200
    got = await provider.shop.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order.id))
    assert got.order.status == order_pb2.ORDER_STATUS_FULFILLED
    assert await provider.posted() == 1
    assert await provider.posted("TOKEN") == 500
    await assert_ledger_ok(provider.shop)


async def test_an_underpaid_payment_credits_what_arrived(provider: Setup) -> None:
    payment = await provider.topup()
    provider.driver.pay(payment.provider_ref, provider.driver.amount - 100)
    assert (await provider.deliver(payment.provider_ref)).status_code == 200
    assert (await provider.payment(payment.id)).status == UNDERPAID
    assert await provider.posted() == provider.driver.amount - 100
    await assert_ledger_ok(provider.shop)


@pytest.mark.parametrize("driver_class", [d for d in DRIVERS if d.other_asset], ids=lambda d: d.name)
async def test_a_payment_in_another_asset_is_credited_in_that_asset(hub: Hub, driver_class: type[Driver]) -> None:
    async with _running(hub, driver_class) as setup:
        other = setup.driver.other_asset
        payment = await setup.topup()
        setup.driver.pay(payment.provider_ref, 12_345, asset=other)
        assert (await setup.deliver(payment.provider_ref)).status_code == 200
        assert (await setup.payment(payment.id)).status == UNDERPAID
        assert await setup.posted() == 0
        assert await setup.posted(other) == 12_345
        await assert_ledger_ok(setup.shop)


async def test_a_failed_payment_is_closed_and_credits_nothing(provider: Setup) -> None:
    payment = await provider.topup()
    provider.driver.fail(payment.provider_ref)
    assert (await provider.deliver(payment.provider_ref)).status_code == 200
    status = (await provider.payment(payment.id)).status
    assert status in (payment_pb2.PAYMENT_STATUS_FAILED, payment_pb2.PAYMENT_STATUS_EXPIRED)
    assert await provider.posted() == 0


async def test_a_lost_webhook_is_recovered_by_check_payment(provider: Setup) -> None:
    payment = await provider.topup()
    provider.driver.pay(payment.provider_ref, provider.driver.amount)
    check = pb.CheckPaymentRequest(payment_id=payment.id)
    provider.driver.fail_next(503)
    with pytest.raises(Unavailable):
        await provider.shop.admin.payments.CheckPayment(check)
    assert await provider.posted() == 0
    assert (await provider.shop.admin.payments.CheckPayment(check)).payment.status == SUCCEEDED
    assert (await provider.deliver(payment.provider_ref)).status_code == 200  # the webhook, late
    assert await provider.posted() == provider.driver.amount
    await assert_ledger_ok(provider.shop)


async def test_a_provider_down_while_opening_is_unavailable(provider: Setup) -> None:
    provider.driver.fail_next(502)
    with pytest.raises(Unavailable) as caught:
        await provider.topup()
    assert caught.value.reason == "PROVIDER_UNAVAILABLE"
    again = await provider.topup()
    assert again.status == PENDING


@pytest.mark.parametrize("driver_class", DRIVERS, ids=lambda d: d.name)
async def test_a_lost_webhook_is_recovered_by_the_worker(
    clocked_hub: Hub, clock: FrozenClock, driver_class: type[Driver]
) -> None:
    async with _running(clocked_hub, driver_class) as setup:
        payment = await setup.topup()
        setup.driver.pay(payment.provider_ref, setup.driver.amount)
        clock.advance(dt.timedelta(seconds=31))
        setup.driver.fail_next(503)  # the first check fails (timeouts: the adapter tests): checked again later
        await Reconciler(clocked_hub.deps).run_due()
        assert await setup.posted() == 0
        clock.advance(dt.timedelta(minutes=2))
        await Reconciler(clocked_hub.deps).run_due()
        assert (await setup.payment(payment.id)).status == SUCCEEDED
        assert await setup.posted() == setup.driver.amount
