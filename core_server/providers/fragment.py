"""Fragment API (api.fragment-api.com): Telegram Stars and Premium bought for a @username.

The tenant's Fragment account signs in with its API key, the phone number of its Telegram account
and the 24 mnemonic words of its TON wallet (`POST /v1/auth/authenticate/`); the answer is a token
sent as `Authorization: JWT <token>`. Tokens are kept in memory per set of credentials (so per
tenant), and a 401 signs in again once. Orders are `POST /v1/order/stars/` {username, quantity 50
to 1 000 000, show_sender} and `POST /v1/order/premium/` {username, months 3, 6 or 12}; Fragment
answers the order ({id, status CREATED | PENDING | BLOCKCHAIN_SENT | COMPLETED | FAILED, error,
...}), readable again at `GET /v1/order/{id}/`. `GET /v1/misc/user/{username}/` checks a recipient.
Refusals read `{"errors": [{"code": "20", "error": "..."}]}`: 20 (recipient not found) and 11
(the account needs KYC) are final; 0 (general), 10, 12 and 13 (TON network, Telegram) may pass later.

Fragment takes no idempotency key, so an order sent twice buys twice. After an order request may
have left (a timeout, a 5xx, a dropped connection, a 2xx without an order id) this adapter raises
DeliveryUnknown and never sends it again itself; only a failure to connect, a sign-in failure or a
refusal (which bought nothing) is DeliveryRetryable. Messages never carry the credentials or the
token.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from core_server.domain.provider_api import (
    DeliveryRefused,
    DeliveryRetryable,
    DeliveryUnknown,
    GiftOrder,
    GiftRecipient,
    GiftState,
    ProviderConfig,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from core_server.providers.http import base_url, call

NAME = "fragment"
DEFAULT_URL = "https://api.fragment-api.com"
AUTH_PATH = "/v1/auth/authenticate/"
# Fragment completes an order while the request waits, which can take a while; reads are quick.
ORDER_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
READ_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
STARS_MIN, STARS_MAX = 50, 1_000_000
PREMIUM_MONTHS = (3, 6, 12)
MNEMONIC_WORDS = 24
FINAL_CODES = frozenset({"11", "20"})
NOT_FOUND = "20"
STATES = {
    "CREATED": GiftState.PENDING,
    "PENDING": GiftState.PENDING,
    "BLOCKCHAIN_SENT": GiftState.PENDING,
    "COMPLETED": GiftState.COMPLETED,
    "FAILED": GiftState.FAILED,
}


def _username(username: str) -> str:
    return username.strip().removeprefix("@")


def _fingerprint(config: ProviderConfig) -> str:
    """The token cache key: a digest of the credentials (never the credentials themselves)."""
    parts = (config.base_url, config.secret("api_key"), config.secret("phone_number"), config.secret("mnemonics"))
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _errors(data: Any) -> list[tuple[str, str]]:
    """The (code, text) pairs of a Fragment refusal body."""
    items = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(str(i.get("code", "")), str(i.get("error", ""))) for i in items if isinstance(i, dict)]


def _refusal(response: httpx.Response) -> DeliveryRefused | DeliveryRetryable:
    """What a 4xx answer to an order or a read means; a refusal bought nothing."""
    status, data = response.status_code, _json(response)
    errors = _errors(data)
    if errors:
        text = "; ".join(f"{error} (code {code})" for code, error in errors)[:300]
        final = next((code for code, _ in errors if code in FINAL_CODES), "")
        if final:
            return DeliveryRefused(f"fragment: {text}", final)
        return DeliveryRetryable(f"fragment: answered {status}: {text}", errors[0][0])
    if status == 400 and isinstance(data, dict):  # the request itself is wrong (field errors)
        fields = ", ".join(sorted(str(k) for k in data))[:200]
        return DeliveryRefused(f"fragment: refused the request ({fields})")
    if status in (401, 403):
        return DeliveryRetryable("fragment: not authorized (check the api key, phone number and mnemonics)")
    if status == 404:
        return DeliveryRetryable("fragment: answered 404 (check the base URL)")
    return DeliveryRetryable(f"fragment: answered {status}")


def _order(data: Any) -> GiftOrder | None:
    """Fragment's order, or None when the body names none."""
    if not isinstance(data, dict) or not data.get("id"):
        return None
    raw = str(data.get("status") or "").upper()
    state = STATES.get(raw, GiftState.PENDING)  # a word we do not know: ask again later
    error = data.get("error")
    return GiftOrder(str(data["id"])[:200], state, raw[:32], "" if error in (None, "") else str(error)[:300])


