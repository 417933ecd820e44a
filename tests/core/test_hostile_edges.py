"""Hostile and malformed input at the core's edge, as a client meets it: request ids that could not
be logged or echoed, messages that do not decode, errors raised while authenticating, and the
reflection that tools such as `buf curl` use to read error details."""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import h2.config
import h2.connection
import h2.events
import pytest
from google.protobuf import descriptor_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from sdk import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from sdk.errors import BillingHubError, error_from_rpc
from tests.hub import Hub, TenantHandle
from tests.money import CREDIT, assert_ledger_ok, balance, fund, money, new_user

CHARGE_USAGE = "/billinghub.v1.WalletService/ChargeUsage"
FRESH_ID = re.compile(r"[0-9a-f]{32}")
PRINTABLE_ASCII = "".join(chr(code) for code in range(0x20, 0x7F))
BAD_IDS = {
    "non-ascii": "заказ-1",
    "accented": "café",
    "nul": "a\x00b",
    "tab": "tab\there",
    "delete": "del\x7f",
    "129 characters": "x" * 129,
    "one megabyte": "x" * (1 << 20),
}


@pytest.fixture
async def raw(hub: Hub) -> AsyncIterator[grpc.aio.Channel]:
    """A channel without the SDK's interceptors: the caller sets every header and sees trailers."""
    async with grpc.aio.insecure_channel(hub.target) as channel:
        yield channel


def _auth(handle: TenantHandle) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {handle.admin_key}"),)


async def _funded(hub: Hub, name: str, amount: int = 10) -> tuple[TenantHandle, str]:
    shop = await hub.new_tenant(name)
    user = await new_user(shop)
    await fund(shop, user, amount)
    return shop, user


async def _assert_untouched(shop: TenantHandle, user: str, amount: int = 10) -> None:
    """The wallet still holds `amount` and the only transfer is the funding one."""
    assert (await balance(shop.admin, user)).posted.amount_minor == amount
    assert (await assert_ledger_ok(shop)).transfers_checked == 1


def _raw_grpc_call(port: int, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> dict[bytes, bytes]:
    """One unary gRPC call over a bare HTTP/2 connection, with header bytes no gRPC client would
    send (gRPC libraries refuse non-ASCII metadata); returns the response headers and trailers."""
    config = h2.config.H2Configuration(
        client_side=True, header_encoding=None, validate_outbound_headers=False, normalize_outbound_headers=False
    )
    conn = h2.connection.H2Connection(config)
    received: dict[bytes, bytes] = {}
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        request_headers = [
            (b":method", b"POST"),
            (b":scheme", b"http"),
            (b":path", path.encode()),
            (b":authority", b"127.0.0.1"),
            (b"content-type", b"application/grpc"),
            (b"te", b"trailers"),
            *headers,
        ]
        conn.send_headers(stream, request_headers)
        conn.send_data(stream, b"\x00" + struct.pack(">I", len(body)) + body, end_stream=True)
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                    received.update((bytes(k), bytes(v)) for k, v in event.headers)
                if isinstance(event, h2.events.StreamEnded | h2.events.StreamReset | h2.events.ConnectionTerminated):
                    ended = True
            sock.sendall(conn.data_to_send())
    return received


def _status_of(trailers: dict[bytes, bytes]) -> status_pb2.Status:
    encoded = trailers[b"grpc-status-details-bin"]
    return status_pb2.Status.FromString(base64.b64decode(encoded + b"=" * (-len(encoded) % 4)))


def _request_info(status: status_pb2.Status) -> error_details_pb2.RequestInfo:
    for detail in status.details:
        if detail.Is(error_details_pb2.RequestInfo.DESCRIPTOR):
            info = error_details_pb2.RequestInfo()
            detail.Unpack(info)
            return info
    raise AssertionError("no RequestInfo detail")


# -- request ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", BAD_IDS.values(), ids=BAD_IDS.keys())
async def test_a_malformed_request_id_is_refused_before_anything_runs(hub: Hub, bad_id: str) -> None:
    shop, user = await _funded(hub, "Bad ids")
    charge = pb.ChargeUsageRequest(request_id=bad_id, user_id=user, amount=money(3))
    adjust = pb.AdjustBalanceRequest(
        request_id=bad_id, user_id=user, amount=money(3), direction=CREDIT, reason="r", actor="a"
    )
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: shop.admin.wallet.ChargeUsage(charge),  # the inline fast path on PostgreSQL
        lambda: shop.admin.wallet.AdjustBalance(adjust),  # the interceptor's idempotency record
    ]
    for call in calls:
        with pytest.raises(InvalidArgument) as caught:
            await call()
        assert [v.field for v in caught.value.field_violations] == ["request_id"]
        assert "printable ASCII" in caught.value.field_violations[0].description
        assert bad_id not in str(caught.value) and len(str(caught.value)) < 1000
        # The id sent cannot be logged or echoed: the error carries one the core made up, and says so.
        assert FRESH_ID.fullmatch(caught.value.request_id)
        assert caught.value.request_id in caught.value.message
    await _assert_untouched(shop, user)


