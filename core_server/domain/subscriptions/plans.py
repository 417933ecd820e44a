"""Subscriptions: activated or extended by paid subscription orders, cancelled (no renewal),
expired by a worker that also renews from the wallet and announces the end in advance.

HOOKS used by orders.py (keep their signatures):
- activate_or_extend(...) in the payment transaction of a subscription order;
- shorten_for_refund(...) when such an order is refunded in full.

Statuses stored: active, cancelled, expired, and `renewing`: the worker's durable claim on a
subscription whose period ended, taken before it buys the renewal in transactions of its own, so
that a second worker (another core) never buys the same period again. Readers see it as active.

    active ──┬─► active     (a purchase extends the plan)
             ├─► cancelled ─┬─► active   (bought again: renewal resumes)
             │              └─► expired
             ├─► renewing ──┬─► active   (renewed, or the claim given back after an error)
             │              ├─► renewing (a claim abandoned by a dead worker, taken over)
             │              └─► expired
             └─► expired ───► active     (bought again)

Every status change goes through `move()`, which knows these edges and stamps the times.

A plan whose payment provider renews it by charging the subscriber by itself (a Telegram Stars
subscription: `renewed_by`) is never renewed from the wallet: each of the provider's charges buys
the next period. The worker gives the provider's charge a grace period past the plan's end (the
charge reaches the hub through the bot, which may be late) and then expires the plan. A plan
stops being the provider's when it is cancelled or ends, or when it is bought afresh otherwise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from core_server.domain.events import EventFeed, emit
from core_server.domain.states import check_edge
from core_server.domain.tenancy.settings import DEFAULT_NOTICE_DAYS
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, PackageRow, SubscriptionRow
from core_server.store.repositories import subscriptions as repo
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
# How long past its end a plan its provider renews waits for the provider's charge before the
# worker expires it: Telegram keeps an update the bot has not fetched for 24 hours.
PROVIDER_RENEWAL_GRACE = dt.timedelta(days=1)
TRANSITIONS: dict[SubscriptionStatus, frozenset[SubscriptionStatus]] = {
    ACTIVE: frozenset({ACTIVE, CANCELLED, RENEWING, EXPIRED}),
    CANCELLED: frozenset({ACTIVE, EXPIRED}),
    RENEWING: frozenset({ACTIVE, RENEWING, EXPIRED}),
    EXPIRED: frozenset({ACTIVE}),
}


def allowed(row: SubscriptionRow, to: SubscriptionStatus) -> bool:
    """Whether the machine has an edge from the row's status to `to`."""
    return to in TRANSITIONS[SubscriptionStatus(row.status)]


def move(row: SubscriptionRow, to: SubscriptionStatus, now: dt.datetime) -> None:
    """Change the row's status along an allowed edge, stamping the times the edge implies: an
    active plan has no cancellation time, a cancelled one the time renewal was stopped. A plan
    cancelled or ended is no longer its provider's to renew."""
    check_edge("subscription", row.id, TRANSITIONS, SubscriptionStatus, row.status, to)
    row.status, row.updated_at = to, now
    if to is ACTIVE:
        row.cancel_at = None
    elif to is CANCELLED:
        row.cancel_at = now
    if to in (CANCELLED, EXPIRED):
        row.renewed_by = None


def shown_status(row: SubscriptionRow) -> SubscriptionStatus:
    """The status readers see: a plan being renewed is active."""
    status = SubscriptionStatus(row.status)
    return ACTIVE if status is RENEWING else status


