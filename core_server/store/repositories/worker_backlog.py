"""How much of each background worker's work is due in one tenant: a count and the earliest due
time per queue, each one aggregate over an index that begins with the tenant (0015; the tasks'
existing (tenant_id, kind, status, next_attempt_at) index). The conditions are the workers' own
(ledger.expired_holds, orders.due_to_expire, entitlements.plans_to_end, payments.due_for_check and
refunds_due, tasks.lock_due_tasks, webhooks.lock_due) narrowed to the tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from core_server.store.models import (
    HoldRow,
    OrderRow,
    PaymentRow,
    SubscriptionRow,
    TaskRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from core_server.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Due:
    """What one query found due: how many, and the earliest due time (None when none)."""

    count: int
    oldest: dt.datetime | None

    def __add__(self, other: Due) -> Due:
        times = [t for t in (self.oldest, other.oldest) if t is not None]
        return Due(self.count + other.count, min(times) if times else None)


async def _due(uow: UnitOfWork, due_time: Any, *conditions: Any, join: Any = None) -> Due:
    statement = select(func.count(), func.min(due_time))
    if join is not None:
        statement = statement.select_from(join)
    row = (await uow.session.execute(statement.where(*conditions))).one()
    return Due(int(row[0] or 0), row[1])


async def orders_to_expire(uow: UnitOfWork, tenant: uuid.UUID, pending: str, now: dt.datetime) -> Due:
    return await _due(
        uow, OrderRow.expires_at, OrderRow.tenant_id == tenant, OrderRow.status == pending, OrderRow.expires_at <= now
    )


async def holds_to_expire(uow: UnitOfWork, tenant: uuid.UUID, pending: str, now: dt.datetime) -> Due:
    return await _due(
        uow, HoldRow.expires_at, HoldRow.tenant_id == tenant, HoldRow.status == pending, HoldRow.expires_at <= now
    )


async def plans_to_end(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    granting: Collection[str],
    renewing: str,
    now: dt.datetime,
    *,
    grace: dt.timedelta,
    lease: dt.timedelta,
) -> Due:
    """Plans ended (one a provider renews, `grace` after its end), and renewal claims older than
    `lease`: each due from the moment the renewal worker would take it up."""
    s = SubscriptionRow
    ended = await _due(
        uow, s.end_at, s.tenant_id == tenant, s.status.in_(granting), s.renewed_by.is_(None), s.end_at <= now
    )
    provider = await _due(
        uow, s.end_at, s.tenant_id == tenant, s.status.in_(granting), s.renewed_by.is_not(None), s.end_at <= now - grace
    )
    abandoned = await _due(uow, s.updated_at, s.tenant_id == tenant, s.status == renewing, s.updated_at <= now - lease)
    shifted = [
        provider if provider.oldest is None else Due(provider.count, provider.oldest + grace),
        abandoned if abandoned.oldest is None else Due(abandoned.count, abandoned.oldest + lease),
    ]
    return ended + shifted[0] + shifted[1]


async def payments_to_check(uow: UnitOfWork, tenant: uuid.UUID, pending: str, refunding: str, now: dt.datetime) -> Due:
    p = PaymentRow
    return await _due(
        uow,
        p.next_check_at,
        p.tenant_id == tenant,
        p.status.in_([pending, refunding]),
        p.next_check_at <= now,
        or_(
            p.status == pending,
            p.refund_call_until.is_(None),
            p.refund_call_until <= now,
        ),
    )


async def tasks_queued(
    uow: UnitOfWork, tenant: uuid.UUID, kinds: Collection[str], queued: str, now: dt.datetime
) -> Due:
    t = TaskRow
    return await _due(
        uow, t.next_attempt_at, t.tenant_id == tenant, t.kind.in_(kinds), t.status == queued, t.next_attempt_at <= now
    )


async def leases_expired(
    uow: UnitOfWork, tenant: uuid.UUID, kinds: Collection[str], leased: str, now: dt.datetime
) -> Due:
    """Leased tasks whose lease ran out (a task held by a provider has no lease end: never due)."""
    t = TaskRow
    return await _due(
        uow,
        t.lease_expires_at,
        t.tenant_id == tenant,
        t.kind.in_(kinds),
        t.status == leased,
        t.lease_expires_at.is_not(None),
        t.lease_expires_at <= now,
    )


async def deliveries_due(uow: UnitOfWork, tenant: uuid.UUID, due: Collection[str], now: dt.datetime) -> Due:
    d, e = WebhookDeliveryRow, WebhookEndpointRow
    joined = d.__table__.join(e.__table__, and_(e.tenant_id == d.tenant_id, e.id == d.endpoint_id))
    return await _due(
        uow,
        d.next_attempt_at,
        d.tenant_id == tenant,
        d.status.in_(due),
        d.next_attempt_at <= now,
        or_(d.leased_until.is_(None), d.leased_until <= now),
        e.enabled.is_(True),
        join=joined,
    )
