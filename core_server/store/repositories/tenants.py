"""Tenant and API key queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_server.store.models import ApiKeyRow, TenantRow, TenantSettingsRow
from core_server.store.unit_of_work import UnitOfWork


async def get_tenant(uow: UnitOfWork, tenant_id: uuid.UUID, *, for_update: bool = False) -> TenantRow | None:
    statement = select(TenantRow).where(TenantRow.id == tenant_id)
    if for_update:
        statement = statement.with_for_update()
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def list_tenants(
    uow: UnitOfWork, *, after: uuid.UUID | None, limit: int, status: str | None
) -> Sequence[TenantRow]:
    statement = select(TenantRow).order_by(TenantRow.id).limit(limit)
    if after is not None:
        statement = statement.where(TenantRow.id > after)
    if status is not None:
        statement = statement.where(TenantRow.status == status)
    return (await uow.session.execute(statement)).scalars().all()


async def list_bot_tenants(uow: UnitOfWork, tenant_id: uuid.UUID | None) -> Sequence[TenantRow]:
    statement = select(TenantRow).where(TenantRow.status == "active", TenantRow.bot_token_encrypted.is_not(None))
    if tenant_id is not None:
        statement = statement.where(TenantRow.id == tenant_id)
    return (await uow.session.execute(statement.order_by(TenantRow.id))).scalars().all()


async def get_api_key(uow: UnitOfWork, key_id: uuid.UUID) -> ApiKeyRow | None:
    return await uow.session.get(ApiKeyRow, key_id)


async def list_api_keys(
    uow: UnitOfWork, *, tenant_id: uuid.UUID | None, include_revoked: bool, after: uuid.UUID | None, limit: int
) -> Sequence[ApiKeyRow]:
    statement = select(ApiKeyRow).order_by(ApiKeyRow.id).limit(limit)
    if tenant_id is not None:
        statement = statement.where(ApiKeyRow.tenant_id == tenant_id)
    if not include_revoked:
        statement = statement.where(ApiKeyRow.revoked_at.is_(None))
    if after is not None:
        statement = statement.where(ApiKeyRow.id > after)
    return (await uow.session.execute(statement)).scalars().all()


async def has_active_key(uow: UnitOfWork, role: str) -> bool:
    statement = select(ApiKeyRow.id).where(ApiKeyRow.role == role, ApiKeyRow.revoked_at.is_(None)).limit(1)
    return (await uow.session.execute(statement)).first() is not None


async def add_tenant(uow: UnitOfWork, row: TenantRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def add_api_key(uow: UnitOfWork, row: ApiKeyRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_settings(uow: UnitOfWork, tenant: uuid.UUID, *, for_update: bool = False) -> TenantSettingsRow | None:
    return await uow.session.get(TenantSettingsRow, tenant, with_for_update=for_update)


async def add_settings(uow: UnitOfWork, row: TenantSettingsRow) -> None:
    uow.session.add(row)
    await uow.session.flush()
