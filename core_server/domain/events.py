"""Events: written in the transaction of the change (transactional outbox), read in a stable order.

`emit` adds an event to the caller's unit of work; `EventFeed` wakes the streams of this process
once the transaction commits. Other replicas' events (and, on PostgreSQL, events held back until
older transactions end) are found by one poll a second for all the idle streams of a process
(`EventReader`), never by a query per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.event_cursors import check_consumer, consumer_position
from core_server.domain.event_leases import ConsumerLeases
from core_server.domain.reasons import ConsumerLeaseLost
from core_server.store.models import EventRow
from core_server.store.raw_tx import Later, LaterJson
from core_server.store.repositories import events as event_repo
from core_server.store.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

MAX_PAGE = 1000
DEFAULT_PAGE = 100
POLL_SECONDS = 1.0
POLL_CHUNK = 2000  # idle streams per poll statement (four parameters each)


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    data: str
    created_at: dt.datetime


class EventFeed:
    """Wakes waiting streams when this process commits events: those of the events' tenant only.

    A gateway serving a thousand tenant bots holds a stream per tenant; waking all of them for
    every event (a user registering in one shop) made each event cost a thousand queries."""

    def __init__(self) -> None:
        self._changed: dict[uuid.UUID | None, asyncio.Event] = {}  # None: streams of any tenant

    def notify(self, tenant: uuid.UUID | None = None) -> None:
        """Wake the streams of `tenant` (None: every stream)."""
        if tenant is None:
            woken = list(self._changed.values())
            self._changed.clear()
        else:
            woken = [event for event in (self._changed.pop(tenant, None), self._changed.pop(None, None)) if event]
        for event in woken:
            event.set()

    async def wait(self, seconds: float | None, tenant: uuid.UUID | None = None) -> None:
        """Return when events of `tenant` (None: any) were committed here or found by a poll, or
        after `seconds` (None: no limit)."""
        changed = self._changed.setdefault(tenant, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), seconds)


def encode(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)


def encode_around(data: dict[str, Any], key: str) -> tuple[str, str]:
    """The texts before and after the value of `key` in encode(data | {key: n}), for SQL that
    knows the integer n only when it runs (prefix || n || suffix is exactly that encoding).

    Built from the encodings of the keys that sort before and after `key`, never by searching a
    text for a marker, so no value (however it is quoted or escaped) can move where n goes."""
    before = encode({name: value for name, value in data.items() if name < key})
    after = encode({name: value for name, value in data.items() if name > key})
    prefix = before[:-1] + ("," if len(before) > 2 else "") + json.dumps(key) + ":"
    suffix = ("," if len(after) > 2 else "") + after[1:]
    return prefix, suffix


def encode_later(data: dict[str, Any]) -> str | LaterJson:
    """encode(data), or, when a value is a Later integer (at most one may be), the text the
    statement that computes it completes (raw_tx.LaterJson)."""
    later = [(key, value) for key, value in data.items() if isinstance(value, Later)]
    if not later:
        return encode(data)
    [(key, value)] = later
    prefix, suffix = encode_around({name: v for name, v in data.items() if name != key}, key)
    return LaterJson(prefix, value, suffix)


async def emit(
    uow: UnitOfWork, feed: EventFeed, tenant: uuid.UUID, type_: str, data: dict[str, Any], now: dt.datetime
) -> None:
    """Write an event in the caller's transaction; it exists exactly when the change commits."""
    await event_repo.insert_event(uow, tenant, type_, encode(data), now)
    uow.after_commit(lambda: feed.notify(tenant))


def to_event(row: EventRow) -> Event:
    return Event(row.id, row.type, row.data, row.created_at)


def check_request(types: Sequence[str], after_id: int = 0, consumer: str = "") -> list[str]:
    """The request's filters, with its start: an after_id or a consumer's cursor, not both."""
    violations = Violations()
    check_consumer(violations, "consumer", consumer, required=False)
    if consumer and after_id:
        violations.add("after_id", "must be 0 when consumer is given (the stream starts after its cursor)")
    if len(types) > 50:
        violations.add("types", "at most 50 types")
    for index, name in enumerate(types):
        violations.check_text(f"types[{index}]", name, max_length=64, required=True)
    violations.raise_if_any()
    return list(types)


@dataclass(eq=False, slots=True)
class _Idle:
    """A stream waiting for events after `position` (compared by identity: two streams may wait
    at the same place)."""

    tenant: uuid.UUID
    position: tuple[int, int]
    types: tuple[str, ...]


