"""Asset queries: a tenant's currencies and credits, with their scales."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, select

from core_server.store.models import AssetRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


def add_assets(uow: UnitOfWork, rows: Sequence[AssetRow]) -> None:
    uow.session.add_all(rows)


async def insert_asset_if_absent(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    """Create the asset unless the tenant has one with that code; True when created."""
    return await insert_if_absent(uow.session, cast(Table, AssetRow.__table__), values, ("tenant_id", "code"))


async def get_asset(uow: UnitOfWork, tenant: uuid.UUID, code: str) -> AssetRow | None:
    return await uow.session.get(AssetRow, (tenant, code))


async def tenant_assets(uow: UnitOfWork, tenant: uuid.UUID) -> Sequence[AssetRow]:
    statement = select(AssetRow).where(AssetRow.tenant_id == tenant).order_by(AssetRow.code)
    return (await uow.session.execute(statement)).scalars().all()


async def known_codes(uow: UnitOfWork, tenant: uuid.UUID, codes: Collection[str]) -> set[str]:
    """Those of `codes` that are the tenant's assets."""
    statement = select(AssetRow.code).where(AssetRow.tenant_id == tenant, AssetRow.code.in_(list(codes)))
    return set((await uow.session.execute(statement)).scalars())
