"""Promo code queries: the codes (locked while a use is counted) and their uses."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, update

from core_server.store.models import PackageRow, PromoRow, PromoUseRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


async def insert_promo_if_absent(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    """Create the code unless the tenant has one with that code; True when created."""
    return await insert_if_absent(uow.session, cast(Table, PromoRow.__table__), values, ("tenant_id", "code"))


async def get_promo(uow: UnitOfWork, tenant: uuid.UUID, code: str, *, for_update: bool = False) -> PromoRow | None:
    """The code; with for_update, its row lock, which serializes every use of the code."""
    return await uow.session.get(PromoRow, (tenant, code), with_for_update=for_update)


async def list_promos(
    uow: UnitOfWork, tenant: uuid.UUID, *, include_disabled: bool, after: str | None, limit: int
) -> Sequence[PromoRow]:
    """Up to `limit` codes in code order, after the code `after`."""
    statement = select(PromoRow).where(PromoRow.tenant_id == tenant).order_by(PromoRow.code)
    if not include_disabled:
        statement = statement.where(PromoRow.disabled.is_(False))
    if after:
        statement = statement.where(PromoRow.code > after)
    return (await uow.session.execute(statement.limit(limit))).scalars().all()


async def known_packages(uow: UnitOfWork, tenant: uuid.UUID, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` are packages of the tenant."""
    statement = select(PackageRow.id).where(PackageRow.tenant_id == tenant, PackageRow.id.in_(ids))
    return set((await uow.session.execute(statement)).scalars().all())


async def add_use(uow: UnitOfWork, row: PromoUseRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def count_uses(uow: UnitOfWork, tenant: uuid.UUID, code: str, user: uuid.UUID) -> int:
    """The user's uses of the code that were not given back."""
    statement = (
        select(func.count())
        .select_from(PromoUseRow)
        .where(
            PromoUseRow.tenant_id == tenant,
            PromoUseRow.code == code,
            PromoUseRow.user_id == user,
            PromoUseRow.released.is_(False),
        )
    )
    return (await uow.session.scalar(statement)) or 0


async def uses_of_user(uow: UnitOfWork, tenant: uuid.UUID, code: str, user: uuid.UUID) -> Sequence[PromoUseRow]:
    """The user's uses of the code that were not given back, latest first."""
    statement = (
        select(PromoUseRow)
        .where(
            PromoUseRow.tenant_id == tenant,
            PromoUseRow.code == code,
            PromoUseRow.user_id == user,
            PromoUseRow.released.is_(False),
        )
        .order_by(PromoUseRow.created_at.desc(), PromoUseRow.id.desc())
    )
    return (await uow.session.execute(statement)).scalars().all()


async def uses_of_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> Sequence[PromoUseRow]:
    """The uses an order's discount took that were not given back."""
    statement = select(PromoUseRow).where(
        PromoUseRow.tenant_id == tenant, PromoUseRow.order_id == order, PromoUseRow.released.is_(False)
    )
    return (await uow.session.execute(statement)).scalars().all()


async def uncount_use(uow: UnitOfWork, tenant: uuid.UUID, code: str) -> None:
    """Take one use off the code's count (never below zero), in the database."""
    await uow.session.execute(
        update(PromoRow)
        .where(PromoRow.tenant_id == tenant, PromoRow.code == code, PromoRow.used_count > 0)
        .values(used_count=PromoRow.used_count - 1)
    )
