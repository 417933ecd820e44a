"""User queries: registration (an insert that tolerates a concurrent one of the same identity),
lookups and the search list; the registration's raw statements for the fast path (store/raw_tx.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from core_server.store.errors import ConstraintViolation
from core_server.store.models import UserRow
from core_server.store.raw_tx import RawTx, Sql, time_of, uuid_of
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


# --- the fast path: a registration (domain/users/service.py, register_fast) ---------------------

_COLUMNS = (
    "tenant_id", "id", "platform", "external_id", "username", "first_name", "last_name", "language_code",
    "search_text", "referral_code", "referrer_id", "blocked", "bot_blocked", "bot_blocked_at", "created_at",
    "updated_at",
)  # fmt: skip
_PLACES = ", ".join(f"${n}" for n in range(1, len(_COLUMNS) + 1))
# A concurrent registration of the same identity makes this insert nothing (and no error); any other
# unique key it hits (a referral code taken) fails the statement and the transaction.
_INSERT_IF_ABSENT = Sql(
    f"INSERT INTO users ({', '.join(_COLUMNS)}) VALUES ({_PLACES})"  # noqa: S608 (module constants)
    " ON CONFLICT (tenant_id, platform, external_id) DO NOTHING RETURNING id"
)
_FIND = Sql(
    f"SELECT {', '.join(_COLUMNS[1:])} FROM users"  # noqa: S608 (module constants)
    " WHERE tenant_id = $1 AND platform = $2 AND external_id = $3"
)


async def insert_user_raw(tx: RawTx, values: dict[str, Any]) -> bool:
    """Create the user unless (tenant, platform, external_id) exists; True when created. `values`
    has every column (a raw insert applies no model defaults)."""
    return await tx.fetchrow(_INSERT_IF_ABSENT, *(values[name] for name in _COLUMNS)) is not None


async def find_user_raw(tx: RawTx, tenant: uuid.UUID, platform: str, external_id: str) -> UserRow | None:
    """The user of an identity, as a transient row (nothing is stored through it)."""
    row = await tx.fetchrow(_FIND, tenant, platform, external_id)
    if row is None:
        return None
    return UserRow(
        tenant_id=tenant, id=uuid_of(row[0]), platform=row[1], external_id=row[2], username=row[3],
        first_name=row[4], last_name=row[5], language_code=row[6], search_text=row[7], referral_code=row[8],
        referrer_id=uuid_of(row[9]) if row[9] is not None else None, blocked=bool(row[10]),
        bot_blocked=bool(row[11]), bot_blocked_at=time_of(row[12]) if row[12] is not None else None,
        created_at=time_of(row[13]), updated_at=time_of(row[14]),
    )  # fmt: skip


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
