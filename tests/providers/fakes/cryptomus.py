"""A fake Cryptomus merchant API (Heleket's is the same API on another host: see fakes/heleket.py).

It serves what the adapter uses: `POST /v1/payment` (create an invoice; an order_id seen before
returns the invoice it made, as documented), `POST /v1/payment/info` (by uuid or order_id; order_id
wins when both are given), and `POST /v1/balance` (the credentials check). Every request must carry
`merchant` and `sign = md5(base64(raw body) . key)`; otherwise the answer is 401
`{"message": "Invalid Sign."}` (the provider's wording as users report it). Validation failures are
422 `{"state": 1, "errors": {...}}` as the docs show; an unknown invoice is 404.

`stall_next()` makes the next request wait until `release()` (a test's client times out meanwhile);
it stands in for the harness's `fail_next("hang")`, whose hour-long sleep would hold the server's
shutdown for its full 60-second grace at the end of every such test.

Tests move an invoice along with `settle()` and get the provider's notification from `webhook()`,
signed here the way PHP does it, computed independently of the adapter: Python's json.dumps with
`/` and the line terminators escaped afterwards (which equals PHP's JSON_UNESCAPED_UNICODE output
for the strings, integers, booleans and nulls a webhook holds; an empty object would differ, so
payloads built here never contain one).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
import uuid as uuids
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import ServedApp, new_app

API_KEY = "uQ4LFWCBE3dT84uQnt7ycL7p9WcSwjkSPQaZbik3ChoWO0egw51f4EAaZQKmefhPP0F1cX8OpRcl2c3HexNedoR7F"
MERCHANT = "8b03432e-385b-4670-8d06-064591096795"
_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_AMOUNT = re.compile(r"\d+(\.\d+)?")
_WEBHOOK_FIELDS = (
    "type", "uuid", "order_id", "amount", "payment_amount", "payment_amount_usd", "merchant_amount", "commission",
    "is_final", "status", "from", "wallet_address_uuid", "network", "currency", "payer_currency", "payer_amount",
    "payer_amount_exchange_rate", "additional_data", "transfer_id", "txid",
)  # fmt: skip
_FINAL = {"paid", "paid_over", "wrong_amount", "fail", "cancel", "system_fail", "refund_fail", "refund_paid", "locked"}


def php_style(value: Any, *, escape_unicode: bool = False) -> bytes:
    """json_encode($value) as PHP writes it (JSON_UNESCAPED_UNICODE unless `escape_unicode`)."""
    text = json.dumps(value, ensure_ascii=escape_unicode, separators=(",", ":"))
    return text.replace("/", "\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def md5_sign(body: bytes, key: str) -> str:
    return hashlib.md5(base64.b64encode(body) + key.encode()).hexdigest()  # noqa: S324 - the provider's scheme


class FakeMerchantApi(ServedApp):
    """The provider's state: invoices by uuid, and the key and merchant it accepts."""

    def __init__(self, *, pay_host: str = "pay.cryptomus.com", api_key: str = API_KEY, merchant: str = MERCHANT):
        self.pay_host, self.api_key, self.merchant = pay_host, api_key, merchant
        self.invoices: dict[str, dict[str, Any]] = {}
        self._stalls = 0
        self._released = asyncio.Event()
        self.app = new_app()
        self.app.router.add_post("/v1/payment", self._create)
        self.app.router.add_post("/v1/payment/info", self._info)
        self.app.router.add_post("/v1/balance", self._balance)

    def stall_next(self) -> None:
        self._stalls += 1

    def release(self) -> None:
        """Let stalled requests finish (before the server stops, so shutdown does not wait)."""
        self._released.set()

    def add_invoice(
        self, *, amount: str, currency: str, order_id: str = "", lifetime: int = 3600, **fields: Any
    ) -> str:
        """An invoice as the provider holds it after creation; returns its uuid."""
        invoice_id = str(uuids.uuid4())
        now = time.strftime("%Y-%m-%dT%H:%M:%S+03:00")
        self.invoices[invoice_id] = {
            "uuid": invoice_id,
            "order_id": order_id or invoice_id.replace("-", ""),
            "amount": amount,
            "payment_amount": None,
            "payer_amount": amount,
            "discount_percent": 0,
            "discount": "0.00000000",
            "payer_currency": currency,
            "currency": currency,
            "comments": None,
            "merchant_amount": None,
            "network": "tron",
            "address": "TXhfYSWt2oKRrHAJVJeYRuit6ZzKuoEKXj",
            "from": None,
            "txid": None,
            "payment_status": "check",
            "url": f"https://{self.pay_host}/pay/{invoice_id}",
            "expired_at": int(time.time()) + lifetime,
            "status": "check",
            "is_final": False,
            "additional_data": None,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        return invoice_id

    def settle(self, invoice_id: str, status: str, **fields: Any) -> None:
        """Move the invoice to `status`, with whatever amounts the provider would then show."""
        invoice = self.invoices[invoice_id]
        invoice.update(status=status, payment_status=status, is_final=status in _FINAL, **fields)

    def webhook(self, invoice_id: str, *, key: str | None = None, escape_unicode: bool = False, **fields: Any) -> bytes:
        """The body the provider POSTs to url_callback: the documented fields, then `sign`."""
        invoice = self.invoices[invoice_id]
        data: dict[str, Any] = {name: invoice.get(name) for name in _WEBHOOK_FIELDS}
        data.update(type="payment", payment_amount_usd=invoice.get("payment_amount"), commission="0.00000000")
        data.update(fields)
        data["sign"] = md5_sign(php_style(data), key or self.api_key)
        return php_style(data, escape_unicode=escape_unicode)

    async def _refusal(self, request: web.Request, body: bytes) -> web.Response | None:
        if self._stalls:
            self._stalls -= 1
            await self._released.wait()
        sign = request.headers.get("sign", "")
        if request.headers.get("merchant") != self.merchant or sign != md5_sign(body, self.api_key):
            return web.json_response({"message": "Invalid Sign."}, status=401)
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.read()
        if refusal := await self._refusal(request, body):
            return refusal
        data = json.loads(body)
        errors = _invoice_errors(data)
        if errors:
            return web.json_response({"state": 1, "errors": errors}, status=422)
        for invoice in self.invoices.values():
            if invoice["order_id"] == data["order_id"]:
                return web.json_response({"state": 0, "result": invoice})
        invoice_id = self.add_invoice(
            amount=data["amount"],
            currency=data["currency"],
            order_id=data["order_id"],
            lifetime=data.get("lifetime", 3600),
            additional_data=data.get("additional_data"),
            url_callback=data.get("url_callback"),
        )
        return web.json_response({"state": 0, "result": self._public(invoice_id)})

    async def _info(self, request: web.Request) -> web.Response:
        body = await request.read()
        if refusal := await self._refusal(request, body):
            return refusal
        data = json.loads(body)
        if not data.get("uuid") and not data.get("order_id"):
            required = ["validation.required_without"]
            return web.json_response({"state": 1, "errors": {"uuid": required, "order_id": required}}, status=422)
        order_id = data.get("order_id")
        for invoice_id, invoice in self.invoices.items():
            if (invoice["order_id"] == order_id) if order_id else (invoice_id == data["uuid"]):
                return web.json_response({"state": 0, "result": self._public(invoice_id)})
        return web.json_response({"state": 1, "message": "Payment not found"}, status=404)

    async def _balance(self, request: web.Request) -> web.Response:
        body = await request.read()
        if refusal := await self._refusal(request, body):
            return refusal
        wallet = {"uuid": str(uuids.uuid4()), "balance": "5.00000000", "currency_code": "USDT"}
        return web.json_response({"state": 0, "result": [{"balance": {"merchant": [wallet], "user": []}}]})

    def _public(self, invoice_id: str) -> Mapping[str, Any]:
        return {name: value for name, value in self.invoices[invoice_id].items() if name != "url_callback"}


def _invoice_errors(data: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    amount = data.get("amount")
    if not isinstance(amount, str) or not _AMOUNT.fullmatch(amount) or Decimal(amount) <= 0:
        errors["amount"] = ["validation.required"]
    if not isinstance(data.get("currency"), str) or not data["currency"]:
        errors["currency"] = ["validation.required"]
    if not isinstance(data.get("order_id"), str) or not _ORDER_ID.fullmatch(data["order_id"]):
        errors["order_id"] = ["validation.alpha_dash"]
    lifetime = data.get("lifetime", 3600)
    if not isinstance(lifetime, int) or not 300 <= lifetime <= 43200:
        errors["lifetime"] = ["validation.between"]
    callback = data.get("url_callback", "https://x.example")
    if not isinstance(callback, str) or not 6 <= len(callback) <= 255:
        errors["url_callback"] = ["validation.url"]
    return errors
