"""The interceptor's guarantees that no regular RPC shows: unexpected errors leak nothing, and a
method without an access rule is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from core_server.api.access import rpc
from core_server.api.interceptor import CoreInterceptor
from core_server.api.server import CoreServer
from core_server.domain.actor import ALL_ROLES
from sdk import InternalError, PermissionDenied
from sdk.interceptors import NO_RETRY, UnaryStreamInterceptor, UnaryUnaryInterceptor
from tests.hub import Hub


@rpc(roles=ALL_ROLES, tenant_scoped=False)
async def explode(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise RuntimeError("database password is hunter2")


async def no_rule(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return b"should never run"


@rpc(roles=ALL_ROLES, tenant_scoped=False)
async def count(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[bytes]:
    for n in range(3):
        yield bytes([n])
    raise RuntimeError("stream broke: secret detail")


@pytest.fixture
async def channel(hub: Hub) -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server(interceptors=[CoreInterceptor(hub.deps)])
    handlers = {
        "Explode": grpc.unary_unary_rpc_method_handler(explode),
        "NoRule": grpc.unary_unary_rpc_method_handler(no_rule),
        "Count": grpc.unary_stream_rpc_method_handler(count),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Probe", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()

    def metadata() -> list[tuple[str, str | bytes]]:
        return [("authorization", f"Bearer {hub.platform_key}")]

    async with grpc.aio.insecure_channel(
        f"127.0.0.1:{port}", interceptors=[UnaryUnaryInterceptor(metadata, NO_RETRY), UnaryStreamInterceptor(metadata)]
    ) as channel:
        yield channel
    await server.stop(0)


async def test_unexpected_errors_become_internal_without_details(channel: grpc.aio.Channel) -> None:
    with pytest.raises(InternalError) as caught:
        await channel.unary_unary("/test.Probe/Explode")(b"")
    assert "hunter2" not in str(caught.value)
    assert caught.value.request_id and caught.value.request_id in caught.value.message


async def test_methods_without_an_access_rule_are_refused(channel: grpc.aio.Channel) -> None:
    with pytest.raises(PermissionDenied) as caught:
        await channel.unary_unary("/test.Probe/NoRule")(b"")
    assert caught.value.reason == "METHOD_NOT_ALLOWED"


async def test_streams_are_authenticated_and_fail_cleanly(channel: grpc.aio.Channel) -> None:
    received: list[bytes] = []
    with pytest.raises(InternalError) as caught:
        async for item in channel.unary_stream("/test.Probe/Count")(b""):
            received.append(item)
    assert received == [b"\x00", b"\x01", b"\x02"]
    assert "secret detail" not in str(caught.value)


async def test_the_core_registers_its_services_as_generic_handlers_only(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grpc.aio's accept loop waits on one future per registered method for every call it accepts
    (core_server/api/server.py, _GenericHandlersOnly): a server built with registered methods
    costs every call work in proportion to the number of methods, which only a benchmark shows."""
    registered: list[str] = []
    monkeypatch.setattr(
        grpc.aio._server.Server,  # the one method to watch has no public hook
        "add_registered_method_handlers",
        lambda self, name, handlers: registered.append(name),
    )
    CoreServer(hub.deps)
    assert registered == []
