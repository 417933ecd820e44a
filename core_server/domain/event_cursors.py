"""Durable consumer cursors over a tenant's events (EventService.CommitEventCursor / GetEventCursor).

A consumer (the bot gateway's notifier, say) commits the last event it handled; after a restart
it resumes after its cursor (WatchEvents / ListEvents with `consumer`), so it neither loses nor
repeats an event. The cursor keeps the event's place in the outbox's delivery order, (tx_order,
id), not the id alone: on PostgreSQL an event with a smaller id can be delivered after one with a
larger id (its transaction committed later), and "every id above the cursor's" would skip it.

A cursor never moves backwards: committing an event at or before it answers the cursor as it is.
Commits may then arrive late or twice (a retry, two replicas) without moving the consumer back.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.clock import Clock
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.store.repositories import events as event_repo
from core_server.store.unit_of_work import UnitOfWork

CONSUMER_NAME = re.compile(r"[a-z0-9_.-]{1,64}")
START = (-1, 0)  # before every event: (tx_order, id) of the outbox's delivery order


@dataclass(frozen=True, slots=True)
class EventCursor:
    consumer: str
    event_id: int  # 0: never committed
    updated_at: dt.datetime | None


def check_consumer(violations: Violations, field_path: str, consumer: str, *, required: bool = True) -> str:
    """A consumer name: 1 to 64 characters of a-z, 0-9, "_", "." and "-" (a name in logs and
    metrics, so no spaces, capitals or look-alikes)."""
    if not consumer:
        if required:
            violations.add(field_path, "is required")
    elif not CONSUMER_NAME.fullmatch(consumer):
        violations.add(field_path, 'must be 1 to 64 characters of a-z, 0-9, "_", "." and "-"')
    return consumer


async def consumer_position(uow: UnitOfWork, tenant: uuid.UUID, consumer: str) -> tuple[int, int]:
    """Where a consumer resumes: right after its cursor, from the start when it has none."""
    row = await event_repo.cursor_of(uow, tenant, consumer)
    return (row.tx_order, row.event_id) if row is not None else START


class EventCursors:
    """The use cases of the two cursor RPCs. (Given the units and the clock rather than Deps: the
    event reader below Deps resumes from cursors too.)"""

    def __init__(self, uow: Callable[[], UnitOfWork], read_uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self._clock = clock

    async def commit(self, actor: Actor, consumer: str, event_id: int) -> tuple[EventCursor, bool]:
        """Move the consumer's cursor to `event_id` (an event of the tenant) unless it is there or
        further on; the cursor after the call, and whether it moved."""
        v = Violations()
        check_consumer(v, "consumer", consumer)
        if event_id <= 0:
            v.add("event_id", "is required")
        v.raise_if_any()
        tenant, now = actor.tenant, self._clock.now()
        async with self._uow() as uow:
            position = await event_repo.position_of(uow, tenant, event_id)
            if position is None:
                raise InvalidArgument([Violation("event_id", "is not an event of this tenant")])
            moved = await event_repo.advance_cursor(uow, tenant, consumer, position, now)
            row = await event_repo.cursor_of(uow, tenant, consumer)
            assert row is not None
            cursor = EventCursor(consumer, row.event_id, row.updated_at)
            await uow.commit()
        return cursor, moved

    async def get(self, actor: Actor, consumer: str) -> EventCursor:
        v = Violations()
        check_consumer(v, "consumer", consumer)
        v.raise_if_any()
        async with self._read_uow() as uow:
            row = await event_repo.cursor_of(uow, actor.tenant, consumer)
            if row is None:
                return EventCursor(consumer, 0, None)
            return EventCursor(consumer, row.event_id, row.updated_at)
