"""The fast unit: one raw transaction (store/raw_tx.py) and the events it writes when it ends.

The money hot paths (a purchase from the wallet, an adjustment, a top-up approval, a promo
redemption, holds, refunds, referral payout requests) run their happy path here: the same rules
and the same lock order as the ORM path, a few prepared statements, no session, no flush.
Anything the fast path does not handle (a cold bucket cache, a referral tier to award, a
not-found to explain precisely) raises `TakeOrmPath` before anything is committed; the caller
then runs the ORM path, which decides the same way.

    try:
        async with fast_unit(deps, tenant) as unit:
            ...
    except TakeOrmPath:
        ...  # the ORM path
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError
from core_server.domain.events import encode_later
from core_server.domain.idempotency import IdempotencyKey, key_reused, run_once
from core_server.store.raw_tx import (
    GuardMissed,
    Later,
    LaterBytes,
    LaterJson,
    PgTx,
    RawTx,
    UniqueViolation,
    split_later_bytes,
)
from core_server.store.repositories import ledger_writes

R = TypeVar("R")


class TakeOrmPath(Exception):  # a signal between two paths, not an error anyone sees
    """The fast path does not handle this call; nothing it did is committed."""


class FastUnit:
    """A raw transaction of one tenant, the events to write with it, and the system-account
    bucket each account got in it (one bucket per account per transaction: the lock order)."""

    def __init__(self, tx: RawTx, tenant: uuid.UUID, now: dt.datetime) -> None:
        self.tx = tx
        self.tenant = tenant
        self.now = now
        self.picked_buckets: dict[tuple[str, str], uuid.UUID] = {}
        self._events: list[tuple[str, str | LaterJson]] = []
        self.answer_values: tuple[Later, ...] = ()
        self._first_lock: Callable[[], Awaitable[None]] | None = None

    def lock_first(self, take: Callable[[], Awaitable[None]]) -> None:
        """A business row read unlocked, whose lock `take` takes (re-checking what was read) only
        if the unit takes any other lock: THE LOCK ORDER puts the business row first. A unit that
        takes none writes it through a guard of its last statement instead."""
        self._first_lock = take

    async def before_locks(self) -> None:
        """Call before taking a lock: takes the business row's first, once (see `lock_first`)."""
        take, self._first_lock = self._first_lock, None
        if take is not None:
            await take()

    def emit(self, type_: str, data: dict[str, Any]) -> None:
        """Write an event with this transaction (in the order emitted); one value of `data` may be
        a Later integer of the unit's last statement (PostgreSQL)."""
        self._events.append((type_, encode_later(data)))

    def answer_with(self, *values: Later) -> None:
        """The call's answer holds these values of the unit's last statement (PostgreSQL): its
        writes all deferred, the unit is that one statement, which selects them. `run_fast_once`
        stores them with the response and patches them in once the statement has run."""
        assert isinstance(self.tx, PgTx), "only PostgreSQL's last statement computes values"
        self.tx.return_values(*values)
        self.answer_values = values

    def finish(self) -> None:
        """The events join the deferred writes, which the transaction sends when it ends."""
        ledger_writes.insert_events(self.tx, self.tenant, self._events, self.now)

    @property
    def emitted(self) -> bool:
        return bool(self._events)


@asynccontextmanager
async def fast_unit(deps: Deps, tenant: uuid.UUID, now: dt.datetime | None = None) -> AsyncIterator[FastUnit]:
    """Commit with its events when the block ends; roll back on any exception."""
    try:
        async with deps.raw.transaction() as tx:
            unit = FastUnit(tx, tenant, now or deps.clock.now())
            yield unit
            unit.finish()
    except GuardMissed as missed:  # a deferred write's condition failed at the end: nothing landed
        raise TakeOrmPath(str(missed)) from None
    if unit.emitted:
        deps.feed.notify(tenant)


async def run_fast_once(
    deps: Deps,
    tenant: uuid.UUID,
    key: IdempotencyKey | None,
    fast: Callable[[FastUnit], Awaitable[R]],
    slow: Callable[[], Awaitable[R]],
    encode_response: Callable[[R], bytes],
    decode_response: Callable[[bytes], R],
    *,
    patch: Callable[[R, Sequence[int]], R] | None = None,
    retried: bool = False,
) -> R:
    """A mutation at most once per request id, by the fast path when it can, else the ORM path.

    The fast path writes the request's record, response included, as the last statement of its
    transaction: a request that was already answered (by either path) fails there on the key, the
    transaction rolls back, and the stored answer is replayed. A fast path failing for a reason
    of its own (short funds, say) first looks for such an answer, so a retry of a purchase that
    spent the wallet replays the purchase instead of reporting the wallet short.
    The slow path is `run_once`, the interceptor's own mechanism, over the same records.

    `patch`: for a fast path whose answer holds values its statement computes (`answer_with`):
    it puts them in a result built without them. The record then stores them before the response
    (raw_tx.LaterBytes), and every replay patches them in the same way."""
    wanted = key is not None and bool(key.request_id)
    decode = partial(_decoded, decode_response, patch)
    try:
        async with fast_unit(deps, tenant) as unit:
            result = await fast(unit)
            later = unit.answer_values
            if later and patch is None:
                raise RuntimeError("an answer with values the statement computes needs a patch")
            if wanted:
                assert key is not None
                response = encode_response(result)
                ledger_writes.insert_record(
                    unit.tx,
                    tenant,
                    key.method,
                    key.request_id,
                    key.request_hash,
                    LaterBytes(later, response) if later else response,
                    None,
                    unit.now,
                )
        if later:
            assert patch is not None
            assert isinstance(unit.tx, PgTx)
            return patch(result, [int(value) for value in unit.tx.returned])
        return result
    except TakeOrmPath:
        return await run_once(deps, tenant, key, slow, encode_response, decode)
    except UniqueViolation as error:
        if not (wanted and ledger_writes.key_taken(error)):
            raise
        assert key is not None
        answer = await _answer(deps, tenant, key)
        if answer is None and not retried:  # the key's owner rolled back after all: try again
            return await run_fast_once(
                deps, tenant, key, fast, slow, encode_response, decode_response, patch=patch, retried=True
            )
        if answer is None:
            raise
        return decode(answer)
    except DomainError:
        if wanted:
            assert key is not None
            answer = await _answer(deps, tenant, key)
            if answer is not None:
                return decode(answer)
        raise


def _decoded(decode: Callable[[bytes], R], patch: Callable[[R, Sequence[int]], R] | None, data: bytes) -> R:
    """A stored response: as encoded, or (LaterBytes) the statement's values and the response
    they were patched into."""
    split = split_later_bytes(data) if patch is not None else None
    if split is None:
        return decode(data)
    assert patch is not None
    values, response = split
    return patch(decode(response), values)


async def _answer(deps: Deps, tenant: uuid.UUID, key: IdempotencyKey) -> bytes | None:
    """The stored response of an earlier call with this key; key_reused for another request."""
    async with deps.raw.transaction() as tx:
        record = await ledger_writes.find_record(tx, tenant, key.method, key.request_id)
    if record is None:
        return None
    request_hash, response, _transfer = record
    if request_hash != key.request_hash:
        raise key_reused()
    if response is None:
        raise RuntimeError(f"{key.method} stores no response to replay")
    return response
