"""Mutations that have a fast path (domain/fast_unit.py): one request id rule for both paths."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import TypeVar

from google.protobuf.message import Message

from core_server.api.call_context import current_actor
from core_server.api.fingerprint import idempotency_key
from core_server.domain.deps import Deps
from core_server.domain.fast_unit import FastUnit, run_fast_once

M = TypeVar("M", bound=Message)


def method_path(module: ModuleType, service: str, method: str) -> str:
    """The gRPC path of a method of a generated module's service (the interceptor keys idempotency
    records by it), checked against the descriptor so a typo fails at import."""
    found = module.DESCRIPTOR.services_by_name[service].methods_by_name[method]
    return f"/{found.containing_service.full_name}/{found.name}"


async def fast_or_slow(
    deps: Deps,
    method: str,
    request: Message,
    response_class: type[M],
    fast: Callable[[FastUnit], Awaitable[M]],
    slow: Callable[[], Awaitable[M]],
    patch: Callable[[M, Sequence[int]], M] | None = None,
) -> M:
    """Run `fast` (raw transaction) or, when it declines, `slow` (the ORM path) at most once per
    request id; the stored response is the serialized message, as the interceptor stores it.
    `patch` puts the values the fast path's statement computed in its answer (run_fast_once)."""
    return await run_fast_once(
        deps,
        current_actor().tenant,
        idempotency_key(method, request),
        fast,
        slow,
        lambda message: message.SerializeToString(),
        response_class.FromString,
        patch=patch,
    )
