"""Bot settings queries: the settings row, its admins, and text overrides."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, delete, func, select, tuple_

from core_server.store.models import BotAdminRow, BotSettingsRow, TextOverrideRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


async def get_settings(uow: UnitOfWork, tenant: uuid.UUID, *, for_update: bool = False) -> BotSettingsRow | None:
    return await uow.session.get(BotSettingsRow, tenant, with_for_update=for_update, populate_existing=for_update)


async def insert_settings_if_absent(uow: UnitOfWork, row: BotSettingsRow) -> None:
    """The tenant's first settings row; a concurrent first one wins and this one is dropped."""
    values = {column.key: getattr(row, column.key) for column in BotSettingsRow.__table__.columns}
    await insert_if_absent(uow.session, cast(Table, BotSettingsRow.__table__), values, ("tenant_id",))


async def list_admins(uow: UnitOfWork, tenant: uuid.UUID) -> Sequence[BotAdminRow]:
    statement = select(BotAdminRow).where(BotAdminRow.tenant_id == tenant).order_by(BotAdminRow.position)
    return (await uow.session.execute(statement)).scalars().all()


async def get_admin(uow: UnitOfWork, tenant: uuid.UUID, telegram_id: int) -> BotAdminRow | None:
    return await uow.session.get(BotAdminRow, (tenant, telegram_id))


async def replace_admins(uow: UnitOfWork, tenant: uuid.UUID, admins: Sequence[BotAdminRow]) -> None:
    await uow.session.execute(delete(BotAdminRow).where(BotAdminRow.tenant_id == tenant))
    await uow.session.flush()
    uow.session.add_all(admins)


async def get_override(
    uow: UnitOfWork, tenant: uuid.UUID, locale: str, key: str, *, for_update: bool = False
) -> TextOverrideRow | None:
    return await uow.session.get(TextOverrideRow, (tenant, locale, key), with_for_update=for_update)


def add_override(uow: UnitOfWork, row: TextOverrideRow) -> None:
    uow.session.add(row)


async def delete_override(uow: UnitOfWork, row: TextOverrideRow) -> None:
    await uow.session.delete(row)


async def count_overrides(uow: UnitOfWork, tenant: uuid.UUID) -> int:
    statement = select(func.count()).select_from(TextOverrideRow).where(TextOverrideRow.tenant_id == tenant)
    return int((await uow.session.execute(statement)).scalar_one())


async def list_overrides(
    uow: UnitOfWork, tenant: uuid.UUID, *, locale: str, after: tuple[str, str] | None, limit: int
) -> Sequence[TextOverrideRow]:
    statement = select(TextOverrideRow).where(TextOverrideRow.tenant_id == tenant)
    if locale:
        statement = statement.where(TextOverrideRow.locale == locale)
    if after is not None:
        statement = statement.where(tuple_(TextOverrideRow.locale, TextOverrideRow.key) > after)
    statement = statement.order_by(TextOverrideRow.locale, TextOverrideRow.key).limit(limit)
    return (await uow.session.execute(statement)).scalars().all()
