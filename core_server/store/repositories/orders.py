"""Order queries: an order (locked while it changes: step 1 of the lock order in ledger.py), lists,
and the expiry worker's candidates. Statuses come in as values from the domain, which owns what
they mean."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select

from core_server.store.models import OrderRow
from core_server.store.repositories.keyset import newest_first
from core_server.store.unit_of_work import UnitOfWork


async def add_order(uow: UnitOfWork, row: OrderRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> OrderRow | None:
    return await uow.session.get(OrderRow, (tenant, order))


async def lock_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> OrderRow | None:
    """The order, locked (FOR UPDATE): the first lock of every path that changes it."""
    statement = select(OrderRow).where(OrderRow.tenant_id == tenant, OrderRow.id == order).with_for_update()
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def list_orders(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    package: uuid.UUID | None,
    statuses: Collection[str],
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[OrderRow]:
    """Up to `limit` orders, newest first, older than `before`, of one user, package and any of
    `statuses` when given."""
    statement = select(OrderRow).where(OrderRow.tenant_id == tenant)
    if user is not None:
        statement = statement.where(OrderRow.user_id == user)
    if package is not None:
        statement = statement.where(OrderRow.package_id == package)
    if statuses:
        statement = statement.where(OrderRow.status.in_(statuses))
    return await newest_first(uow, statement, OrderRow.id, before, limit)


async def due_to_expire(
    uow: UnitOfWork, status: str, now: dt.datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, id) of up to `limit` orders in `status` whose expiry is past, read without locks
    (the caller locks each one and checks again)."""
    statement = (
        select(OrderRow.tenant_id, OrderRow.id)
        .where(OrderRow.status == status, OrderRow.expires_at <= now)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await uow.session.execute(statement)]
