"""INSERT ... ON CONFLICT DO NOTHING on both backends.

Natural-key idempotency (one user per (platform, external_id), one credit per provider payment id)
rests on the database's unique constraints: the insert either creates the row or does nothing,
however many callers race, and the loser reads the winner's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_if_absent(
    session: AsyncSession, table: Table, values: dict[str, Any], conflict_columns: Sequence[str]
) -> bool:
    """Insert a row unless one with the same conflict columns exists. True when inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*table.primary_key.columns)
    )
    result = await session.execute(statement)
    return result.first() is not None
