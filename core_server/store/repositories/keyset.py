"""Keyset pages of rows whose ids are time-ordered (UUIDv7): the newest first, after a cursor.

The domain turns the rows into a page and its opaque token (domain/paging.py); this module only
runs the query, asking for one row more than the page holds so the caller knows whether another
page exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from core_server.store.unit_of_work import UnitOfWork


async def newest_first(
    uow: UnitOfWork, statement: Select[Any], id_column: Any, before: uuid.UUID | None, limit: int
) -> Sequence[Any]:
    """Up to `limit` rows of `statement`, newest id first, all older than `before` when given."""
    statement = statement.order_by(id_column.desc())
    if before is not None:
        statement = statement.where(id_column < before)
    rows: Sequence[Any] = (await uow.session.execute(statement.limit(limit))).scalars().all()
    return rows


async def requests_page(
    uow: UnitOfWork,
    row_class: Any,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[Any]:
    """Requests a user files and an admin decides (payouts, top-ups): newest first, older than
    `before`, of one user or status if given."""
    statement = select(row_class).where(row_class.tenant_id == tenant)
    if user is not None:
        statement = statement.where(row_class.user_id == user)
    if status:
        statement = statement.where(row_class.status == status)
    return await newest_first(uow, statement, row_class.id, before, limit)
