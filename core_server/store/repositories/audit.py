"""Audit log queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_server.store.models import AuditRow
from core_server.store.unit_of_work import UnitOfWork


def add(uow: UnitOfWork, row: AuditRow) -> None:
    uow.session.add(row)


async def list_entries(
    uow: UnitOfWork, tenant: uuid.UUID, *, action: str, target_id: str, before: uuid.UUID | None, limit: int
) -> Sequence[AuditRow]:
    statement = select(AuditRow).where(AuditRow.tenant_id == tenant).order_by(AuditRow.id.desc()).limit(limit)
    if action:
        statement = statement.where(AuditRow.action == action)
    if target_id:
        statement = statement.where(AuditRow.target_id == target_id)
    if before is not None:
        statement = statement.where(AuditRow.id < before)
    return (await uow.session.execute(statement)).scalars().all()
