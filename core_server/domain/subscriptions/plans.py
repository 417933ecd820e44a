"""Subscriptions: activated or extended by paid subscription orders, cancelled (no renewal),
expired by a worker that also renews from the wallet and announces the end in advance.

HOOKS used by orders.py (keep their signatures):
- activate_or_extend(...) in the payment transaction of a subscription order;
- shorten_for_refund(...) when such an order is refunded in full.

Statuses stored: active, cancelled, expired, and `renewing`: the worker's durable claim on a
subscription whose period ended, taken before it buys the renewal in transactions of its own, so
that a second worker (another core) never buys the same period again. Readers see it as active.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from core_server.domain.events import EventFeed, emit
from core_server.domain.tenancy.settings import DEFAULT_NOTICE_DAYS
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, PackageRow, SubscriptionRow
from core_server.store.unit_of_work import UnitOfWork


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"  # renewal stopped; the plan runs to its end
    RENEWING = "renewing"  # the renewal worker's claim (readers see it as active)
    EXPIRED = "expired"


ACTIVE = SubscriptionStatus.ACTIVE
CANCELLED = SubscriptionStatus.CANCELLED
RENEWING = SubscriptionStatus.RENEWING
EXPIRED = SubscriptionStatus.EXPIRED
GRANTING = (ACTIVE, CANCELLED)  # statuses that grant the plan until end_at
RUNNING = (ACTIVE, CANCELLED, RENEWING)  # a plan whose period has not been ended by the worker
# A claim older than this was left by a worker that died before paying (paying ends the claim in
# the payment's own transaction), so another worker may take it over.
RENEWAL_LEASE = dt.timedelta(minutes=10)


async def activate_or_extend(
    uow: UnitOfWork, feed: EventFeed, tenant: uuid.UUID, order: OrderRow, package: PackageRow, now: dt.datetime
) -> dict[str, Any]:
    """Start the plan, or extend it from its current end (renewals stack). Emits
    subscription.activated or subscription.extended (subscription.renewed when the worker's
    renewal pays). Returns what to store in order.delivery:
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
            status=ACTIVE,
            start_at=now,
            end_at=now + period,
            notices_sent=[],
            created_at=now,
        )
        uow.session.add(row)
        type_ = "subscription.activated"
    elif row.status in GRANTING and row.end_at > now:  # buying a cancelled plan again resumes renewal
        previous_end = row.end_at
        row.status, row.end_at = ACTIVE, previous_end + period
        type_ = "subscription.extended"
    elif row.status == RENEWING:
        previous_end = row.end_at
        row.status, row.end_at = ACTIVE, renewed_end(previous_end, period, now)
        type_ = "subscription.renewed"
    else:
        row.status, row.start_at, row.end_at = ACTIVE, now, now + period
        type_ = "subscription.activated"
    row.package_id, row.last_order_id, row.cancel_at = package.id, order.id, None
    row.notices_sent, row.updated_at = [], now
    await uow.session.flush()
    data = event_data(row)
    if type_ == "subscription.renewed":
        data.update(order_id=str(order.id), previous_end_time=previous_end.isoformat() if previous_end else None)
    await emit(uow, feed, tenant, type_, data, now)
    return {
        "subscription_id": str(row.id),
        "previous_end": previous_end.isoformat() if previous_end else None,
        "new_end": row.end_at.isoformat(),
        "period_days": package.period_days,
    }


def renewed_end(previous_end: dt.datetime, period: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """A renewal continues from the old end (a worker running a little late costs the user nothing);
    after a long outage it starts from now, so one payment never leaves the plan already ended."""
    end = previous_end + period
    return end if end > now else now + period


async def shorten_for_refund(
    uow: UnitOfWork, feed: EventFeed, tenant: uuid.UUID, delivery: dict[str, Any], now: dt.datetime
) -> None:
    """Take back the period a refunded order added (expire the subscription if that ends it)."""
    identifier = delivery.get("subscription_id")
    if not identifier:
        return
    row = await uow.session.get(SubscriptionRow, (tenant, uuid.UUID(identifier)), with_for_update=True)
    if row is None or row.status not in RUNNING:  # cancelled or being renewed: the period still goes
        return
    row.end_at = row.end_at - dt.timedelta(days=int(delivery.get("period_days", 0)))
    row.notices_sent, row.updated_at = [], now
    if row.end_at <= now:
        row.status, row.end_at = EXPIRED, now
        await emit(uow, feed, tenant, "subscription.expired", event_data(row), now)
    else:
        await emit(uow, feed, tenant, "subscription.shortened", event_data(row), now)


def due_to_end(row: SubscriptionRow, now: dt.datetime) -> bool:
    """Whether the worker should end (renew or expire) the row now: its period is over, or a claim
    on it was abandoned."""
    if row.status in GRANTING:
        return row.end_at <= now
    return row.status == RENEWING and row.updated_at <= now - RENEWAL_LEASE


def renewable(package: PackageRow | None, row: SubscriptionRow) -> bool:
    """Whether buying the row's package again would renew this very plan."""
    return (
        package is not None
        and package.kind == "subscription"
        and package.active
        and not package.archived
        and (package.plan_code or str(package.id)) == row.plan_code
    )


async def expire(uow: UnitOfWork, feed: EventFeed, row: SubscriptionRow, reason: str, now: dt.datetime) -> None:
    """End the plan at its end time; `reason` (cancelled, renewal_failed, package_unavailable) tells
    the bots what to say."""
    row.status, row.updated_at = EXPIRED, now
    await uow.session.flush()
    await emit(uow, feed, row.tenant_id, "subscription.expired", {**event_data(row), "reason": reason}, now)


def notice_due(notice_days: Sequence[int], left: dt.timedelta, sent: Sequence[int]) -> tuple[int, list[int]] | None:
    """The notice to send with `left` time before the end, and the notice days sent after it.

    Each notice day is announced once per end date. A worker that was down and finds several
    days due at once sends only the nearest one: "3 days left" a day before the end is wrong."""
    due = [day for day in notice_days if left <= dt.timedelta(days=day) and day not in sent]
    if not due:
        return None
    passed = {day for day in notice_days if left <= dt.timedelta(days=day)}
    return min(due), sorted(passed | set(sent), reverse=True)


def within_notice_horizon(days_of: Mapping[uuid.UUID, Sequence[int]], now: dt.datetime) -> ColumnElement[bool]:
    """Rows ending within their tenant's largest notice day (`days_of`: tenants with settings), so a
    tenant announcing 30 days ahead does not make every tenant's month of renewals a candidate."""
    by_horizon: dict[int, list[uuid.UUID]] = defaultdict(list)
    for tenant, days in days_of.items():
        by_horizon[max(days)].append(tenant)
    default = max(DEFAULT_NOTICE_DAYS)
    custom = [tenant for horizon, tenants in by_horizon.items() if horizon != default for tenant in tenants]
    end = SubscriptionRow.end_at
    windows = [and_(SubscriptionRow.tenant_id.not_in(custom), end <= now + dt.timedelta(days=default))]
    windows += [
        and_(SubscriptionRow.tenant_id.in_(tenants), end <= now + dt.timedelta(days=horizon))
        for horizon, tenants in by_horizon.items()
        if horizon != default
    ]
    return or_(*windows)


def event_data(row: SubscriptionRow) -> dict[str, Any]:
    return {
        "subscription_id": str(row.id),
        "user_id": str(row.user_id),
        "plan_code": row.plan_code,
        "status": ACTIVE if row.status == RENEWING else row.status,
        "end_time": row.end_at.isoformat(),
    }
