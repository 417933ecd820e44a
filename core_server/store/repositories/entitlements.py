"""Queries of the entitlements package: the plans whose period is over (the renewal worker's work
list). What grants a user something now is a screen read (store/reads/)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from sqlalchemy import and_, or_, select

from core_server.store.models import SubscriptionRow
from core_server.store.unit_of_work import UnitOfWork


async def plans_to_end(
    uow: UnitOfWork,
    granting: Collection[str],
    renewing: str,
    now: dt.datetime,
    abandoned_before: dt.datetime,
    limit: int,
    *,
    provider_grace_before: dt.datetime,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, subscription) of plans whose period is over (for a plan a provider renews
    (`renewed_by`), one that ended before `provider_grace_before`), or whose renewal claim was
    abandoned."""
    statement = (
        select(SubscriptionRow.tenant_id, SubscriptionRow.id)
        .where(
            or_(
                and_(
                    SubscriptionRow.status.in_(granting),
                    SubscriptionRow.renewed_by.is_(None),
                    SubscriptionRow.end_at <= now,
                ),
                and_(
                    SubscriptionRow.status.in_(granting),
                    SubscriptionRow.renewed_by.is_not(None),
                    SubscriptionRow.end_at <= provider_grace_before,
                ),
                and_(SubscriptionRow.status == renewing, SubscriptionRow.updated_at <= abandoned_before),
            )
        )
        .order_by(SubscriptionRow.end_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await uow.session.execute(statement)]