class EventReader:
    """ListEvents and WatchEvents over the outbox of one tenant."""

    def __init__(self, uow_factory: Any, feed: EventFeed, leases: ConsumerLeases) -> None:
        self._uow = uow_factory
        self._feed = feed
        self._leases = leases
        self._idle: set[_Idle] = set()
        self._poller: asyncio.Task[None] | None = None

    async def _position(self, uow: UnitOfWork, tenant: uuid.UUID, after_id: int, consumer: str) -> tuple[int, int]:
        if consumer:
            return await consumer_position(uow, tenant, consumer)
        if after_id <= 0:
            return (-1, 0)
        position = await event_repo.position_of(uow, tenant, after_id)
        if position is None:
            raise InvalidArgument([Violation("after_id", "is not an event of this tenant")])
        return position

    async def page(
        self, tenant: uuid.UUID, after_id: int, types: Sequence[str], size: int, consumer: str = ""
    ) -> tuple[list[Event], int]:
        """The next events after `after_id`, or after the consumer's cursor when `consumer` is
        given; and the id to continue after (the request's, or the cursor's, when none)."""
        if not 0 <= size <= MAX_PAGE:
            raise InvalidArgument([Violation("page_size", f"must be between 0 and {MAX_PAGE}")])
        types = check_request(types, after_id, consumer)
        async with self._uow() as uow:
            position = await self._position(uow, tenant, after_id, consumer)
            rows = await event_repo.events_after(uow, tenant, position, types, size or DEFAULT_PAGE)
            events = [to_event(row) for row in rows]
        return events, events[-1].id if events else max(after_id, position[1])

    async def watch(
        self, tenant: uuid.UUID, after_id: int, types: Sequence[str], consumer: str = ""
    ) -> AsyncGenerator[Event, None]:
        """Stream the events after `after_id` (or the consumer's cursor), then the new ones. A
        consumer's stream first waits for the consumer's lease (event_leases.py), and reads its
        cursor once it holds it: where the previous holder left off."""
        types = check_request(types, after_id, consumer)
        lease = await self._leases.acquire(tenant, consumer) if consumer else None
        try:
            async with self._uow() as uow:
                position = await self._position(uow, tenant, after_id, consumer)
            while True:
                async with self._uow() as uow:
                    rows = await event_repo.events_after(uow, tenant, position, types, DEFAULT_PAGE)
                    batch = [(row.tx_order, to_event(row)) for row in rows]
                for tx_order, event in batch:
                    if lease is not None and lease.lost:
                        raise ConsumerLeaseLost(consumer)
                    position = (tx_order, event.id)
                    yield event
                if len(batch) < DEFAULT_PAGE:
                    await self._wait(tenant, position, types)
                    if lease is not None and lease.lost:
                        raise ConsumerLeaseLost(consumer)
        finally:
            if lease is not None:
                await asyncio.shield(self._leases.release(lease))

    async def _wait(self, tenant: uuid.UUID, position: tuple[int, int], types: Sequence[str]) -> None:
        """Until this process commits events of the tenant, or the poll finds some after `position`."""
        idle = _Idle(tenant, position, tuple(types))
        self._idle.add(idle)
        if self._poller is None or self._poller.done():
            # a context of its own: not the first waiting call's (its request id, its actor in the logs)
            poll = self._poll_idle()
            self._poller = asyncio.create_task(poll, name="event-streams-poll", context=contextvars.Context())
        try:
            await self._feed.wait(None, tenant)
        finally:
            self._idle.discard(idle)

    async def _poll_idle(self) -> None:
        """Every POLL_SECONDS while streams wait: one statement per group of streams with the same
        types finds which have events, and wakes their tenants' streams. Ends when none wait."""
        while self._idle:
            await asyncio.sleep(POLL_SECONDS)
            groups: dict[tuple[str, ...], list[_Idle]] = {}
            for idle in self._idle:
                groups.setdefault(idle.types, []).append(idle)
            try:
                async with self._uow() as uow:
                    for types, group in groups.items():
                        for start in range(0, len(group), POLL_CHUNK):
                            chunk = group[start : start + POLL_CHUNK]
                            pairs = [(idle.tenant, idle.position) for idle in chunk]
                            for index in await event_repo.waiting_with_events(uow, pairs, types):
                                self._feed.notify(chunk[index].tenant)
            except Exception as error:  # the database away: the streams wait, the next poll retries
                log.warning("event stream poll failed", error=repr(error))