class Fragment:
    name: ClassVar[str] = NAME
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "phone_number", "mnemonics")
    option_fields: ClassVar[tuple[str, ...]] = ()
    required_fields: ClassVar[tuple[str, ...]] = ("api_key", "phone_number", "mnemonics")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._tokens: dict[str, str] = {}
        self._signing_in: dict[str, asyncio.Lock] = {}

    async def order_stars(self, config: ProviderConfig, username: str, quantity: int) -> GiftOrder:
        if not STARS_MIN <= quantity <= STARS_MAX:
            raise DeliveryRefused(f"fragment: {quantity} Stars is outside {STARS_MIN} to {STARS_MAX}")
        body = {"username": _username(username), "quantity": quantity, "show_sender": False}
        return await self._place(config, "/v1/order/stars/", body)

    async def order_premium(self, config: ProviderConfig, username: str, months: int) -> GiftOrder:
        if months not in PREMIUM_MONTHS:
            raise DeliveryRefused(f"fragment: Premium is sold for 3, 6 or 12 months, not {months}")
        body = {"username": _username(username), "months": months, "show_sender": False}
        return await self._place(config, "/v1/order/premium/", body)

    async def order_status(self, config: ProviderConfig, order_id: str) -> GiftOrder:
        response = await self._send(config, "GET", f"/v1/order/{quote(order_id, safe='')}/", None, READ_TIMEOUT)
        order = _order(_json(response)) if response.is_success else None
        if order is None:  # a read bought nothing, whatever it answered: ask again later
            refusal = _refusal(response) if not response.is_success else None
            raise DeliveryRetryable(str(refusal) if refusal else "fragment: the order status answer names no order")
        return order

    async def check_user(self, config: ProviderConfig, username: str) -> GiftRecipient:
        name = _username(username)
        response = await self._send(config, "GET", f"/v1/misc/user/{quote(name, safe='')}/", None, READ_TIMEOUT)
        if response.status_code == 404:
            raise DeliveryRefused(f"fragment: recipient @{name} was not found", NOT_FOUND)
        if not response.is_success:
            raise _refusal(response)
        data = _json(response)
        found = data.get("username") if isinstance(data, dict) else None
        shown = data.get("name") if isinstance(data, dict) else None
        return GiftRecipient(str(found or name), str(shown or ""))

    async def check_config(self, config: ProviderConfig) -> None:
        """Sign in afresh with the stored credentials (ProviderRejected when Fragment refuses them)."""
        key = _fingerprint(config)
        async with self._lock(key):
            self._tokens[key] = await self._sign_in(config)

    async def _place(self, config: ProviderConfig, path: str, body: dict[str, Any]) -> GiftOrder:
        """Send one order: DeliveryUnknown from the moment it may have reached Fragment."""
        response = await self._send(config, "POST", path, body, ORDER_TIMEOUT)
        if response.is_success:
            order = _order(_json(response))
            if order is None:
                raise DeliveryUnknown(f"fragment: POST {path} answered {response.status_code} without an order id")
            return order
        raise _refusal(response)

    async def _send(
        self, config: ProviderConfig, method: str, path: str, body: dict[str, Any] | None, timeouts: httpx.Timeout
    ) -> httpx.Response:
        """One authenticated request, signing in again once when Fragment answers 401 (a 401
        bought nothing, so the order may go again)."""
        url = base_url(config, DEFAULT_URL) + path
        key = _fingerprint(config)
        token = await self._token(config, key)
        for attempt in (1, 2):
            headers = {"authorization": f"JWT {token}", "accept": "application/json"}
            try:
                response = await call(
                    self._client, NAME, method, url, headers=headers, json_body=body, timeouts=timeouts
                )
            except ProviderUnavailable as error:
                if method == "POST" and error.request_sent:
                    raise DeliveryUnknown(str(error)) from None
                raise DeliveryRetryable(str(error)) from None
            if response.status_code != 401 or attempt == 2:
                return response
            token = await self._token(config, key, stale=token)
        raise AssertionError("unreachable")

    def _lock(self, key: str) -> asyncio.Lock:
        return self._signing_in.setdefault(key, asyncio.Lock())

    async def _token(self, config: ProviderConfig, key: str, stale: str = "") -> str:
        """The cached token, or a new one when there is none or `stale` (refused) is still cached;
        concurrent callers wait for one sign-in instead of each making their own."""
        async with self._lock(key):
            cached = self._tokens.get(key, "")
            if cached and cached != stale:
                return cached
            self._tokens.pop(key, None)
            try:
                token = await self._sign_in(config)
            except ProviderError as error:  # nothing was ordered yet
                raise DeliveryRetryable(str(error)) from None
            self._tokens[key] = token
            return token

    async def _sign_in(self, config: ProviderConfig) -> str:
        words = config.secret("mnemonics").split()
        if len(words) != MNEMONIC_WORDS:
            raise ProviderRejected(f"fragment: the mnemonics must be {MNEMONIC_WORDS} words, not {len(words)}")
        body = {"api_key": config.secret("api_key"), "phone_number": config.secret("phone_number"), "mnemonics": words}
        url = base_url(config, DEFAULT_URL) + AUTH_PATH
        headers = {"accept": "application/json"}
        response = await call(self._client, NAME, "POST", url, headers=headers, json_body=body, timeouts=READ_TIMEOUT)
        if not response.is_success:  # the body may echo what was sent: never quoted
            raise ProviderRejected(f"fragment: sign-in refused ({response.status_code})")
        data = _json(response)
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderRejected("fragment: sign-in answered without a token")
        return token


FULFILLMENT_ADAPTER = Fragment
