"""Outbound webhook queries: endpoints, the per-tenant fan-out cursor, and deliveries (fan-out
inserts, the lease of due ones, outcomes, lists). Statuses come in as values from
domain/webhooks/rules.py."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, text, update

from core_server.store.models import EventRow, WebhookCursorRow, WebhookDeliveryRow, WebhookEndpointRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork

MAX_BIGINT = 2**63 - 1
_HORIZON = text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def add_endpoint(uow: UnitOfWork, row: WebhookEndpointRow) -> None:
    uow.session.add(row)


async def get_endpoint(
    uow: UnitOfWork, tenant: uuid.UUID, endpoint: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpointRow | None:
    return await uow.session.get(WebhookEndpointRow, (tenant, endpoint), with_for_update=for_update)


async def list_endpoints(
    uow: UnitOfWork, tenant: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Sequence[WebhookEndpointRow]:
    statement = select(WebhookEndpointRow).where(WebhookEndpointRow.tenant_id == tenant)
    if after is not None:
        statement = statement.where(WebhookEndpointRow.id > after)
    statement = statement.order_by(WebhookEndpointRow.id).limit(limit)
    return (await uow.session.execute(statement)).scalars().all()


async def count_endpoints(uow: UnitOfWork, tenant: uuid.UUID) -> int:
    statement = select(func.count()).select_from(WebhookEndpointRow).where(WebhookEndpointRow.tenant_id == tenant)
    return int((await uow.session.execute(statement)).scalar_one())


async def enabled_endpoints(uow: UnitOfWork, tenant: uuid.UUID) -> Sequence[WebhookEndpointRow]:
    statement = select(WebhookEndpointRow).where(
        WebhookEndpointRow.tenant_id == tenant, WebhookEndpointRow.enabled.is_(True)
    )
    return (await uow.session.execute(statement)).scalars().all()


async def endpoints_by_id(
    uow: UnitOfWork, keys: Collection[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], WebhookEndpointRow]:
    found: dict[tuple[uuid.UUID, uuid.UUID], WebhookEndpointRow] = {}
    for tenant, endpoint in keys:
        row = await get_endpoint(uow, tenant, endpoint)
        if row is not None:
            found[(tenant, endpoint)] = row
    return found


async def max_event_id(uow: UnitOfWork, tenant: uuid.UUID) -> int:
    """The tenant's largest event id (0 with none): one step down the events' primary key."""
    statement = select(func.max(EventRow.id)).where(EventRow.tenant_id == tenant)
    return int((await uow.session.execute(statement)).scalar_one() or 0)


async def ensure_cursor(uow: UnitOfWork, tenant: uuid.UUID) -> None:
    """Create the tenant's fan-out cursor unless it exists, past every event already readable.

    On PostgreSQL that is just below the horizon (the oldest transaction still running): every
    event of an older transaction is settled and belongs before the endpoint, every later one is
    still read. On SQLite (serialized writers) it is the tenant's last event."""
    if uow.dialect == "postgresql":
        horizon = int((await uow.session.execute(select(_HORIZON))).scalar_one())
        position = (horizon - 1, MAX_BIGINT)
    else:
        position = (0, await max_event_id(uow, tenant))
    table = cast(Table, WebhookCursorRow.__table__)
    values = {"tenant_id": tenant, "tx_order": position[0], "event_id": position[1]}
    await insert_if_absent(uow.session, table, values, ("tenant_id",))


