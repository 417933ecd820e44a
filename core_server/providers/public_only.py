"""Provider calls reach public addresses only: a tenant may point a provider's `base_url` anywhere
(that is how a self-hosted BTCPay or a test server is used), and the core sends that tenant's
secrets there, so a name that resolves to a loopback, private or link-local address must not turn
the core into a way into its own network.

Settings already refuse such address literals and `localhost`
(domain/payments/configs.py); a public-looking *name* can still resolve to a private address, now
or later (DNS rebinding). So the check is made where the connection is opened: every name is
resolved once, refused unless each address is public, and the connection goes to the address that
was checked (TLS still verifies the name: httpcore passes the origin's host as the server name).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

NOT_PUBLIC = "not a public address: "

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address of `host`, as the system resolver gives them."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: IpAddress) -> bool:
    return address.is_global and not address.is_multicast


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses `allowed` says yes to."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        *,
        resolver: Resolver = resolve,
        allowed: Callable[[IpAddress], bool] = is_public,
    ) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolve = resolver
        self._allowed = allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                async with asyncio.timeout(timeout):
                    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await self._resolve(host, port)]
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
            except OSError as error:
                raise httpcore.ConnectError(f"cannot resolve {host} ({error.strerror or error})") from None
        if not addresses or not all(self._allowed(address) for address in addresses):
            raise httpcore.ConnectError(NOT_PUBLIC + host)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:  # in the resolver's order, as a plain connect would try them
            try:
                return await self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(NOT_PUBLIC + "a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def public_only_transport(backend: PublicOnlyBackend | None = None) -> httpx.AsyncHTTPTransport:
    """httpx's transport with its connection pool opening connections through `backend`.

    httpx takes no network backend of its own, so the pool it built is replaced by the same pool
    on this backend (tests/providers/test_public_only.py fails if an httpx upgrade changes that)."""
    transport = httpx.AsyncHTTPTransport()
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=httpx.Limits().max_connections,
        max_keepalive_connections=httpx.Limits().max_keepalive_connections,
        keepalive_expiry=httpx.Limits().keepalive_expiry,
        network_backend=backend or PublicOnlyBackend(),
    )
    return transport
