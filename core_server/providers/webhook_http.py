"""The HTTP client of outbound webhooks: POSTs a signed event to a tenant's endpoint.

Endpoints are tenant input, so connections go to public addresses only (providers/public_only.py:
a name is resolved once and every address checked where the connection opens), loopback too when
the core allows plain http to loopback for local development. No redirect is followed (a 3xx is a
failure: the tenant fixes its URL), no cookie or proxy setting of the environment applies, and the
whole attempt, connect to status line, has one deadline. The answer's body is never read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx

from core_server.domain.webhook_api import PostResult
from core_server.providers.public_only import NOT_PUBLIC, IpAddress, PublicOnlyBackend, is_public, public_only_transport

# per phase; the total deadline is the dispatcher's `timeout`
PHASE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# the client's pool: the dispatcher bounds the requests in flight itself
LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16)


def webhook_client(*, allow_loopback: bool) -> httpx.AsyncClient:
    """A client that connects to public addresses only (and loopback ones when allowed)."""

    def allowed(address: IpAddress) -> bool:
        return is_public(address) or (allow_loopback and address.is_loopback)

    transport = public_only_transport(PublicOnlyBackend(allowed=allowed))
    return httpx.AsyncClient(
        timeout=PHASE_TIMEOUT, follow_redirects=False, trust_env=False, transport=transport, limits=LIMITS
    )


class HttpWebhookSender:
    """domain/webhook_api.WebhookSender over httpx."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, deadline: float) -> PostResult:
        try:
            async with asyncio.timeout(deadline):
                async with self._client.stream("POST", url, headers=dict(headers), content=body) as response:
                    status = response.status_code
        except TimeoutError:
            return PostResult(0, f"timed out after {deadline:g} s")
        except httpx.ConnectError as error:
            if str(error).startswith(NOT_PUBLIC):
                return PostResult(0, "refused: the host is not a public address")
            return PostResult(0, "could not connect")
        except httpx.TimeoutException:
            return PostResult(0, f"timed out after {deadline:g} s")
        except httpx.HTTPError as error:
            return PostResult(0, f"failed ({type(error).__name__})")
        if 300 <= status < 400:
            return PostResult(status, f"answered {status}: redirects are not followed")
        if not 200 <= status < 300:
            return PostResult(status, f"answered {status}")
        return PostResult(status)
