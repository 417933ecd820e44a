"""Client interceptors: what every call to the core needs, in one place.

They add the key and tenant metadata, give each mutation a `request_id` (kept across retries, so a
retry of a mutation the core already applied replays its first response), retry UNAVAILABLE with
exponential backoff and jitter, and raise the typed exceptions of `sdk.errors`. RESOURCE_EXHAUSTED
(a key's rate limit) is never retried here: retrying a spent budget only spends the next one, so
the caller gets `ResourceExhausted` with `retry_after` at once and decides.

A call's `timeout` is one deadline for all its attempts: each attempt gets the time that remains,
and when a backoff would end past the deadline no further attempt is made: the call fails at once
with DEADLINE_EXCEEDED (so 5 attempts never take 5 timeouts, and no sleep passes the deadline).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message

from sdk.errors import error_from_rpc

Metadata = Sequence[tuple[str, str | bytes]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How UNAVAILABLE is retried: attempts in all, and the backoff between them (seconds)."""

    attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 3.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """Full-jitter backoff before retry number `attempt` (1-based)."""
        cap = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return random.uniform(0, cap)


NO_RETRY = RetryPolicy(attempts=1)


def fill_request_id(request: Any) -> None:
    """Give a request a fresh `request_id` if it has that field and it is empty."""
    has_field = isinstance(request, Message) and "request_id" in request.DESCRIPTOR.fields_by_name
    if has_field and not request.request_id:
        request.request_id = uuid.uuid4().hex


class _CallDetails(grpc.aio.ClientCallDetails):
    """ClientCallDetails is a namedtuple-like class; this builds one with our metadata."""


def _with_metadata(details: grpc.aio.ClientCallDetails, extra: Metadata) -> grpc.aio.ClientCallDetails:
    own = list(details.metadata or ())
    present = {key for key, _value in own}
    # What the call itself set wins over the client's defaults (a tenant view's x-tenant-id).
    metadata = grpc.aio.Metadata(*own, *((key, value) for key, value in extra if key not in present))
    return _CallDetails(
        details.method,
        details.timeout,
        metadata,
        details.credentials,
        details.wait_for_ready,
    )


def _with_timeout(details: grpc.aio.ClientCallDetails, timeout: float) -> grpc.aio.ClientCallDetails:
    return _CallDetails(details.method, timeout, details.metadata, details.credentials, details.wait_for_ready)


def _deadline_exceeded(last: grpc.aio.AioRpcError, attempts: int) -> grpc.aio.AioRpcError:
    """The error of a call whose deadline leaves no time for another attempt."""
    return grpc.aio.AioRpcError(
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(),
        details=f"deadline exceeded after {attempts} attempt(s); the last was UNAVAILABLE: {last.details()}",
    )


class UnaryUnaryInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds metadata and request ids, retries UNAVAILABLE, raises typed errors."""

    def __init__(self, metadata: Callable[[], Metadata], retry: RetryPolicy) -> None:
        self._metadata = metadata
        self._retry = retry

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        fill_request_id(request)
        details = _with_metadata(client_call_details, self._metadata())
        clock = asyncio.get_running_loop().time
        deadline = None if details.timeout is None else clock() + details.timeout
        attempt = 1
        while True:
            call = await continuation(details, request)
            try:
                return await call
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt >= self._retry.attempts:
                    raise error_from_rpc(error) from None
                pause = self._retry.delay(attempt)
                if deadline is not None and clock() + pause >= deadline:
                    raise error_from_rpc(_deadline_exceeded(error, attempt)) from None
            await asyncio.sleep(pause)
            attempt += 1
            if deadline is not None:
                details = _with_timeout(details, max(deadline - clock(), 0.0))


class UnaryStreamInterceptor(grpc.aio.UnaryStreamClientInterceptor):
    """Adds metadata to server-streaming calls and raises typed errors while iterating.

    A stream is not retried here: only the caller knows where to resume (e.g. an event cursor).
    """

    def __init__(self, metadata: Callable[[], Metadata]) -> None:
        self._metadata = metadata

    async def intercept_unary_stream(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        details = _with_metadata(client_call_details, self._metadata())
        call = await continuation(details, request)

        async def responses() -> Any:
            try:
                async for response in call:
                    yield response
            except grpc.aio.AioRpcError as error:
                raise error_from_rpc(error) from None

        return responses()
