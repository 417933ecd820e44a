"""A fake YooKassa API v3: POST /v3/payments, GET /v3/payments/{id}, GET /v3/me.

It checks HTTP Basic auth the way YooKassa does (401 invalid_credentials), requires the
Idempotence-Key header on a create and answers a repeated key with the payment it first opened
(400 when the same key comes with another body), and keeps payments in memory. Tests move a
payment through its statuses with `settle` and build notification bodies with `notification`
(unsigned, as YooKassa sends them)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import ServedApp, new_app

SHOP_ID = "100500"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"

_VALUE = re.compile(r"^\d+(\.\d+)?$")


def _error(status: int, code: str, description: str, parameter: str = "") -> web.Response:
    body: dict[str, str] = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return web.json_response(body, status=status)


class FakeYooKassa(ServedApp):
    def __init__(self, shop_id: str = SHOP_ID, secret_key: str = SECRET_KEY) -> None:
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.payments: dict[str, dict[str, Any]] = {}
        self._by_key: dict[str, tuple[str, dict[str, Any]]] = {}
        self.app = new_app()
        self.app.router.add_post("/v3/payments", self._create)
        self.app.router.add_get("/v3/payments/{payment_id}", self._get)
        self.app.router.add_get("/v3/me", self._me)

    # -- what a test does at YooKassa's side -----------------------------------------------------

    def settle(
        self, payment_id: str, status: str, *, reason: str = "", value: str = "", currency: str = ""
    ) -> dict[str, Any]:
        """The payment moves to `status` (a buyer paid, gave up, a bank declined); `value` and
        `currency` replace the amount (a provider-side rounding, an odd currency)."""
        payment = self.payments[payment_id]
        payment["status"] = status
        payment["paid"] = status in ("succeeded", "waiting_for_capture")
        if value:
            payment["amount"]["value"] = value
        if currency:
            payment["amount"]["currency"] = currency
        if status == "canceled":
            payment["cancellation_details"] = {"party": "yoo_money", "reason": reason or "general_decline"}
        if status == "waiting_for_capture":
            payment["expires_at"] = "2030-01-01T12:00:00.000Z"
        return payment

    def notification(self, event: str, payment_id: str) -> bytes:
        """The body YooKassa POSTs for `event`: the object as it is at the moment of the event."""
        return json.dumps({"type": "notification", "event": event, "object": self.payments[payment_id]}).encode()

    # -- the API ---------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.shop_id and password == self.secret_key

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "invalid_credentials", "Authentication by given credentials failed")
        key = request.headers.get("Idempotence-Key", "")
        if not key or len(key) > 64:
            return _error(400, "invalid_request", "Idempotence key is missing or too long", "Idempotence-Key")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, "invalid_request", "Request body is not JSON")
        if key in self._by_key:
            payment_id, first_body = self._by_key[key]
            if first_body != body:
                return _error(
                    400, "invalid_request", "Idempotence key duplicated with another request", "Idempotence-Key"
                )
            return web.json_response(self.payments[payment_id])
        problem = _invalid(body)
        if problem:
            return _error(400, "invalid_request", f"Invalid {problem}", problem)
        payment_id = str(uuid.uuid4())
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": dict(body["amount"]),
            "confirmation": {
                "type": "redirect",
                "return_url": body["confirmation"]["return_url"],
                "confirmation_url": f"https://yoomoney.ru/api-pages/v2/payment-confirm/epl?orderId={payment_id}",
            },
            "created_at": "2026-01-22T14:30:45.129Z",
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "refundable": False,
            "test": True,
        }
        self.payments[payment_id] = payment
        self._by_key[key] = (payment_id, body)
        return web.json_response(payment)

    async def _get(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "invalid_credentials", "Authentication by given credentials failed")
        payment = self.payments.get(request.match_info["payment_id"])
        if payment is None:
            return _error(404, "not_found", "Incorrect payment_id. Payment doesn't exist or access denied.")
        return web.json_response(payment)

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "invalid_credentials", "Authentication by given credentials failed")
        return web.json_response(
            {
                "account_id": self.shop_id,
                "test": True,
                "fiscalization_enabled": False,
                "payment_methods": ["bank_card", "yoo_money"],
                "status": "enabled",
            }
        )


def _invalid(body: object) -> str:
    """The first parameter YooKassa would refuse in a redirect payment with capture, or ""."""
    if not isinstance(body, dict):
        return "body"
    amount = body.get("amount")
    if not isinstance(amount, dict) or not isinstance(amount.get("value"), str) or not _VALUE.match(amount["value"]):
        return "amount.value"
    if not isinstance(amount.get("currency"), str) or not amount["currency"].isupper():
        return "amount.currency"
    confirmation = body.get("confirmation")
    if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
        return "confirmation.type"
    if not isinstance(confirmation.get("return_url"), str) or not confirmation["return_url"]:
        return "confirmation.return_url"
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 128:
        return "description"
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return "metadata"
    return ""
