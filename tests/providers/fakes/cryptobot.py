"""A fake Crypto Pay API (CryptoBot) for the adapter's tests.

It answers getMe, createInvoice and getInvoices under /api the way the documented API does
(https://help.send.tg/en/articles/10279948-crypto-pay-api): the `Crypto-Pay-API-Token` header,
parameters from the query string, a JSON or a form body, and the `{"ok": ...}` envelope with
`{"code", "name"}` errors (401 UNAUTHORIZED for a wrong token; the 400 names below are in the
documented style, the docs do not list them). Invoices live in memory; tests move them (`pay`,
`expire`, `edit`) and build signed webhook deliveries with `webhook`, whose signature is computed
here from the documentation, never with the adapter's code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import ServedApp, new_app

TOKEN = "12345:AAHfakeCryptoPayTokenForTests0123456"
CRYPTO_ASSETS = frozenset({"USDT", "TON", "BTC", "ETH", "LTC", "BNB", "TRX", "USDC", "JET"})
FIAT = frozenset({"USD", "EUR", "RUB", "BYN", "UAH", "GBP", "CNY", "KZT", "UZS", "GEL"}) | frozenset(
    {"TRY", "AMD", "THB", "INR", "BRL", "IDR", "AZN", "AED", "PLN", "ILS"}
)


def sign(token: str, body: bytes) -> str:
    """The documented scheme, written out independently of the adapter: hex HMAC-SHA-256 of the
    raw body with the SHA-256 digest of the app token as the key."""
    return hmac.new(hashlib.sha256(token.encode()).digest(), body, hashlib.sha256).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _answer(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, name: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": status, "name": name}}, status=status)


class FakeCryptoBot(ServedApp):
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.invoices: dict[int, dict[str, Any]] = {}
        self.base_url = ""  # set by the test once served: "<served url>/api"
        self._next_id = 40_000
        self.app = new_app()
        for method, handler in (
            ("getMe", self._get_me),
            ("createInvoice", self._create_invoice),
            ("getInvoices", self._get_invoices),
        ):
            self.app.router.add_route("GET", f"/api/{method}", handler)
            self.app.router.add_route("POST", f"/api/{method}", handler)

    # --- moving invoices along, as a buyer or the clock would ---

    def pay(self, invoice_id: int, **fields: Any) -> dict[str, Any]:
        """Mark paid as CryptoBot does; fiat invoices get the crypto the buyer sent."""
        invoice = self.invoices[invoice_id]
        invoice.update(status="paid", paid_at=_now(), paid_anonymously=False, paid_usd_rate="1.00")
        invoice.update(fee_asset=invoice.get("asset", "USDT"), fee_amount="0", fee_in_usd="0")
        if invoice["currency_type"] == "fiat":
            invoice.update(paid_asset="USDT", paid_amount="1.44", paid_fiat_rate="80.00")
        invoice.update(fields)
        return invoice

    def expire(self, invoice_id: int) -> dict[str, Any]:
        return self.edit(invoice_id, status="expired")

    def edit(self, invoice_id: int, **fields: Any) -> dict[str, Any]:
        self.invoices[invoice_id].update(fields)
        return self.invoices[invoice_id]

    def webhook(
        self,
        invoice_id: int,
        *,
        update_type: str = "invoice_paid",
        token: str | None = None,
        separators: tuple[str, str] = (", ", ": "),
    ) -> tuple[dict[str, str], bytes]:
        """A delivery as CryptoBot posts it: (lower-case headers, raw body). Non-ASCII stays raw
        UTF-8 and the separators are not the compact ones, so a verifier that re-serialises fails."""
        update = {
            "update_id": 7,
            "update_type": update_type,
            "request_date": _now(),
            "payload": self.invoices[invoice_id],
        }
        body = json.dumps(update, ensure_ascii=False, separators=separators).encode()
        signature = sign(self.token if token is None else token, body)
        return {"content-type": "application/json", "crypto-pay-api-signature": signature}, body

    # --- the API ---

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        return params

    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Crypto-Pay-API-Token") != self.token:
            return _error(401, "UNAUTHORIZED")
        return None

    async def _get_me(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        return _answer({"app_id": 1, "name": "Billing Hub tests", "payment_processing_bot_username": "CryptoBot"})

    async def _create_invoice(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        p = await self._params(request)
        currency_type = p.get("currency_type", "crypto")
        if currency_type == "crypto" and p.get("asset") not in CRYPTO_ASSETS:
            return _error(400, "ASSET_INVALID")
        if currency_type == "fiat" and p.get("fiat") not in FIAT:
            return _error(400, "FIAT_INVALID")
        if currency_type not in ("crypto", "fiat"):
            return _error(400, "CURRENCY_TYPE_INVALID")
        try:
            amount = Decimal(str(p.get("amount")))
        except InvalidOperation:
            return _error(400, "AMOUNT_INVALID")
        if not amount.is_finite() or amount <= 0:
            return _error(400, "AMOUNT_INVALID")
        expires_in = p.get("expires_in")
        if expires_in is not None and not (isinstance(expires_in, int) and 1 <= expires_in <= 2_678_400):
            return _error(400, "EXPIRES_IN_INVALID")
        if len(str(p.get("payload", "")).encode()) > 4096:
            return _error(400, "PAYLOAD_TOO_LONG")
        if len(str(p.get("description", ""))) > 1024:
            return _error(400, "DESCRIPTION_TOO_LONG")
        self._next_id += 1
        invoice_id, invoice_hash = self._next_id, f"IVfake{self._next_id}"
        invoice: dict[str, Any] = {
            "invoice_id": invoice_id,
            "hash": invoice_hash,
            "currency_type": currency_type,
            "amount": str(p["amount"]),
            "pay_url": f"https://t.me/CryptoBot?start={invoice_hash}",
            "bot_invoice_url": f"https://t.me/CryptoBot?start={invoice_hash}",
            "mini_app_invoice_url": f"https://t.me/CryptoBot/app?startapp=invoice-{invoice_hash}",
            "web_app_invoice_url": f"https://app.send.tg/invoices/{invoice_hash}",
            "status": "active",
            "created_at": _now(),
            "allow_comments": True,
            "allow_anonymous": True,
        }
        invoice.update({"asset": p["asset"]} if currency_type == "crypto" else {"fiat": p["fiat"]})
        if expires_in is not None:
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
            invoice["expiration_date"] = expires.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for key in ("description", "payload", "paid_btn_name", "paid_btn_url", "hidden_message"):
            if key in p:
                invoice[key] = p[key]
        self.invoices[invoice_id] = invoice
        return _answer(invoice)

    async def _get_invoices(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        p = await self._params(request)
        ids_text = str(p.get("invoice_ids", ""))
        try:
            ids = [int(part) for part in ids_text.split(",")] if ids_text else list(self.invoices)
        except ValueError:
            return _error(400, "INVOICE_IDS_INVALID")
        items = [self.invoices[i] for i in ids if i in self.invoices]
        if status := p.get("status"):
            items = [invoice for invoice in items if invoice["status"] == status]
        return _answer({"items": items})
