"""Keyset pages of rows whose ids are time-ordered (UUIDv7): the newest first, after a cursor.

The domain turns the rows into a page and its opaque token (domain/paging.py); this module only
runs the query, asking for one row more than the page holds so the caller knows whether another
page exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select

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
