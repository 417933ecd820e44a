"""Helpers of the payment tests: a shop with a provider set up, payments opened and reported."""

from __future__ import annotations

from sdk import BillingHubClient
from sdk.billinghub.v1 import payment_pb2, tenant_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.commerce.catalog import ensure_rub
from tests.hub import Hub, TenantHandle
from tests.money import money, new_user
from tests.payments.testpay import GOOD_KEY, PROVIDER, Invoice, notification

SIGNING_KEY = "tp-signing-placeholder"
RUB_LIMIT = payment_pb2.PaymentLimit(asset="RUB", min_minor=100, max_minor=10_000_000)


async def shop_with_testpay(hub: Hub, name: str, **options: str) -> tuple[TenantHandle, str]:
    """A tenant with RUB, testpay enabled for RUB 1.00 to 100 000.00, and one user."""
    shop = await hub.new_tenant(name)
    await ensure_rub(shop)
    await set_testpay(shop, **options)
    return shop, await new_user(shop)


async def set_testpay(shop: TenantHandle, *, enabled: bool = True, **options: str) -> payment_pb2.ProviderConfig:
    config = payment_pb2.ProviderConfig(
        provider="testpay", enabled=enabled, title={"en": "Test pay"}, limits=[RUB_LIMIT], options=options
    )
    request = pb.SetProviderConfigRequest(config=config, secrets={"api_key": GOOD_KEY, "signing_key": SIGNING_KEY})
    return (await shop.admin.payments.SetProviderConfig(request)).config


async def open_topup(shop: TenantHandle, user: str, amount: int = 50_000, **fields: str) -> payment_pb2.Payment:
    request = pb.CreatePaymentRequest(user_id=user, amount=money(amount, "RUB"), provider="testpay", **fields)
    return (await shop.admin.payments.CreatePayment(request)).payment


async def open_for_order(shop: TenantHandle, user: str, order: str) -> payment_pb2.Payment:
    request = pb.CreatePaymentRequest(user_id=user, order_id=order, provider="testpay")
    return (await shop.admin.payments.CreatePayment(request)).payment


_GATEWAY_KEYS: dict[str, str] = {}
_GATEWAYS: dict[tuple[str, str], BillingHubClient] = {}


async def gateway(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    """What the HTTP gateway is to the core: a gateway key naming the tenant of the webhook URL.

    Kept per running hub, named by its platform key (new at each start): a hub started later on
    a port an earlier one used, perhaps on the other backend, must not get that hub's key."""
    if hub.platform_key not in _GATEWAY_KEYS:
        _GATEWAY_KEYS[hub.platform_key] = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="http gateway")
    if (hub.platform_key, shop.id) not in _GATEWAYS:
        _GATEWAYS[hub.platform_key, shop.id] = hub.client(_GATEWAY_KEYS[hub.platform_key], shop.id)
    return _GATEWAYS[hub.platform_key, shop.id]


async def deliver(
    hub: Hub, shop: TenantHandle, invoice: Invoice, *, key: str = SIGNING_KEY, facts: bool = True
) -> pb.IngestProviderWebhookResponse:
    headers, body = notification(invoice, key, facts=facts)
    request = pb.IngestProviderWebhookRequest(
        provider="testpay", headers={k.lower(): v for k, v in headers.items()}, body=body
    )
    return await (await gateway(hub, shop)).payments.IngestProviderWebhook(request)


def invoice_of(payment: payment_pb2.Payment) -> Invoice:
    return PROVIDER.invoices[payment.provider_ref]
