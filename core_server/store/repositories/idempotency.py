"""Idempotency records: claim (insert unless present), read, complete, sweep."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Table, delete, select, update

from core_server.store.models import IdempotencyRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork

RECORDS: Table = IdempotencyRow.__table__  # type: ignore[assignment]  # mapped classes carry a Table
KEY = ("tenant_id", "method", "request_id")


async def claim(
    uow: UnitOfWork, tenant: uuid.UUID, method: str, request_id: str, request_hash: bytes, now: dt.datetime
) -> bool:
    """True when this call owns the key. On PostgreSQL a concurrent duplicate waits here until the
    owner's transaction ends, then finds its record (or, if the owner rolled back, claims it)."""
    values: dict[str, Any] = {
        "tenant_id": tenant,
        "method": method,
        "request_id": request_id,
        "request_hash": request_hash,
        "response": None,
        "transfer_id": None,
        "created_at": now,
    }
    return await insert_if_absent(uow.session, RECORDS, values, KEY)


async def get(uow: UnitOfWork, tenant: uuid.UUID, method: str, request_id: str) -> IdempotencyRow | None:
    return await uow.session.get(IdempotencyRow, (tenant, method, request_id))


async def complete(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    method: str,
    request_id: str,
    *,
    response: bytes | None = None,
    transfer_id: uuid.UUID | None = None,
) -> None:
    await uow.session.execute(
        update(RECORDS)
        .where(RECORDS.c.tenant_id == tenant, RECORDS.c.method == method, RECORDS.c.request_id == request_id)
        .values(response=response, transfer_id=transfer_id)
    )


async def sweep(uow: UnitOfWork, older_than: dt.datetime, limit: int) -> int:
    """Delete up to `limit` records created before older_than; returns how many."""
    victims = (
        select(RECORDS.c.tenant_id, RECORDS.c.method, RECORDS.c.request_id)
        .where(RECORDS.c.created_at < older_than)
        .limit(limit)
    )
    rows = (await uow.session.execute(victims)).all()
    for tenant, method, request_id in rows:
        await uow.session.execute(
            delete(RECORDS).where(
                RECORDS.c.tenant_id == tenant, RECORDS.c.method == method, RECORDS.c.request_id == request_id
            )
        )
    return len(rows)
