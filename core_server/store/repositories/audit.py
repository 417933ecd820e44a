"""Audit log queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_server.store.models import AuditRow
from core_server.store.raw_tx import LaterJson, RawTx, Sql
from core_server.store.unit_of_work import UnitOfWork

_INSERT = Sql(
    "INSERT INTO audit_entries (tenant_id, id, actor, action, target_type, target_id, reason, before, after,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)


def add(uow: UnitOfWork, row: AuditRow) -> None:
    uow.session.add(row)


def insert(tx: RawTx, row: AuditRow, *, before: str | LaterJson = "", after: str | LaterJson = "") -> None:
    """An entry on a raw transaction (the fast paths; deferred). `before`/`after`, when given,
    replace the row's: texts the unit's last statement completes (raw_tx.LaterJson)."""
    tx.defer(
        _INSERT, row.tenant_id, row.id, row.actor, row.action, row.target_type, row.target_id, row.reason,
        before or row.before, after or row.after, row.created_at,
    )  # fmt: skip


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
