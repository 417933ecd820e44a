"""The outbox: event inserts and the delivery query.

Delivery order is (tx_order, id). On PostgreSQL tx_order is the writing transaction's id, and a
reader only takes events whose transaction id is below the oldest transaction still running
(`pg_snapshot_xmin`): every transaction that could add an event before them has ended, so the
order can never change behind a consumer's cursor. On SQLite writers are serialized, tx_order is
0 and the id order is the commit order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, literal_column, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from core_server.store.models import EventConsumerLeaseRow, EventCursorRow, EventRow
from core_server.store.unit_of_work import UnitOfWork

EVENTS: Table = EventRow.__table__  # type: ignore[assignment]  # mapped classes carry a Table
PG_TX_ORDER: ColumnElement[int] = literal_column("pg_current_xact_id()::text::bigint")
PG_HORIZON = text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
# The largest event id on SQLite, as the largest of each tenant's (every event's tenant is a row of
# tenants): each tenant's is one step down the events' primary key (tenant_id, id), where
# max(id) of the whole table reads every event's key, a scan that grew with the outbox and capped
# the embedded hub's purchases (a millisecond and more each after some thousands of events). It
# costs a step per tenant instead, what an embedded hub's few tenants make cheap. The raw
# transactions insert events with it too (repositories/ledger_writes.py).
SQLITE_MAX_EVENT_ID = (
    "(SELECT coalesce(max((SELECT max(e.id) FROM events AS e WHERE e.tenant_id = t.id)), 0) FROM tenants AS t)"
)


async def insert_event(uow: UnitOfWork, tenant: uuid.UUID, type_: str, data: str, created_at: Any) -> None:
    if uow.dialect == "postgresql":
        values: dict[str, Any] = {"id": func.nextval("events_id_seq"), "tx_order": PG_TX_ORDER}
    else:
        values = {"id": literal_column(f"{SQLITE_MAX_EVENT_ID} + 1"), "tx_order": 0}
    await uow.session.execute(
        insert(EVENTS).values(tenant_id=tenant, type=type_, data=data, created_at=created_at, **values)
    )


async def position_of(uow: UnitOfWork, tenant: uuid.UUID, event_id: int) -> tuple[int, int] | None:
    """The (tx_order, id) of an event of the tenant, to resume after it."""
    statement = select(EVENTS.c.tx_order, EVENTS.c.id).where(EVENTS.c.tenant_id == tenant, EVENTS.c.id == event_id)
    row = (await uow.session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def events_after(
    uow: UnitOfWork, tenant: uuid.UUID, after: tuple[int, int], types: Sequence[str], limit: int
) -> Sequence[EventRow]:
    """The next deliverable events after a position, in delivery order."""
    statement = (
        select(EventRow)
        .where(EventRow.tenant_id == tenant, tuple_(EventRow.tx_order, EventRow.id) > tuple_(*after))
        .order_by(EventRow.tx_order, EventRow.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        statement = statement.where(EventRow.tx_order < PG_HORIZON)
    if types:
        statement = statement.where(of_types(types))
    return (await uow.session.execute(statement)).scalars().all()


def of_types(types: Sequence[str]) -> ColumnElement[bool]:
    """Events of the given types; a type ending in '.' is a prefix ("order." for every order event)."""
    exact = [t for t in types if not t.endswith(".")]
    prefixes = [t for t in types if t.endswith(".")]
    clauses: list[ColumnElement[bool]] = [EVENTS.c.type.in_(exact)] if exact else []
    clauses += [EVENTS.c.type.startswith(p, autoescape=True) for p in prefixes]
    return or_(*clauses)


# One text for any number of idle streams (three array parameters, not four per stream): it is
# compiled and prepared once, where a VALUES list of a thousand rows was compiled every second.
# The types filter is two arrays: exact names, and LIKE patterns of the prefixes (both empty: any).
PG_WAITING_WITH_EVENTS = text(
    """
    SELECT w.n FROM unnest(CAST(:tenants AS uuid[]), CAST(:txs AS bigint[]), CAST(:ids AS bigint[]))
        WITH ORDINALITY AS w (tenant, tx, id, n)
    WHERE EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.tenant_id = w.tenant AND (e.tx_order, e.id) > (w.tx, w.id)
          AND e.tx_order < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
          AND ((cardinality(CAST(:exact AS text[])) = 0 AND cardinality(CAST(:patterns AS text[])) = 0)
               OR e.type = ANY(CAST(:exact AS text[])) OR e.type LIKE ANY(CAST(:patterns AS text[])))
    )
    """
)


def like_prefix(prefix: str) -> str:
    """The LIKE pattern of a text starting with `prefix` (its % and _ taken literally)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def waiting_with_events(
    uow: UnitOfWork, waiting: Sequence[tuple[uuid.UUID, tuple[int, int]]], types: Sequence[str]
) -> list[int]:
    """The indexes of the (tenant, position) pairs with a deliverable event of `types` after the
    position: one statement for every idle stream of a process, each pair an index probe, where a
    query per stream made a thousand idle bot streams cost a thousand queries a second."""
    if uow.dialect != "postgresql":  # an embedded hub (one process) has few streams: a query each
        return [n for n, (tenant, at) in enumerate(waiting) if await events_after(uow, tenant, at, types, 1)]
    if not waiting:
        return []
    params = {
        "tenants": [tenant for tenant, _ in waiting],
        "txs": [tx for _, (tx, _) in waiting],
        "ids": [event_id for _, (_, event_id) in waiting],
        "exact": [t for t in types if not t.endswith(".")],
        "patterns": [like_prefix(t) for t in types if t.endswith(".")],
    }
    found = (await uow.session.execute(PG_WAITING_WITH_EVENTS, params)).scalars().all()
    return [n - 1 for n in found]  # ORDINALITY counts from 1


