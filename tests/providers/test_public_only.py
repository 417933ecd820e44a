"""The core's provider client connects to public addresses only: a tenant's base_url whose name
resolves to loopback, a private or a link-local address is refused before any byte (and so any
secret) is sent, and the connection goes to the address that was checked, never to one a second
lookup returns."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from core_server.domain.provider_api import ProviderRejected
from core_server.providers.http import call, new_client
from core_server.providers.public_only import PublicOnlyBackend, public_only_transport
from tests.providers.fakes.server import ServedApp, new_app, serve


class Echo(ServedApp):
    def __init__(self) -> None:
        self.app = new_app()
        self.app.router.add_route("*", "/{tail:.*}", self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        return web.json_response({"host": request.headers.get("host", "")})


@pytest.fixture
async def echo() -> AsyncIterator[tuple[Echo, int]]:
    fake = Echo()
    async with serve(fake.app) as url:
        yield fake, httpx.URL(url).port or 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
async def test_loopback_is_refused_before_anything_is_sent(echo: tuple[Echo, int], host: str) -> None:
    fake, port = echo
    async with new_client() as client:
        with pytest.raises(ProviderRejected, match="not a public address"):
            await call(client, "testpay", "POST", f"http://{host}:{port}/pay", headers={"authorization": "secret"})

    assert fake.recorded == []


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "::ffff:127.0.0.1"])
async def test_a_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    looked_up: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.34", address]  # one public address is not enough: every one must be

    transport = public_only_transport(PublicOnlyBackend(resolver=resolver))
    async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
        with pytest.raises(ProviderRejected, match=r"not a public address: shop\.example"):
            await call(client, "testpay", "GET", "https://shop.example/api")

    assert looked_up == ["shop.example"]


async def test_the_connection_goes_to_the_address_checked(echo: tuple[Echo, int]) -> None:
    """The name is resolved once; the request reaches that address with the name as its Host."""
    fake, port = echo
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    backend = PublicOnlyBackend(resolver=resolver, allowed=lambda a: a == ipaddress.ip_address("127.0.0.1"))
    async with httpx.AsyncClient(transport=public_only_transport(backend), trust_env=False) as client:
        response = await call(client, "testpay", "GET", f"http://pinned.test:{port}/status")

    assert response.json() == {"host": f"pinned.test:{port}"}
    assert lookups == ["pinned.test"]
    assert [r.path for r in fake.recorded] == ["/status"]


async def test_a_name_that_does_not_resolve_is_unavailable_not_sent() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    transport = public_only_transport(PublicOnlyBackend(resolver=resolver))
    async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
        with pytest.raises(Exception, match="could not connect") as caught:
            await call(client, "testpay", "GET", "https://nowhere.example/api")

    assert getattr(caught.value, "request_sent", None) is False
