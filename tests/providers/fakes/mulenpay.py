"""A fake MulenPay API: POST /api/v2/payments, GET /api/v2/payments/{id},
GET /api/v2/shops/{shopId}/balances.

It checks the Bearer API key (401 {"error": "unauthorized", "status": 401}), the required fields
of a payment (422 "param is missing or the value is empty: <name>") and the request's `sign`,
which it computes on its own from the documented formula. What MulenPay answers to a wrong sign,
another shop's id or an unknown payment is not documented; the fake answers 422, 403 and 404 in
the documented error shape. Payments live in memory; `settle` moves one to a status and `callback`
builds the unsigned body MulenPay POSTs."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import ServedApp, new_app

API_KEY = "mp_live_7d1f0a4c2e9b4b7fa3c6"
SECRET_KEY = "sk_5b2e8c1d9f7a4e3b"
SHOP_ID = 5

_REQUIRED = ("currency", "amount", "uuid", "shopId", "description", "sign", "items")
_ITEM_FIELDS = ("description", "quantity", "price", "vat_code", "payment_subject", "payment_mode")


def _error(status: int, error: str) -> web.Response:
    return web.json_response({"error": error, "status": status}, status=status)


def expected_sign(currency: str, amount: str, shop_id: int, secret_key: str) -> str:
    """MulenPay's `sign`: sha1 hex over currency, amount and shopId as sent, then the secret key."""
    return hashlib.sha1((currency + amount + str(shop_id) + secret_key).encode()).hexdigest()  # noqa: S324 - theirs


class FakeMulenPay(ServedApp):
    def __init__(self, api_key: str = API_KEY, secret_key: str = SECRET_KEY, shop_id: int = SHOP_ID) -> None:
        self.api_key = api_key
        self.secret_key = secret_key
        self.shop_id = shop_id
        self.payments: dict[int, dict[str, Any]] = {}
        self.app = new_app()
        self.app.router.add_post("/api/v2/payments", self._create)
        self.app.router.add_get("/api/v2/payments/{payment_id}", self._get)
        self.app.router.add_get("/api/v2/shops/{shop_id}/balances", self._balances)

    # -- what a test does at MulenPay's side -----------------------------------------------------

    def settle(self, payment_id: int, status: int | str, *, amount: str = "", currency: str = "") -> dict[str, Any]:
        payment = self.payments[payment_id]
        payment["status"] = status
        if amount:
            payment["amount"] = amount
        if currency:
            payment["currency"] = currency
        return payment

    def callback(self, payment_id: int, payment_status: str, *, amount: str = "") -> bytes:
        """The callback body; the amount goes out as a JSON number, as MulenPay's example shows."""
        payment = self.payments[payment_id]
        number = amount or payment["amount"]
        return (
            f'{{"id": {payment_id}, "amount": {number}, "currency": "{payment["currency"]}", '
            f'"uuid": {json.dumps(payment["uuid"])}, "payment_status": "{payment_status}"}}'
        ).encode()

    # -- the API ---------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "unauthorized")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(422, "invalid JSON")
        if not isinstance(body, dict):
            return _error(422, "invalid JSON")
        for name in _REQUIRED:
            if body.get(name) in (None, "", []):
                return _error(422, f"param is missing or the value is empty: {name}")
        problem = _invalid(body)
        if problem:
            return _error(422, problem)
        if body["shopId"] != self.shop_id:
            return web.json_response(
                {"success": False, "message": "Магазин не найден или не принадлежит текущему пользователю"}, status=403
            )
        if body["sign"] != expected_sign(body["currency"], body["amount"], body["shopId"], self.secret_key):
            return _error(422, "invalid sign")
        payment_id = len(self.payments) + 1
        self.payments[payment_id] = {
            "id": payment_id,
            "uuid": body["uuid"],
            "amount": body["amount"],
            "currency": body["currency"],
            "description": body["description"],
            "status": 0,
        }
        return web.json_response(
            {"success": True, "paymentUrl": f"https://mulenpay.ru/payment/widget/{payment_id}", "id": payment_id},
            status=201,
        )

    async def _get(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "unauthorized")
        raw = request.match_info["payment_id"]
        payment = self.payments.get(int(raw)) if raw.isdigit() else None
        if payment is None:
            return _error(404, "not found")
        return web.json_response({"success": True, "payment": payment})

    async def _balances(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "unauthorized")
        if request.match_info["shop_id"] != str(self.shop_id):
            return web.json_response(
                {"success": False, "message": "Магазин не найден или не принадлежит текущему пользователю"}, status=403
            )
        balance = {"shop_id": self.shop_id, "currency": "rub", "balance": 1000.5, "hold": 200.0, "available": 800.5}
        return web.json_response({"success": True, "data": {"balances": [balance]}})


def _invalid(body: dict[str, Any]) -> str:
    """The documented constraints a request breaks, in MulenPay's words, or ""."""
    if body["currency"] != "rub":
        return "The selected currency is invalid."
    if not isinstance(body["amount"], str):
        return "amount must be a string with kopecks"
    try:
        amount = Decimal(body["amount"])
    except InvalidOperation:
        return "amount must be a number"
    if amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return "amount must be positive with at most 2 decimals"
    if not isinstance(body["shopId"], int) or isinstance(body["shopId"], bool):
        return "shopId must be an integer"
    items = body["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) and set(_ITEM_FIELDS) <= set(i) for i in items):
        return "items: " + ", ".join(_ITEM_FIELDS) + " are required"
    return ""
