"""BTCPay Server (Greenfield API v1): invoices on the tenant's own, self-hosted BTCPay instance.

There is no public host, so `ProviderConfig.base_url` is required (every call refuses without it).
The hub's payment id goes out as `metadata.orderId` and comes back in every invoice and webhook
event; the invoice id is `provider_ref`. Calls use the store-scoped routes
(`/api/v1/stores/{storeId}/invoices/...`), which every Greenfield version serves and which also
refuse an invoice of another store.

Webhooks are signed (`BTCPay-Sig: sha256=<hex HMAC-SHA256 of the raw body, keyed with the UTF-8
webhook secret>`) but carry no amount, so a settlement is answered with a notice that names the
invoice and has no payment: the domain then calls `fetch_payment`, which reads the received
amount (see `_btcpay_invoice`). Final events with nothing received (expired unpaid, invalid) carry
their state directly.

Docs followed (the Greenfield reference is the swagger of btcpayserver/btcpayserver,
BTCPayServer/wwwroot/swagger/v1/swagger.template.{json,invoices.json,webhooks.json}):
- https://docs.btcpayserver.org/API/Greenfield/v1/ : "Authentication" (`Authorization: token
  {apiKey}`), Invoices_CreateInvoice, Invoices_GetInvoice, Invoices_GetInvoicePaymentMethods,
  Invoices_GetInvoices, the InvoiceData / InvoiceStatus / InvoiceAdditionalStatus /
  InvoicePaymentMethodDataModel schemas, and the Webhooks tag (`BTCPay-Sig`, WebhookInvoice*Event)
- https://docs.btcpayserver.org/Invoices/ : the invoice status table (status + additional status)
- https://docs.btcpayserver.org/Development/ecommerce-integration-guide/ : webhook events, both
  status fields, signature check
- https://docs.btcpayserver.org/Development/GreenFieldExample/ : create-invoice request
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from core_server.domain.provider_api import (
    Intent,
    Notice,
    ProviderConfig,
    ProviderPayment,
    ProviderRejected,
    ProviderState,
    SignatureInvalid,
    WebhookReply,
    decimal_text,
)
from core_server.providers import _btcpay_invoice as invoices
from core_server.providers.http import base_url, call, json_of, rejected

NAME = "btcpay"

# Events about money arriving: the event has no amount, so the domain re-reads the invoice.
# InvoiceExpiredPaidPartial and InvoicePaidAfterExpiration are sent by BTCPay (WebhookEventType)
# though the reference's list of types omits them.
_REFETCH = frozenset({"InvoiceSettled", "InvoiceExpiredPaidPartial", "InvoicePaidAfterExpiration"})


class BTCPayAdapter:
    """Greenfield invoices of one store per tenant; stateless apart from the shared client."""

    name: ClassVar[str] = NAME
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "webhook_secret")
    option_fields: ClassVar[tuple[str, ...]] = ("store_id",)
    required_fields: ClassVar[tuple[str, ...]] = ("api_key", "webhook_secret", "store_id")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        metadata = {"orderId": intent.reference}
        if intent.description:
            metadata["itemDesc"] = intent.description
        # Whole minutes, rounded down: BTCPay must not keep taking money after the hub gave up.
        checkout: dict[str, Any] = {"expirationMinutes": max(1, intent.ttl_seconds // 60)}
        if intent.return_url:
            checkout["redirectURL"] = intent.return_url
        body = {
            "amount": decimal_text(intent.amount, intent.scale),
            "currency": intent.asset,
            "metadata": metadata,
            "checkout": checkout,
        }
        created = await self._request(config, "POST", "/invoices", json_body=body)
        return await invoices.read(created, config, self._payment_methods)

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        found = await self._request(config, "GET", f"/invoices/{quote(provider_ref, safe='')}")
        return await invoices.read(found, config, self._payment_methods)

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        _verify(config, headers, body)
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ProviderRejected(f"{NAME}: webhook body is not JSON") from None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ProviderRejected(f"{NAME}: webhook body is not an event")
        kind: str = event["type"]
        if not kind.startswith("Invoice"):  # payouts, payment requests, subscriptions
            return Notice(ignored=True)
        invoice_id = event.get("invoiceId")
        if not isinstance(invoice_id, str) or not invoice_id:
            raise ProviderRejected(f"{NAME}: invoice event without invoiceId")
        if event.get("storeId") != config.option("store_id"):
            return Notice(provider_ref=invoice_id, ignored=True)  # a webhook secret shared with another store
        metadata = event.get("metadata")
        order_id = metadata.get("orderId") if isinstance(metadata, dict) else None
        reference = order_id if isinstance(order_id, str) else ""

        def final(state: ProviderState, raw: str) -> Notice:
            payment = ProviderPayment(provider_ref=invoice_id, reference=reference, state=state, raw_status=raw)
            return Notice(provider_ref=invoice_id, reference=reference, payment=payment)

        if (
            kind in _REFETCH
            or (kind == "InvoicePaymentSettled" and event.get("afterExpiration") is True)
            or (kind == "InvoiceExpired" and event.get("partiallyPaid") is True)
        ):
            return Notice(provider_ref=invoice_id, reference=reference)
        if kind == "InvoiceExpired":
            return final(ProviderState.EXPIRED, "Expired")
        if kind == "InvoiceInvalid":
            return final(ProviderState.FAILED, "Invalid (Marked)" if event.get("manuallyMarked") is True else "Invalid")
        # InvoiceCreated, InvoiceReceivedPayment, InvoiceProcessing, a payment confirming before
        # expiry (InvoiceSettled follows), InvoiceRefund: nothing to credit yet.
        return Notice(provider_ref=invoice_id, reference=reference, ignored=True)

    def reply(self, accepted: bool) -> WebhookReply:
        # BTCPay retries 5xx, 408 and 429 by itself but no other 4xx: a bad signature does not get
        # better with retries, and an admin can still redeliver from the store's webhook page.
        return WebhookReply() if accepted else WebhookReply(status=401, body=b"invalid signature")

    async def check_config(self, config: ProviderConfig) -> None:
        # Listing one invoice needs btcpay.store.canviewinvoices, the permission fetch_payment
        # relies on; GET /stores/{id} would need canviewstoresettings, which a key scoped to
        # "view + create invoices" (all this adapter uses) rightly lacks.
        found = await self._request(config, "GET", "/invoices", params={"take": "1"})
        if not isinstance(found, list):
            raise ProviderRejected(f"{NAME}: the invoice list is not a list")

    async def _payment_methods(self, config: ProviderConfig, invoice_id: str) -> Any:
        return await self._request(config, "GET", f"/invoices/{quote(invoice_id, safe='')}/payment-methods")

    async def _request(
        self,
        config: ProviderConfig,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """One call under the tenant's store; any non-2xx answer is a refusal in BTCPay's words."""
        store_url = _store_url(config)
        headers = {"authorization": f"token {config.secret('api_key')}", "accept": "application/json"}
        response = await call(
            self._client, NAME, method, store_url + path, headers=headers, json_body=json_body, params=params
        )
        if not response.is_success:
            raise rejected(NAME, response, _error_text(response))
        return json_of(response, NAME)


def _store_url(config: ProviderConfig) -> str:
    root = base_url(config, "")
    if not root:
        raise ProviderRejected(f"{NAME}: base_url (the URL of the tenant's BTCPay Server) is required")
    if not config.secret("api_key"):
        raise ProviderRejected(f"{NAME}: api_key is not set")
    store_id = config.option("store_id")
    if not store_id:
        raise ProviderRejected(f"{NAME}: store_id is not set")
    return f"{root}/api/v1/stores/{quote(store_id, safe='')}"


def _error_text(response: httpx.Response) -> str:
    """BTCPay's own words: `{code, message}`, or a validation list of `{path, message}`."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        return ": ".join(str(data[k]) for k in ("code", "message") if isinstance(data.get(k), str))
    if isinstance(data, list):
        return "; ".join(
            f"{item.get('path', '')}: {item.get('message', '')}" for item in data if isinstance(item, dict)
        )
    return ""


def _verify(config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> None:
    """`BTCPay-Sig: sha256=<hex>` over the raw body. An empty secret verifies nothing: BTCPay
    signs with "" when a webhook has no secret, which anyone can reproduce."""
    secret = config.secret("webhook_secret")
    if not secret:
        raise SignatureInvalid(f"{NAME}: no webhook secret is configured")
    given = next((value for key, value in headers.items() if key.lower() == "btcpay-sig"), "")
    scheme, _, digest = given.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        raise SignatureInvalid(f"{NAME}: missing or malformed BTCPay-Sig header")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(digest.lower().encode(), expected.encode()):
        raise SignatureInvalid(f"{NAME}: BTCPay-Sig does not match the body")


ADAPTER = BTCPayAdapter
