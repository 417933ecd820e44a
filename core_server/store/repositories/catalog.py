"""Catalog queries: a tenant's packages, one by id and listed in display order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_server.store.models import PackageRow
from core_server.store.unit_of_work import UnitOfWork


async def add_package(uow: UnitOfWork, row: PackageRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_package(uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID) -> PackageRow | None:
    return await uow.session.get(PackageRow, (tenant, package))


async def list_packages(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    category: str,
    active_only: bool,
    kind: str | None,
    offset: int,
    limit: int,
) -> Sequence[PackageRow]:
    """Up to `limit` packages in display order (category, sort order, id) from position `offset`;
    of one category and kind when given, only those on offer (active, not archived) if asked."""
    statement = (
        select(PackageRow)
        .where(PackageRow.tenant_id == tenant)
        .order_by(PackageRow.category, PackageRow.sort_order, PackageRow.id)
        .offset(offset)
        .limit(limit)
    )
    if category:
        statement = statement.where(PackageRow.category == category)
    if active_only:
        statement = statement.where(PackageRow.active.is_(True), PackageRow.archived.is_(False))
    if kind:
        statement = statement.where(PackageRow.kind == kind)
    return (await uow.session.execute(statement)).scalars().all()
