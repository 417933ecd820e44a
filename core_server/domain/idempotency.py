"""Idempotency of mutating calls: (tenant, method, request_id) -> request hash + first response.

The record is claimed at the start of the call's transaction and completed in the same
transaction, so it exists exactly when the call's effects do. A replay with the same request gets
the stored response; the same id with another request is INVALID_ARGUMENT with reason
IDEMPOTENCY_KEY_REUSED; a concurrent duplicate waits for the first and gets its response.
Records are kept for `RETENTION` (and swept by a worker after that).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.reasons import IdempotencyKeyReused
from core_server.store.models import IdempotencyRow
from core_server.store.repositories import idempotency as idem_repo
from core_server.store.unit_of_work import UnitOfWork, ambient

NIL_TENANT = uuid.UUID(int=0)  # platform-level calls have no tenant
RETENTION = dt.timedelta(hours=24)
MAX_REQUEST_ID = 128
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A call's method, its request id and a hash of the request without that id."""

    method: str
    request_id: str
    request_hash: bytes


def key_reused() -> InvalidArgument:
    return IdempotencyKeyReused(
        [Violation("request_id", "was already used for a different request")],
    )


REQUEST_ID_RULE = f"must be 1 to {MAX_REQUEST_ID} printable ASCII characters (space to ~)"
_REQUEST_ID = re.compile(r"[\x20-\x7e]+")


def valid_request_id(value: str) -> bool:
    """The one rule for request ids (the interceptor checks every call's before anything runs): it
    can be logged, stored as a key and echoed in the `x-request-id` trailer."""
    return len(value) <= MAX_REQUEST_ID and _REQUEST_ID.fullmatch(value) is not None


def check_request_id(request_id: str, violations: Violations | None = None) -> None:
    """A non-empty request_id follows the rule; the violation is added to `violations` when given,
    else raised."""
    found = violations if violations is not None else Violations()
    if request_id and not valid_request_id(request_id):
        found.add("request_id", REQUEST_ID_RULE)
    if violations is None:
        found.raise_if_any()


async def claim_or_find(
    uow: UnitOfWork, tenant: uuid.UUID, key: IdempotencyKey, now: dt.datetime
) -> IdempotencyRow | None:
    """None when this call now owns the key; the earlier call's record when it is a replay."""
    check_request_id(key.request_id)
    if await idem_repo.claim(uow, tenant, key.method, key.request_id, key.request_hash, now):
        return None
    record = await idem_repo.get(uow, tenant, key.method, key.request_id)
    if record is None:  # the owner rolled back between our insert attempt and our read: claim again
        return await claim_or_find(uow, tenant, key, now)
    if record.request_hash != key.request_hash:
        raise key_reused()
    return record


async def run_once(
    deps: Deps,
    tenant: uuid.UUID | None,
    key: IdempotencyKey | None,
    call: Callable[[], Awaitable[R]],
    encode: Callable[[R], bytes],
    decode: Callable[[bytes], R],
) -> R:
    """Run a mutating call in one ambient transaction, at most once per key."""
    tenant = tenant or NIL_TENANT
    async with ambient(deps.db) as uow:
        if key is not None and key.request_id:
            record = await claim_or_find(uow, tenant, key, deps.clock.now())
            if record is not None:
                if record.response is None:
                    raise RuntimeError(f"{key.method} stores no response to replay")
                return decode(record.response)
        result = await call()
        if key is not None and key.request_id:
            await idem_repo.complete(uow, tenant, key.method, key.request_id, response=encode(result))
        await uow.commit()
        return result


async def sweep_expired(deps: Deps, now: dt.datetime, batch: int = 1000) -> int:
    """Delete records older than the retention; returns how many went."""
    async with deps.uow() as uow:
        removed = await idem_repo.sweep(uow, now - RETENTION, batch)
        await uow.commit()
    return removed
