"""Queries of the entitlements package: what grants a user something now, and the plans whose
period is over (the renewal worker's work list)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import and_, or_, select

from core_server.store.models import OrderRow, SubscriptionRow
from core_server.store.unit_of_work import UnitOfWork


async def running_plans(
    uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, statuses: Collection[str], now: dt.datetime
) -> Sequence[SubscriptionRow]:
    statement = select(SubscriptionRow).where(
        SubscriptionRow.tenant_id == tenant,
        SubscriptionRow.user_id == user,
        SubscriptionRow.status.in_(statuses),
        SubscriptionRow.end_at > now,
    )
    return (await uow.session.execute(statement)).scalars().all()


async def running_services(
    uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, statuses: Collection[str], now: dt.datetime
) -> Sequence[OrderRow]:
    statement = select(OrderRow).where(
        OrderRow.tenant_id == tenant,
        OrderRow.user_id == user,
        OrderRow.package_kind == "service",
        OrderRow.status.in_(statuses),
        OrderRow.active_until > now,
    )
    return (await uow.session.execute(statement)).scalars().all()


async def plans_to_end(
    uow: UnitOfWork,
    granting: Collection[str],
    renewing: str,
    now: dt.datetime,
    abandoned_before: dt.datetime,
    limit: int,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, subscription) of plans whose period is over, or whose renewal claim was abandoned."""
    statement = (
        select(SubscriptionRow.tenant_id, SubscriptionRow.id)
        .where(
            or_(
                and_(SubscriptionRow.status.in_(granting), SubscriptionRow.end_at <= now),
                and_(SubscriptionRow.status == renewing, SubscriptionRow.updated_at <= abandoned_before),
            )
        )
        .order_by(SubscriptionRow.end_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await uow.session.execute(statement)]
