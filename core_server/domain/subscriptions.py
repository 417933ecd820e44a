"""Subscriptions: activated or extended by paid subscription orders, cancelled (no renewal),
expired by a worker that also renews from the wallet and announces the end in advance.

HOOKS used by orders.py (keep their signatures):
- activate_or_extend(...) in the payment transaction of a subscription order;
- shorten_for_refund(...) when such an order is refunded in full.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from core_server.domain.events import EventFeed, emit
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, PackageRow, SubscriptionRow
from core_server.store.unit_of_work import UnitOfWork


async def activate_or_extend(
    uow: UnitOfWork, feed: EventFeed, tenant: uuid.UUID, order: OrderRow, package: PackageRow, now: dt.datetime
) -> dict[str, Any]:
    """Start the plan, or extend it from its current end (renewals stack). Emits
    subscription.activated or subscription.extended. Returns what to store in order.delivery:
    {"subscription_id": str, "previous_end": iso | None, "new_end": iso, "period_days": int}."""
    plan = package.plan_code or str(package.id)
    period = dt.timedelta(days=package.period_days)
    statement = (
        select(SubscriptionRow)
        .where(
            SubscriptionRow.tenant_id == tenant,
            SubscriptionRow.user_id == order.user_id,
            SubscriptionRow.plan_code == plan,
        )
        .with_for_update()
    )
    row = (await uow.session.execute(statement)).scalar_one_or_none()
    previous_end: dt.datetime | None = None
    if row is None:
        row = SubscriptionRow(
            tenant_id=tenant,
            id=new_id(),
            user_id=order.user_id,
            plan_code=plan,
            package_id=package.id,
            status="active",
            start_at=now,
            end_at=now + period,
            notices_sent=[],
            created_at=now,
        )
        uow.session.add(row)
        type_ = "subscription.activated"
    elif row.status == "active" and row.end_at > now:
        previous_end = row.end_at
        row.end_at = previous_end + period
        type_ = "subscription.extended"
    else:
        row.status, row.start_at, row.end_at = "active", now, now + period
        type_ = "subscription.activated"
    row.package_id, row.last_order_id, row.cancel_at = package.id, order.id, None
    row.notices_sent, row.updated_at = [], now
    await uow.session.flush()
    await emit(uow, feed, tenant, type_, _event(row), now)
    return {
        "subscription_id": str(row.id),
        "previous_end": previous_end.isoformat() if previous_end else None,
        "new_end": row.end_at.isoformat(),
        "period_days": package.period_days,
    }


async def shorten_for_refund(
    uow: UnitOfWork, feed: EventFeed, tenant: uuid.UUID, delivery: dict[str, Any], now: dt.datetime
) -> None:
    """Take back the period a refunded order added (expire the subscription if that ends it)."""
    identifier = delivery.get("subscription_id")
    if not identifier:
        return
    row = await uow.session.get(SubscriptionRow, (tenant, uuid.UUID(identifier)), with_for_update=True)
    if row is None or row.status != "active":
        return
    row.end_at = row.end_at - dt.timedelta(days=int(delivery.get("period_days", 0)))
    row.notices_sent, row.updated_at = [], now
    if row.end_at <= now:
        row.status, row.end_at = "expired", now
        await emit(uow, feed, tenant, "subscription.expired", _event(row), now)
    else:
        await emit(uow, feed, tenant, "subscription.shortened", _event(row), now)


def _event(row: SubscriptionRow) -> dict[str, Any]:
    return {
        "subscription_id": str(row.id),
        "user_id": str(row.user_id),
        "plan_code": row.plan_code,
        "status": row.status,
        "end_time": row.end_at.isoformat(),
    }
