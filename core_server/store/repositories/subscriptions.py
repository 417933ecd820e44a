"""Subscription queries: a user's plan (locked while it changes), lists, and the notice worker's
candidates. Statuses come in as values from the domain, which owns what they mean."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncGenerator, Collection, Sequence
from typing import cast

from sqlalchemy import Table, and_, or_, select

from core_server.store.models import PackageRow, SubscriptionRow, TenantSettingsRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


async def add_subscription_once(uow: UnitOfWork, row: SubscriptionRow) -> bool:
    """Insert a new plan unless the user has one of its code already; True when inserted. A
    transaction that started the same plan first is waited for (ON CONFLICT), so the loser then
    finds the winner's row with `lock_user_plan`."""
    table = cast(Table, SubscriptionRow.__table__)
    values = {column.key: getattr(row, column.key) for column in table.columns}
    given = {name: value for name, value in values.items() if value is not None}
    return await insert_if_absent(uow.session, table, given, ("tenant_id", "user_id", "plan_code"))


async def get_subscription(
    uow: UnitOfWork, tenant: uuid.UUID, subscription: uuid.UUID, *, for_update: bool = False
) -> SubscriptionRow | None:
    return await uow.session.get(SubscriptionRow, (tenant, subscription), with_for_update=for_update)


async def lock_user_plan(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, plan: str) -> SubscriptionRow | None:
    """The user's subscription to a plan (one at most), locked."""
    statement = (
        select(SubscriptionRow)
        .where(SubscriptionRow.tenant_id == tenant, SubscriptionRow.user_id == user, SubscriptionRow.plan_code == plan)
        .with_for_update()
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def get_package(uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID) -> PackageRow | None:
    return await uow.session.get(PackageRow, (tenant, package))


async def list_subscriptions(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    statuses: Collection[str],
    plan_code: str,
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[SubscriptionRow]:
    """Up to `limit` subscriptions, soonest end first (ties by id), after the (end, id) keyset;
    filtered by user, statuses and plan when given."""
    statement = (
        select(SubscriptionRow)
        .where(SubscriptionRow.tenant_id == tenant)
        .order_by(SubscriptionRow.end_at, SubscriptionRow.id)
    )
    if user is not None:
        statement = statement.where(SubscriptionRow.user_id == user)
    if statuses:
        statement = statement.where(SubscriptionRow.status.in_(statuses))
    if plan_code:
        statement = statement.where(SubscriptionRow.plan_code == plan_code)
    if after is not None:
        end, identifier = after
        statement = statement.where(
            or_(
                SubscriptionRow.end_at > end,
                and_(SubscriptionRow.end_at == end, SubscriptionRow.id > identifier),
            )
        )
    return (await uow.session.execute(statement.limit(limit))).scalars().all()


async def notice_days_by_tenant(uow: UnitOfWork) -> list[tuple[uuid.UUID, list[int] | None]]:
    """The notice days of every tenant that has settings (None or empty: the defaults)."""
    statement = select(TenantSettingsRow.tenant_id, TenantSettingsRow.expiring_notice_days)
    return [(row[0], row[1]) for row in await uow.session.execute(statement)]


async def ending_within(
    uow: UnitOfWork,
    statuses: Collection[str],
    now: dt.datetime,
    default_until: dt.datetime,
    windows: Sequence[tuple[Sequence[uuid.UUID], dt.datetime]],
) -> AsyncGenerator[tuple[uuid.UUID, uuid.UUID, dt.datetime, list[int] | None], None]:
    """(tenant, id, end, notices sent) of subscriptions in `statuses` running past `now` and ending
    by their tenant's window (`windows`: tenants and their end bound; any other tenant ends by
    `default_until`), soonest end first, streamed without locks. Close it (`contextlib.aclosing`)
    when stopping early."""
    listed = [tenant for tenants, _until in windows for tenant in tenants]
    end = SubscriptionRow.end_at
    bounds = [and_(SubscriptionRow.tenant_id.not_in(listed), end <= default_until)]
    bounds += [and_(SubscriptionRow.tenant_id.in_(tenants), end <= until) for tenants, until in windows]
    statement = (
        select(SubscriptionRow.tenant_id, SubscriptionRow.id, SubscriptionRow.end_at, SubscriptionRow.notices_sent)
        .where(SubscriptionRow.status.in_(statuses), SubscriptionRow.end_at > now, or_(*bounds))
        .order_by(SubscriptionRow.end_at)
        .execution_options(yield_per=1000)
    )
    result = await uow.session.stream(statement)
    try:
        async for row in result:
            yield row[0], row[1], row[2], row[3]
    finally:
        await result.close()