class PlanTerms(Protocol):
    """What a plan change reads of the package bought (a PackageRow, or a fast path's facts)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def plan_code(self) -> str: ...
    @property
    def period_days(self) -> int: ...


def plan_of(package: PlanTerms) -> str:
    """The plan a subscription package starts or extends (its code, else the package itself)."""
    return package.plan_code or str(package.id)


@dataclass(slots=True)
class PlanChange:
    """A paid subscription order's effect on the user's plan: the row as it is now (`created`: a
    new one to insert), the event to emit and what to store in order.delivery."""

    row: SubscriptionRow
    created: bool
    event_type: str
    previous_end: dt.datetime | None
    period_days: int

    def event(self, order: OrderRow) -> dict[str, Any]:
        data = event_data(self.row)
        if self.event_type == "subscription.renewed":
            previous = self.previous_end.isoformat() if self.previous_end else None
            data.update(order_id=str(order.id), previous_end_time=previous)
        return data

    def delivery(self) -> dict[str, Any]:
        return {
            "subscription_id": str(self.row.id),
            "previous_end": self.previous_end.isoformat() if self.previous_end else None,
            "new_end": self.row.end_at.isoformat(),
            "period_days": self.period_days,
        }


def change_plan(
    tenant: uuid.UUID,
    current: SubscriptionRow | None,
    order: OrderRow,
    package: PlanTerms,
    now: dt.datetime,
    *,
    renewed_by: str | None = None,
) -> PlanChange:
    """Start the plan (`current`: the user's locked row of it, None when there is none), or extend
    it from its current end (renewals stack). The rules of `activate_or_extend`, without storage,
    so the ORM path and the fast path (domain/orders/fast_delivery.py) change a plan alike."""
    period = dt.timedelta(days=package.period_days)
    row = current
    previous_end: dt.datetime | None = None
    kept_renewal: str | None = None
    if row is None:
        row = SubscriptionRow(
            tenant_id=tenant,
            id=new_id(),
            user_id=order.user_id,
            plan_code=plan_of(package),
            package_id=package.id,
            status=ACTIVE,
            start_at=now,
            end_at=now + period,
            notices_sent=[],
            created_at=now,
        )
        type_ = "subscription.activated"
    elif row.status in GRANTING and row.end_at > now:  # buying a cancelled plan again resumes renewal
        previous_end, kept_renewal = row.end_at, row.renewed_by
        move(row, ACTIVE, now)
        row.end_at = previous_end + period
        type_ = "subscription.extended"
    elif row.status == RENEWING:
        previous_end, kept_renewal = row.end_at, row.renewed_by
        move(row, ACTIVE, now)
        row.end_at = renewed_end(previous_end, period, now)
        type_ = "subscription.renewed"
    else:
        move(row, ACTIVE, now)
        row.start_at, row.end_at = now, now + period
        type_ = "subscription.activated"
    row.package_id, row.last_order_id, row.cancel_at = package.id, order.id, None
    row.renewed_by = renewed_by or kept_renewal
    row.notices_sent, row.updated_at = [], now
    return PlanChange(row, current is None, type_, previous_end, package.period_days)


async def activate_or_extend(
    uow: UnitOfWork,
    feed: EventFeed,
    tenant: uuid.UUID,
    order: OrderRow,
    package: PackageRow,
    now: dt.datetime,
    *,
    renewed_by: str | None = None,
) -> dict[str, Any]:
    """Start the plan, or extend it from its current end (renewals stack). Emits
    subscription.activated or subscription.extended (subscription.renewed when the worker's
    renewal pays). `renewed_by`: the order was paid by a provider that charges the subscriber
    again every period by itself, so the plan is that provider's to renew from now on; a purchase
    without one extends a plan and leaves its renewal as it was, and starts a plan afresh renewed
    from the wallet. Returns what to store in order.delivery:
    {"subscription_id": str, "previous_end": iso | None, "new_end": iso, "period_days": int}."""
    current = await repo.lock_user_plan(uow, tenant, order.user_id, plan_of(package))
    change = change_plan(tenant, current, order, package, now, renewed_by=renewed_by)
    if change.created and not await repo.add_subscription_once(uow, change.row):
        # a purchase beside this one started the plan first (the insert waited for it): extend that
        current = await repo.lock_user_plan(uow, tenant, order.user_id, plan_of(package))
        assert current is not None  # plans are never deleted
        change = change_plan(tenant, current, order, package, now, renewed_by=renewed_by)
    await uow.session.flush()
    await emit(uow, feed, tenant, change.event_type, change.event(order), now)
    return change.delivery()


async def leave_plan_to_wallet(
    uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, package: PackageRow, provider: str, now: dt.datetime
) -> bool:
    """A charge of `provider` did not renew the user's plan of `package` (a renewal charge that
    bought nothing, or too little): the provider no longer renews it, and the renewal worker will
    renew it from the wallet, where that charge was credited. False when it was not the provider's."""
    row = await repo.lock_user_plan(uow, tenant, user, package.plan_code or str(package.id))
    return row is not None and _leave_to_wallet(row, provider, now)


