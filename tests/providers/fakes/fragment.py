"""A fake Fragment API (api.fragment-api.com) with the documented behaviour.

- `POST /v1/auth/authenticate/` {api_key, phone_number, mnemonics: 24 words} answers {"token"}
  for the account's credentials, a refusal otherwise;
- every other endpoint needs `Authorization: JWT <token>`: a missing, unknown or expired token is
  401 (`expire_tokens()` expires every token issued so far, as time does);
- `POST /v1/order/stars/` {username, quantity 50..1 000 000, show_sender} and
  `POST /v1/order/premium/` {username, months 3 | 6 | 12} buy (an order is recorded in `orders`)
  and answer the order: {id, status, success, receiver, goods_quantity, type, error, ...};
  a bad field is 400 {"<field>": [...]}, an unknown recipient 400
  {"errors": [{"code": "20", "error": "..."}]};
- `GET /v1/order/{id}/` answers the order as it is now (404 for an unknown id);
- `GET /v1/misc/user/{username}/` answers {username, name, photo}, or 404 with code 20.

A test steers it: `missing` usernames are unknown to Telegram; `new_status` is what a new order
becomes (COMPLETED, or PENDING / BLOCKCHAIN_SENT for one finished later with `finish()`);
`refuse_next(code, text)` refuses the next orders with an error code, buying nothing;
`hang_after_buying_next()` buys the next order and then does not answer (the client times out:
the order exists, its id never reached the caller). The shared harness's `fail_next` answers a
status (500, 503) before anything is bought or read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import Recorded, ServedApp, hang, new_app, serve

API_KEY = "fragment-api-key-placeholder"
PHONE = "+10000000000"
MNEMONICS = " ".join(f"word{n:02d}" for n in range(1, 25))
USERNAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{2,31}$")
NOT_FOUND = {"errors": [{"code": "20", "error": "Recipient username was not found on Fragment"}]}


@dataclass
class Order:
    id: str
    type: str  # STARS or PREMIUM
    username: str
    quantity: int  # Stars, or Premium months
    status: str
    error: str | None = None
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    def view(self) -> dict[str, Any]:
        return {
            "success": self.status != "FAILED",
            "id": self.id,
            "receiver": self.username,
            "goods_quantity": self.quantity,
            "username": self.username,
            "sender": None,
            "ref_id": f"ref-{self.id[-6:]}",
            "status": self.status,
            "type": self.type,
            "error": self.error,
            "created_at": self.created_at,
        }


@dataclass
class FakeFragment:
    """The account and what happened to it; a test reads and steers it."""

    missing: set[str] = field(default_factory=set)
    new_status: str = "COMPLETED"
    orders: dict[str, Order] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    sign_ins: int = 0
    _refusals: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    _hang_next: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def refuse_next(self, code: str, text: str, *, times: int = 1, status: int = 400) -> None:
        self._refusals.extend([(status, {"errors": [{"code": code, "error": text}]})] * times)

    def hang_after_buying_next(self) -> None:
        self._hang_next += 1

    def finish(self, order_id: str, status: str = "COMPLETED", error: str | None = None) -> None:
        self.orders[order_id].status, self.orders[order_id].error = status, error

    def bought(self, username: str | None = None) -> list[Order]:
        return [o for o in self.orders.values() if username is None or o.username == username]

    # --- the handlers --------------------------------------------------------------------------

    async def authenticate(self, request: web.Request) -> web.Response:
        data = await _body(request)
        words = data.get("mnemonics") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or data.get("api_key") != API_KEY
            or data.get("phone_number") != PHONE
            or not isinstance(words, list)
            or " ".join(map(str, words)) != MNEMONICS
        ):
            return web.json_response({"errors": [{"code": "0", "error": "Invalid credentials"}]}, status=400)
        self.sign_ins += 1
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response({"token": token})

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme == "JWT" and token in self.tokens

    async def order_stars(self, request: web.Request) -> web.Response:
        return await self._order(request, "STARS", "quantity", lambda n: 50 <= n <= 1_000_000)

    async def order_premium(self, request: web.Request) -> web.Response:
        return await self._order(request, "PREMIUM", "months", lambda n: n in (3, 6, 12))

    async def _order(self, request: web.Request, kind: str, amount: str, allowed: Any) -> web.Response:
        if not self._authorized(request):
            return _unauthorized()
        data = await _body(request)
        if not isinstance(data, dict):
            return web.json_response({"non_field_errors": ["Invalid data."]}, status=400)
        username, count = data.get("username"), data.get(amount)
        if not isinstance(username, str) or not USERNAME.match(username):
            return web.json_response({"username": ["Enter a valid username."]}, status=400)
        if not isinstance(count, int) or isinstance(count, bool) or not allowed(count):
            return web.json_response({amount: ["Ensure this value is valid."]}, status=400)
        if self._refusals:
            status, body = self._refusals.pop(0)
            return web.json_response(body, status=status)
        if username.lower() in self.missing:
            return web.json_response(NOT_FOUND, status=400)
        order = Order(f"00000000-0000-4000-8000-{next(self._ids):012d}", kind, username, count, self.new_status)
        self.orders[order.id] = order
        if self._hang_next:
            self._hang_next -= 1
            await hang(request)  # bought; the answer never arrives in time
        return web.json_response(order.view())

    async def order_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _unauthorized()
        order = self.orders.get(request.match_info["order_id"])
        if order is None:
            return web.json_response({"detail": "Not found."}, status=404)
        return web.json_response(order.view())

    async def user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _unauthorized()
        username = request.match_info["username"]
        if username.lower() in self.missing:
            return web.json_response(NOT_FOUND, status=404)
        return web.json_response({"username": username, "name": username.title(), "photo": None})


def _unauthorized() -> web.Response:
    return web.json_response({"detail": "Given token not valid for any token type"}, status=401)


async def _body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except ValueError:
        return None


@dataclass
class RunningFragment(ServedApp):
    url: str
    fake: FakeFragment
    app: web.Application

    def posts(self, path: str = "/v1/order/") -> list[Recorded]:
        """The order requests that reached the server (whatever it answered)."""
        return [r for r in self.recorded if r.method == "POST" and r.path.startswith(path)]


def new_fragment_app(fake: FakeFragment) -> web.Application:
    app = new_app()
    app.router.add_post("/v1/auth/authenticate/", fake.authenticate)
    app.router.add_post("/v1/order/stars/", fake.order_stars)
    app.router.add_post("/v1/order/premium/", fake.order_premium)
    app.router.add_get("/v1/order/{order_id}/", fake.order_status)
    app.router.add_get("/v1/misc/user/{username}/", fake.user)
    return app


@asynccontextmanager
async def fragment_server() -> AsyncIterator[RunningFragment]:
    fake = FakeFragment()
    app = new_fragment_app(fake)
    async with serve(app) as url:
        yield RunningFragment(url, fake, app)
