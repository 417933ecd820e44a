"""A fake BTCPay Server (Greenfield API v1) for the adapter's tests.

It serves the store-scoped invoice endpoints the adapter calls (create, get, payment methods,
list), checks `Authorization: token <key>` the way BTCPay's API-key handler does (401
`unauthenticated` for a missing or wrong key, 403 `missing-permission` for another store), keeps
invoices in memory, and lets a test move an invoice through BTCPay's statuses and payments. It
builds webhook deliveries as BTCPay's WebhookSender does: the JSON event and
`BTCPay-Sig: sha256=<hex HMAC-SHA256 of the body keyed with the UTF-8 secret>`, computed here,
independently of the adapter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import ServedApp, new_app

_AUTH = re.compile(r"^(token|bearer)\s+(\S+)", re.IGNORECASE)  # BTCPay's APIKeyExtensions
API_KEY = "fake-greenfield-api-key-0123456789"
STORE_ID = "9CiNzKoANXxmk5ayZngSXrHTiVvvgCrwrpFQd4m2K776"
WEBHOOK_SECRET = "fake-webhook-secret"


def sign(secret: str, body: bytes) -> str:
    """The `BTCPay-Sig` header value BTCPay sends for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class FakeBTCPay(ServedApp):
    """One BTCPay instance (2.1.2 or later: invoices carry `paidAmount`) with one store."""

    def __init__(
        self,
        api_key: str = API_KEY,
        store_id: str = STORE_ID,
        webhook_secret: str = WEBHOOK_SECRET,
    ) -> None:
        self.api_key = api_key
        self.store_id = store_id
        self.webhook_secret = webhook_secret
        self.url = ""  # set by whoever serves the app
        self.invoices: dict[str, dict[str, Any]] = {}
        self.methods: dict[str, list[dict[str, Any]]] = {}
        self.app = new_app()
        store = "/api/v1/stores/{storeId}"
        self.app.router.add_post(store + "/invoices", self._create)
        self.app.router.add_get(store + "/invoices", self._list)
        self.app.router.add_get(store + "/invoices/{invoiceId}", self._get)
        self.app.router.add_get(store + "/invoices/{invoiceId}/payment-methods", self._payment_methods)

    # --- what a test does to the invoices -------------------------------------------------------

    def set_status(
        self,
        invoice_id: str,
        status: str,
        additional: str = "None",
        *,
        paid: str | None = None,
        monitoring_left: int | None = None,
    ) -> None:
        """Move an invoice as BTCPay's watcher (or a merchant's mark) would; `paid` is what
        `paidAmount` then says, `monitoring_left` the seconds until monitoringExpiration."""
        invoice = self.invoices[invoice_id]
        invoice["status"], invoice["additionalStatus"] = status, additional
        if paid is not None:
            invoice["paidAmount"] = paid
        if monitoring_left is not None:
            invoice["monitoringExpiration"] = int(time.time()) + monitoring_left

    def add_payment(
        self,
        invoice_id: str,
        value: str,
        *,
        status: str = "Settled",
        fee: str = "0",
        rate: str = "1",
        currency: str | None = None,
        method: str = "BTC-CHAIN",
    ) -> None:
        """A payment of `value` in the method's currency (the invoice's unless given), converted
        to the invoice currency at `rate`."""
        methods = self.methods[invoice_id]
        entry = next((m for m in methods if m["paymentMethodId"] == method), None)
        if entry is None:
            entry = {
                "paymentMethodId": method,
                "currency": currency or self.invoices[invoice_id]["currency"],
                "destination": "bc1qfakeaddress",
                "paymentLink": "",
                "rate": rate,
                "paymentMethodPaid": "0",
                "totalPaid": "0",
                "due": "0",
                "amount": "0",
                "paymentMethodFee": "0",
                "payments": [],
                "activated": True,
                "additionalData": {},
            }
            methods.append(entry)
        entry["payments"].append(
            {
                "id": secrets.token_hex(16),
                "receivedDate": int(time.time()),
                "value": value,
                "fee": fee,
                "status": status,
                "destination": entry["destination"],
            }
        )

    def delivery(self, event_type: str, invoice_id: str, *, store_id: str | None = None, **fields: Any) -> bytes:
        """The JSON body of one webhook event about `invoice_id` (BTCPay's WebhookInvoiceEvent)."""
        invoice = self.invoices.get(invoice_id, {})
        event = {
            "deliveryId": secrets.token_urlsafe(16),
            "webhookId": "FakeWebhookId",
            "originalDeliveryId": "__test__",
            "isRedelivery": False,
            "type": event_type,
            "timestamp": int(time.time()),
            "storeId": store_id or self.store_id,
            "invoiceId": invoice_id,
            "metadata": invoice.get("metadata", {}),
            **fields,
        }
        return json.dumps(event).encode()

    def signed(self, body: bytes) -> dict[str, str]:
        """The headers BTCPay sends with `body` (lower-cased, as the gateway hands them on)."""
        return {"content-type": "application/json", "btcpay-sig": sign(self.webhook_secret, body)}

    # --- the Greenfield endpoints -----------------------------------------------------------------

    def _refusal(self, request: web.Request, permission: str) -> web.Response | None:
        match = _AUTH.match(request.headers.get("Authorization", ""))
        if match is None or not hmac.compare_digest(match.group(2), self.api_key):
            return web.json_response(
                {"code": "unauthenticated", "message": "Authentication is required for accessing this endpoint"},
                status=401,
            )
        if request.match_info["storeId"] != self.store_id:
            return web.json_response(
                {
                    "code": "missing-permission",
                    "message": f'Insufficient API Permissions. Please use an API key with permission "{permission}".',
                    "missingPermission": permission,
                },
                status=403,
            )
        return None

    async def _create(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request, "btcpay.store.cancreateinvoice")) is not None:
            return refusal
        body = await request.json()
        errors = []
        try:
            if Decimal(body.get("amount")) < 0:
                errors.append({"path": "amount", "message": "The amount should be 0 or more."})
        except (InvalidOperation, TypeError):
            errors.append({"path": "amount", "message": "The amount should be a decimal"})
        checkout = body.get("checkout") or {}
        minutes = checkout.get("expirationMinutes", 15)
        if not isinstance(minutes, int) or minutes * 60 < 30:
            errors.append(
                {"path": "checkout.expirationMinutes", "message": "Expiration time must be at least 30 seconds"}
            )
        if errors:
            return web.json_response(errors, status=400)
        invoice_id = secrets.token_urlsafe(16)
        now = int(time.time())
        invoice = {
            "id": invoice_id,
            "storeId": self.store_id,
            "amount": body["amount"],
            "currency": body.get("currency") or "USD",
            "type": "Standard",
            "checkoutLink": f"{request.url.origin()}/i/{invoice_id}",
            "createdTime": now,
            "expirationTime": now + minutes * 60,
            "monitoringExpiration": now + minutes * 60 + 1440 * 60,
            "status": "New",
            "additionalStatus": "None",
            "availableStatusesForManualMarking": ["Settled", "Invalid"],
            "archived": False,
            "paidAmount": "0",
            "metadata": body.get("metadata") or {},
            "checkout": {"expirationMinutes": minutes, "redirectURL": checkout.get("redirectURL")},
            "receipt": {"enabled": True},
        }
        self.invoices[invoice_id] = invoice
        self.methods[invoice_id] = []
        return web.json_response(invoice)

    async def _list(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request, "btcpay.store.canviewinvoices")) is not None:
            return refusal
        take = int(request.query.get("take", "100"))
        return web.json_response(list(self.invoices.values())[:take])

    async def _get(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request, "btcpay.store.canviewinvoices")) is not None:
            return refusal
        invoice = self.invoices.get(request.match_info["invoiceId"])
        if invoice is None:
            return web.json_response({"code": "invoice-not-found", "message": "The invoice was not found"}, status=404)
        return web.json_response(invoice)

    async def _payment_methods(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request, "btcpay.store.canviewinvoices")) is not None:
            return refusal
        methods = self.methods.get(request.match_info["invoiceId"])
        if methods is None:
            return web.json_response({"code": "invoice-not-found", "message": "The invoice was not found"}, status=404)
        if request.query.get("onlyAccountedPayments", "true").lower() != "false":
            # RBF'd or double-spent payments (Invalid) are left out by default, as BTCPay does.
            methods = [{**m, "payments": [p for p in m["payments"] if p["status"] != "Invalid"]} for m in methods]
        return web.json_response(methods)