async def test_a_malformed_request_id_is_refused_even_before_authentication(hub: Hub) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await hub.client("").users.RegisterUser(users_pb.RegisterUserRequest(request_id="é", external_id="1"))
    assert [v.field for v in caught.value.field_violations] == ["request_id"]


async def test_request_ids_of_printable_ascii_up_to_128_characters_are_accepted_and_echoed(
    hub: Hub, raw: grpc.aio.Channel
) -> None:
    shop, user = await _funded(hub, "Good ids")
    charge = raw.unary_unary(
        CHARGE_USAGE,
        request_serializer=pb.ChargeUsageRequest.SerializeToString,
        response_deserializer=pb.ChargeUsageResponse.FromString,
    )
    for request_id in (f"<{PRINTABLE_ASCII}>", "x" * 128, "1"):
        call = charge(pb.ChargeUsageRequest(request_id=request_id, user_id=user, amount=money(1)), metadata=_auth(shop))
        await call
        assert dict(await call.trailing_metadata())["x-request-id"] == request_id
    assert (await balance(shop.admin, user)).posted.amount_minor == 7


async def test_a_too_long_x_request_id_is_refused_and_not_echoed(hub: Hub, raw: grpc.aio.Channel) -> None:
    shop, user = await _funded(hub, "Long header")
    charge = raw.unary_unary(
        CHARGE_USAGE,
        request_serializer=pb.ChargeUsageRequest.SerializeToString,
        response_deserializer=pb.ChargeUsageResponse.FromString,
    )
    metadata = (*_auth(shop), ("x-request-id", "h" * 129))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await charge(pb.ChargeUsageRequest(request_id="c-1", user_id=user, amount=money(3)), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "x-request-id" not in dict(caught.value.trailing_metadata() or ())
    error = error_from_rpc(caught.value)
    assert [v.field for v in error.field_violations] == ["x-request-id"]
    assert FRESH_ID.fullmatch(error.request_id)
    await _assert_untouched(shop, user)


@pytest.mark.parametrize("header", ["заказ".encode(), "café".encode("latin-1"), b"a\x00b", b"\xff"])
async def test_an_x_request_id_no_grpc_client_could_send_is_refused_and_not_echoed(hub: Hub, header: bytes) -> None:
    shop, user = await _funded(hub, "Raw header")
    port = int(hub.target.rsplit(":", 1)[1])
    body = pb.ChargeUsageRequest(request_id="c-1", user_id=user, amount=money(3)).SerializeToString()
    headers = [(b"authorization", f"Bearer {shop.admin_key}".encode()), (b"x-request-id", header)]
    trailers = await asyncio.to_thread(_raw_grpc_call, port, CHARGE_USAGE, headers, body)
    assert trailers[b"grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0]).encode()
    assert b"x-request-id" not in trailers
    status = _status_of(trailers)
    bad = next(d for d in status.details if d.Is(error_details_pb2.BadRequest.DESCRIPTOR))
    violations = error_details_pb2.BadRequest()
    bad.Unpack(violations)
    assert [v.field for v in violations.field_violations] == ["x-request-id"]
    assert FRESH_ID.fullmatch(_request_info(status).request_id)
    await _assert_untouched(shop, user)


# -- messages that do not decode -----------------------------------------------------------------


async def test_a_string_field_that_is_not_utf8_is_invalid_argument(hub: Hub, raw: grpc.aio.Channel) -> None:
    shop = await hub.new_tenant("Not UTF-8")
    fields = users_pb.RegisterUserRequest.DESCRIPTOR.fields_by_name
    platform, external_id = fields["platform"].number, fields["external_id"].number
    body = bytes([platform << 3, common_pb2.PLATFORM_TELEGRAM, external_id << 3 | 2, 2]) + b"\xff\xfe"
    register = raw.unary_unary("/billinghub.v1.UserService/RegisterUser")  # bytes in, bytes out
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await register(body, metadata=(*_auth(shop), ("x-request-id", "utf8-probe")))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = error_from_rpc(caught.value)
    assert "billinghub.v1.RegisterUserRequest" in error.message and "UTF-8" in error.message
    assert error.reason == "MALFORMED_REQUEST"
    assert error.request_id == "utf8-probe"
    assert not (await shop.admin.users.ListUsers(users_pb.ListUsersRequest())).users


async def test_bytes_that_are_no_message_at_all_are_invalid_argument(hub: Hub, raw: grpc.aio.Channel) -> None:
    shop = await hub.new_tenant("Garbage")
    register = raw.unary_unary("/billinghub.v1.UserService/RegisterUser")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await register(b"\xff\xff\xff\xff", metadata=_auth(shop))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert FRESH_ID.fullmatch(error_from_rpc(caught.value).request_id)


# -- every error carries the call's request id ------------------------------------------------------


async def test_errors_raised_while_authenticating_carry_the_request_id(hub: Hub, raw: grpc.aio.Channel) -> None:
    shop = await hub.new_tenant("Traced")
    other = await hub.new_tenant("Elsewhere")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "web"))
    adjust = pb.AdjustBalanceRequest(user_id="u", amount=money(1), direction=CREDIT, reason="r", actor="a")
    foreign = shop.admin.for_tenant(other.id)  # a tenant admin naming another tenant
    traced = (("x-request-id", "trace-42"),)
    failing: list[tuple[type[BillingHubError], Callable[[], Awaitable[object]]]] = [
        (Unauthenticated, lambda: hub.client("").users.ListUsers(users_pb.ListUsersRequest(), metadata=traced)),
        (Unauthenticated, lambda: hub.client("bh_x").users.ListUsers(users_pb.ListUsersRequest(), metadata=traced)),
        (PermissionDenied, lambda: partner.wallet.AdjustBalance(adjust, metadata=traced)),
        (NotFound, lambda: foreign.users.ListUsers(users_pb.ListUsersRequest(), metadata=traced)),
    ]
    for expected, call in failing:
        with pytest.raises(expected) as caught:
            await call()
        assert caught.value.request_id == "trace-42", expected
    # Without the header, the request's own request_id names the call.
    with pytest.raises(Unauthenticated) as unauthenticated:
        await hub.client("").users.RegisterUser(users_pb.RegisterUserRequest(request_id="reg-7", external_id="7"))
    assert unauthenticated.value.request_id == "reg-7"
    # The RequestInfo detail itself, as any gRPC client decodes it.
    list_users = raw.unary_unary(
        "/billinghub.v1.UserService/ListUsers",
        request_serializer=users_pb.ListUsersRequest.SerializeToString,
        response_deserializer=users_pb.ListUsersResponse.FromString,
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught_raw:
        await list_users(users_pb.ListUsersRequest(), metadata=(("x-request-id", "trace-43"),))
    assert caught_raw.value.code() == grpc.StatusCode.UNAUTHENTICATED
    details = dict(caught_raw.value.trailing_metadata() or ())["grpc-status-details-bin"]
    assert isinstance(details, bytes)
    assert _request_info(status_pb2.Status.FromString(details)).request_id == "trace-43"


# -- reflection for tools --------------------------------------------------------------------------


def _files_of(response: reflection_pb2.ServerReflectionResponse) -> set[str]:
    return {
        descriptor_pb2.FileDescriptorProto.FromString(raw).name
        for raw in response.file_descriptor_response.file_descriptor_proto
    }


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
async def test_reflection_serves_the_contract_and_the_error_details(
    hub: Hub, raw: grpc.aio.Channel, version: str
) -> None:
    # v1 is v1alpha under another package name, with the same messages and field numbers.
    info = raw.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    symbols = ["google.rpc.BadRequest", "google.rpc.Status", "grpc.reflection.v1.ServerReflection"]
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        *(reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol) for symbol in symbols),
    ]
    responses = [response async for response in info(iter(requests))]
    services = {service.name for service in responses[0].list_services_response.service}
    assert {
        "billinghub.v1.WalletService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= services
    bad_request, status, reflection = (_files_of(response) for response in responses[1:])
    assert "google/rpc/error_details.proto" in bad_request
    assert "google/rpc/status.proto" in status
    assert "grpc/reflection/v1/reflection.proto" in reflection


async def test_a_v1alpha_reflection_client_resolves_the_error_details(hub: Hub) -> None:
    def resolve() -> tuple[str, list[str]]:
        with grpc.insecure_channel(hub.target) as channel:
            database = ProtoReflectionDescriptorDatabase(channel)
            found = database.FindFileContainingSymbol("google.rpc.BadRequest")
            return found.name, list(database.get_services())

    name, services = await asyncio.to_thread(resolve)  # a blocking client: the server runs on this loop
    assert name == "google/rpc/error_details.proto"
    assert "grpc.reflection.v1.ServerReflection" in services