# --- consumer cursors (EventService.CommitEventCursor) ------------------------------------------

CURSORS: Table = EventCursorRow.__table__  # type: ignore[assignment]  # mapped classes carry a Table


async def advance_cursor(
    uow: UnitOfWork, tenant: uuid.UUID, consumer: str, position: tuple[int, int], now: Any
) -> bool:
    """Move the consumer's cursor to `position` unless it is there or further on already (one
    statement: concurrent commits race on the row, and the furthest wins whatever their order).
    True when the cursor moved (or was created)."""
    module: Any = postgresql if uow.dialect == "postgresql" else sqlite
    proposed = module.insert(CURSORS).values(
        tenant_id=tenant, consumer=consumer, tx_order=position[0], event_id=position[1], updated_at=now
    )
    statement = proposed.on_conflict_do_update(
        index_elements=["tenant_id", "consumer"],
        set_={"tx_order": proposed.excluded.tx_order, "event_id": proposed.excluded.event_id, "updated_at": now},
        where=tuple_(CURSORS.c.tx_order, CURSORS.c.event_id) < tuple_(position[0], position[1]),
    ).returning(CURSORS.c.event_id)
    return (await uow.session.execute(statement)).first() is not None


async def cursor_of(uow: UnitOfWork, tenant: uuid.UUID, consumer: str) -> EventCursorRow | None:
    """The consumer's cursor, None when it never committed one."""
    return await uow.session.get(EventCursorRow, (tenant, consumer), populate_existing=True)


# --- consumer leases (one stream per tenant and consumer: domain/event_leases.py) ----------------

LEASES: Table = EventConsumerLeaseRow.__table__  # type: ignore[assignment]  # mapped classes carry a Table


async def claim_leases(
    uow: UnitOfWork, claims: Sequence[tuple[uuid.UUID, str, uuid.UUID]], now: Any, until: Any
) -> set[uuid.UUID]:
    """Give each (tenant, consumer) to its holder until `until` where the lease is free, expired
    or that holder's already; the holders that have theirs now. One statement; the claims must
    name each (tenant, consumer) once, and go in key order so concurrent claims lock alike."""
    if not claims:
        return set()
    module: Any = postgresql if uow.dialect == "postgresql" else sqlite
    rows = [{"tenant_id": t, "consumer": c, "holder": h, "expires_at": until} for t, c, h in sorted(claims)]
    proposed = module.insert(LEASES).values(rows)
    statement = proposed.on_conflict_do_update(
        index_elements=["tenant_id", "consumer"],
        set_={"holder": proposed.excluded.holder, "expires_at": proposed.excluded.expires_at},
        where=or_(LEASES.c.expires_at < now, LEASES.c.holder == proposed.excluded.holder),
    ).returning(LEASES.c.holder)
    return set((await uow.session.execute(statement)).scalars().all())


async def renew_leases(uow: UnitOfWork, holders: Sequence[uuid.UUID], until: Any) -> set[uuid.UUID]:
    """Extend the leases these holders still hold; the holders that still do."""
    if not holders:
        return set()
    statement = (
        update(LEASES).where(LEASES.c.holder.in_(sorted(holders))).values(expires_at=until).returning(LEASES.c.holder)
    )
    return set((await uow.session.execute(statement)).scalars().all())


async def release_lease(uow: UnitOfWork, tenant: uuid.UUID, consumer: str, holder: uuid.UUID) -> None:
    """Free the lease if `holder` still holds it."""
    await uow.session.execute(
        delete(LEASES).where(LEASES.c.tenant_id == tenant, LEASES.c.consumer == consumer, LEASES.c.holder == holder)
    )