async def lock_cursor(uow: UnitOfWork, tenant: uuid.UUID, *, skip_locked: bool = False) -> WebhookCursorRow | None:
    """The tenant's cursor, locked; with skip_locked, None while another transaction holds it (a
    second core replica fanning out the same tenant)."""
    statement = (
        select(WebhookCursorRow)
        .where(WebhookCursorRow.tenant_id == tenant)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return (await uow.session.execute(statement)).scalars().first()


async def cursor_tenants(uow: UnitOfWork) -> list[uuid.UUID]:
    """Every tenant with a fan-out cursor (that is, one that ever had an endpoint)."""
    return list((await uow.session.execute(select(WebhookCursorRow.tenant_id))).scalars().all())


async def insert_delivery_if_absent(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    table = cast(Table, WebhookDeliveryRow.__table__)
    return await insert_if_absent(uow.session, table, values, ("tenant_id", "endpoint_id", "event_id", "series"))


async def last_delivery(
    uow: UnitOfWork, tenant: uuid.UUID, endpoint: uuid.UUID, event: int
) -> WebhookDeliveryRow | None:
    """The latest series of an event to an endpoint."""
    statement = (
        select(WebhookDeliveryRow)
        .where(
            WebhookDeliveryRow.tenant_id == tenant,
            WebhookDeliveryRow.endpoint_id == endpoint,
            WebhookDeliveryRow.event_id == event,
        )
        .order_by(WebhookDeliveryRow.series.desc())
        .limit(1)
    )
    return (await uow.session.execute(statement)).scalars().first()


async def cursor_position(uow: UnitOfWork, tenant: uuid.UUID) -> tuple[int, int] | None:
    """The tenant's cursor without a lock (to see whether a fan-out has anything to do)."""
    statement = select(WebhookCursorRow.tx_order, WebhookCursorRow.event_id).where(WebhookCursorRow.tenant_id == tenant)
    row = (await uow.session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def any_due(uow: UnitOfWork, now: dt.datetime, *, due: Collection[str]) -> bool:
    """Whether some delivery is due now (a read, before a dispatcher opens a writing transaction)."""
    statement = (
        select(WebhookDeliveryRow.id)
        .where(
            WebhookDeliveryRow.status.in_(due),
            WebhookDeliveryRow.next_attempt_at <= now,
            or_(WebhookDeliveryRow.leased_until.is_(None), WebhookDeliveryRow.leased_until <= now),
        )
        .limit(1)
    )
    return (await uow.session.execute(statement)).first() is not None


async def lock_due(
    uow: UnitOfWork,
    now: dt.datetime,
    *,
    due: Collection[str],
    busy: Collection[uuid.UUID],
    limit: int,
) -> Sequence[WebhookDeliveryRow]:
    """Up to `limit` deliveries due now to enabled endpoints (none of `busy`), soonest first,
    locked. Rows another transaction holds are skipped (SKIP LOCKED): concurrent dispatchers lease
    different deliveries."""
    statement = (
        select(WebhookDeliveryRow)
        .join(
            WebhookEndpointRow,
            (WebhookEndpointRow.tenant_id == WebhookDeliveryRow.tenant_id)
            & (WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id),
        )
        .where(
            WebhookDeliveryRow.status.in_(due),
            WebhookDeliveryRow.next_attempt_at <= now,
            or_(WebhookDeliveryRow.leased_until.is_(None), WebhookDeliveryRow.leased_until <= now),
            WebhookEndpointRow.enabled.is_(True),
        )
        .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDeliveryRow)
        .execution_options(populate_existing=True)
    )
    if busy:
        statement = statement.where(WebhookDeliveryRow.endpoint_id.not_in(list(busy)))
    return (await uow.session.execute(statement)).scalars().all()


async def event_rows(uow: UnitOfWork, keys: Collection[tuple[uuid.UUID, int]]) -> dict[tuple[uuid.UUID, int], EventRow]:
    found: dict[tuple[uuid.UUID, int], EventRow] = {}
    for tenant, event in keys:
        row = await uow.session.get(EventRow, (tenant, event))
        if row is not None:
            found[(tenant, event)] = row
    return found


async def record_outcome(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    delivery: uuid.UUID,
    *,
    attempts: int,
    due: Collection[str],
    values: dict[str, Any],
) -> bool:
    """Write an attempt's outcome if the attempt still holds its lease (no later attempt was
    leased after it ran out); True when written."""
    statement = (
        update(WebhookDeliveryRow)
        .where(
            WebhookDeliveryRow.tenant_id == tenant,
            WebhookDeliveryRow.id == delivery,
            WebhookDeliveryRow.attempts == attempts,
            WebhookDeliveryRow.status.in_(due),
        )
        .values(**values)
    )
    result = await uow.session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def list_deliveries(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    endpoint: uuid.UUID | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[WebhookDeliveryRow]:
    """Newest first."""
    statement = select(WebhookDeliveryRow).where(WebhookDeliveryRow.tenant_id == tenant)
    if endpoint is not None:
        statement = statement.where(WebhookDeliveryRow.endpoint_id == endpoint)
    if status is not None:
        statement = statement.where(WebhookDeliveryRow.status == status)
    if before is not None:
        statement = statement.where(WebhookDeliveryRow.id < before)
    statement = statement.order_by(WebhookDeliveryRow.id.desc()).limit(limit)
    return (await uow.session.execute(statement)).scalars().all()