async def leave_to_wallet_for_refund(
    uow: UnitOfWork, tenant: uuid.UUID, delivery: dict[str, Any], order_id: uuid.UUID, provider: str, now: dt.datetime
) -> bool:
    """The charge of `provider` that paid a subscription order (its `delivery`) is refunded: when
    that order is the one that last extended the plan, the provider no longer renews the plan.
    Locks the subscription (call it where the lock order takes an order's subscription)."""
    identifier = delivery.get("subscription_id")
    if not identifier:
        return False
    row = await repo.get_subscription(uow, tenant, uuid.UUID(identifier), for_update=True)
    return row is not None and row.last_order_id == order_id and _leave_to_wallet(row, provider, now)


def _leave_to_wallet(row: SubscriptionRow, provider: str, now: dt.datetime) -> bool:
    if row.renewed_by != provider:
        return False
    row.renewed_by, row.updated_at = None, now
    return True


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
    row = await repo.get_subscription(uow, tenant, uuid.UUID(identifier), for_update=True)
    if row is None or row.status not in RUNNING:  # cancelled or being renewed: the period still goes
        return
    row.end_at = row.end_at - dt.timedelta(days=int(delivery.get("period_days", 0)))
    row.notices_sent, row.updated_at = [], now
    if row.end_at <= now:
        move(row, EXPIRED, now)
        row.end_at = now
        await emit(uow, feed, tenant, "subscription.expired", event_data(row), now)
    else:
        await emit(uow, feed, tenant, "subscription.shortened", event_data(row), now)


def due_to_end(row: SubscriptionRow, now: dt.datetime) -> bool:
    """Whether the worker should end (renew or expire) the row now: its period is over (and, for a
    plan its provider renews, the provider's grace too), or a claim on it was abandoned."""
    if row.status in GRANTING:
        return row.end_at <= (now - PROVIDER_RENEWAL_GRACE if row.renewed_by else now)
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
    """End the plan at its end time; `reason` (cancelled, renewal_failed, package_unavailable,
    not_renewed_by_provider: the provider in `renewed_by` did not charge again) tells the bots
    what to say."""
    renewed_by = row.renewed_by
    move(row, EXPIRED, now)
    await uow.session.flush()
    data = {**event_data(row), "reason": reason, **({"renewed_by": renewed_by} if renewed_by else {})}
    await emit(uow, feed, row.tenant_id, "subscription.expired", data, now)


def notice_due(notice_days: Sequence[int], left: dt.timedelta, sent: Sequence[int]) -> tuple[int, list[int]] | None:
    """The notice to send with `left` time before the end, and the notice days sent after it.

    Each notice day is announced once per end date. A worker that was down and finds several
    days due at once sends only the nearest one: "3 days left" a day before the end is wrong."""
    due = [day for day in notice_days if left <= dt.timedelta(days=day) and day not in sent]
    if not due:
        return None
    passed = {day for day in notice_days if left <= dt.timedelta(days=day)}
    return min(due), sorted(passed | set(sent), reverse=True)


def notice_windows(
    days_of: Mapping[uuid.UUID, Sequence[int]], now: dt.datetime
) -> tuple[dt.datetime, list[tuple[list[uuid.UUID], dt.datetime]]]:
    """How far ahead each tenant announces ends (its largest notice day; `days_of`: tenants with
    settings), so a tenant announcing 30 days ahead does not make every tenant's month of renewals
    a candidate: the bound for tenants on the default horizon, and (tenants, bound) for the others."""
    by_horizon: dict[int, list[uuid.UUID]] = defaultdict(list)
    for tenant, days in days_of.items():
        by_horizon[max(days)].append(tenant)
    default = max(DEFAULT_NOTICE_DAYS)
    custom = [
        (tenants, now + dt.timedelta(days=horizon)) for horizon, tenants in by_horizon.items() if horizon != default
    ]
    return now + dt.timedelta(days=default), custom


def event_data(row: SubscriptionRow) -> dict[str, Any]:
    return {
        "subscription_id": str(row.id),
        "user_id": str(row.user_id),
        "plan_code": row.plan_code,
        "status": shown_status(row),
        "end_time": row.end_at.isoformat(),
    }
