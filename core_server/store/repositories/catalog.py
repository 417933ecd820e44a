"""Catalog queries: a tenant's packages by id (the ListPackages page is a screen read: store/reads/)."""

from __future__ import annotations

import uuid

from core_server.store.models import PackageRow
from core_server.store.unit_of_work import UnitOfWork


async def add_package(uow: UnitOfWork, row: PackageRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_package(uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID) -> PackageRow | None:
    return await uow.session.get(PackageRow, (tenant, package))
