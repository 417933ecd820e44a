"""User queries: registration (an insert that tolerates a concurrent one of the same identity),
lookups and the search list."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from core_server.store.errors import ConstraintViolation
from core_server.store.models import UserRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


async def insert_user_if_absent(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    """Create the user unless (tenant, platform, external_id) exists; True when created. Raises
    ConstraintViolation when another constraint refuses the row (its referral code is taken): a
    savepoint undoes only this insert."""
    table = cast(Table, UserRow.__table__)
    try:
        async with uow.savepoint():
            return await insert_if_absent(uow.session, table, values, ("tenant_id", "platform", "external_id"))
    except IntegrityError as error:
        raise ConstraintViolation(str(error.orig)) from error


async def get_user(uow: UnitOfWork, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserRow | None:
    return await uow.session.get(UserRow, (tenant_id, user_id))


async def find_user(uow: UnitOfWork, tenant_id: uuid.UUID, platform: str, external_id: str) -> UserRow | None:
    statement = select(UserRow).where(
        UserRow.tenant_id == tenant_id, UserRow.platform == platform, UserRow.external_id == external_id
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def find_by_referral_code(uow: UnitOfWork, tenant_id: uuid.UUID, code: str) -> UserRow | None:
    statement = select(UserRow).where(UserRow.tenant_id == tenant_id, UserRow.referral_code == code)
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def list_users(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    search: str,
    platform: str | None,
    bot_blocked: bool | None = None,
) -> Sequence[UserRow]:
    """Newest first (ids are time-ordered), keyset-paged by id."""
    statement = select(UserRow).where(UserRow.tenant_id == tenant_id).order_by(UserRow.id.desc()).limit(limit)
    if before is not None:
        statement = statement.where(UserRow.id < before)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(UserRow.search_text.like(f"%{escaped}%", escape="\\"))
    if platform is not None:
        statement = statement.where(UserRow.platform == platform)
    if bot_blocked is not None:
        statement = statement.where(UserRow.bot_blocked == bot_blocked)
    return (await uow.session.execute(statement)).scalars().all()


async def export_batch(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    *,
    start: dt.datetime | None,
    end: dt.datetime | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[UserRow]:
    """The next `limit` users by id (time order) after `after`, registered in [start, end):
    keyset-paged on the primary key, so every batch costs the same."""
    statement = select(UserRow).where(UserRow.tenant_id == tenant_id)
    if start is not None:
        statement = statement.where(UserRow.created_at >= start)
    if end is not None:
        statement = statement.where(UserRow.created_at < end)
    if after is not None:
        statement = statement.where(UserRow.id > after)
    return (await uow.session.execute(statement.order_by(UserRow.id).limit(limit))).scalars().all()
