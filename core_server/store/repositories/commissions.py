"""Referral commission queries: who referred a buyer, and an order's commissions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_server.store.models import CommissionRow, UserRow
from core_server.store.unit_of_work import UnitOfWork


async def referrer_of(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID) -> uuid.UUID | None:
    return await uow.session.scalar(select(UserRow.referrer_id).where(UserRow.tenant_id == tenant, UserRow.id == user))


def add_commission(uow: UnitOfWork, row: CommissionRow) -> None:
    uow.session.add(row)


async def lock_commissions_of_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> Sequence[CommissionRow]:
    """The order's commissions by level, locked (after the order itself, in the lock order)."""
    statement = (
        select(CommissionRow)
        .where(CommissionRow.tenant_id == tenant, CommissionRow.order_id == order)
        .order_by(CommissionRow.level)
        .with_for_update()
    )
    return (await uow.session.execute(statement)).scalars().all()
