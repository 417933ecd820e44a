"""The one way adapters call a provider over HTTP: timeouts, and errors mapped to the adapter
vocabulary (ProviderUnavailable for an unknown outcome, ProviderRejected for a refusal).

Messages name the provider, the path and the status, never a header or a body that could hold a
key."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from core_server.domain.provider_api import ProviderConfig, ProviderRejected, ProviderUnavailable
from core_server.providers.public_only import NOT_PUBLIC, public_only_transport

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# failures that happen before any byte of the request is written
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def new_client(*, public_only: bool = True) -> httpx.AsyncClient:
    """The shared client of every adapter (connection pooling across tenants; no cookies kept).
    `public_only`: connect to public addresses only (providers/public_only.py); the test hub's
    fakes listen on loopback."""
    transport = public_only_transport() if public_only else None
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False, transport=transport)


def base_url(config: ProviderConfig, default: str, test_default: str = "") -> str:
    """The tenant's override, else the test or live default; no trailing slash."""
    url = config.base_url or (test_default if config.test_mode and test_default else default)
    return url.rstrip("/")


async def call(
    client: httpx.AsyncClient,
    provider: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    timeouts: httpx.Timeout | None = None,
    shown_path: str = "",
) -> httpx.Response:
    """Send one request. 5xx, 429, timeouts and transport errors raise ProviderUnavailable; other
    non-2xx answers are returned for the adapter to read (each provider words refusals its own way).
    A rate limit refuses now, not for good: the same call works later, so it is never a refusal.

    The error's `request_sent` is False only when no connection was made (connecting failed or
    timed out, or no pooled connection came free): the request never left. `timeouts` replace the
    client's for this request (an order the provider completes while we wait takes longer).
    `shown_path` replaces the URL's path in messages when the path holds a secret (the Bot API's
    /bot<token>/<method>)."""
    path = shown_path or httpx.URL(url).path
    if json_body is not None:
        content = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"content-type": "application/json", **(headers or {})}
    extra: dict[str, Any] = {} if timeouts is None else {"timeout": timeouts}
    try:
        response = await client.request(
            method, url, headers=headers, content=content, params=params, auth=auth, **extra
        )
    except _NEVER_SENT as error:
        if str(error).startswith(NOT_PUBLIC):  # a setting to change, not an outage
            raise ProviderRejected(f"{provider}: {method} {path} refused: the host is {error}") from None
        what = "timed out connecting" if isinstance(error, httpx.TimeoutException) else "could not connect"
        raise ProviderUnavailable(f"{provider}: {method} {path} {what}", request_sent=False) from None
    except httpx.TimeoutException:
        raise ProviderUnavailable(f"{provider}: {method} {path} timed out") from None
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"{provider}: {method} {path} failed ({type(error).__name__})") from None
    if response.status_code >= 500:
        raise ProviderUnavailable(f"{provider}: {method} {path} answered {response.status_code}")
    if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
        raise ProviderUnavailable(f"{provider}: {method} {path} answered 429 (rate-limited)")
    return response


def json_object(body: bytes, provider: str) -> dict[str, Any]:
    """A JSON object from a provider (a notice or an answer), decimals kept exact
    (`parse_float=Decimal`: an amount never passes through a float); anything else is a refusal."""
    try:
        value = json.loads(body, parse_float=Decimal)
    except ValueError:
        raise ProviderRejected(f"{provider}: the body is not JSON") from None
    if not isinstance(value, dict):
        raise ProviderRejected(f"{provider}: the body is not a JSON object")
    return value


def json_of(response: httpx.Response, provider: str) -> Any:
    """The response's JSON; a body that is not JSON is a refusal we cannot read."""
    try:
        return response.json()
    except ValueError:
        raise ProviderRejected(f"{provider}: answered {response.status_code} without JSON") from None


def rejected(provider: str, response: httpx.Response, detail: str = "") -> ProviderRejected:
    text = f"{provider}: answered {response.status_code}"
    return ProviderRejected(f"{text}: {detail[:300]}" if detail else text)
