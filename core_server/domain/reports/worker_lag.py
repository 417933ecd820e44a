"""How far the core's background workers (core_server/workers/loops.py) are behind in one tenant.

A worker that keeps up leaves nothing due for longer than its tick; one that is stuck (a provider
down, a receiver that times out, a core that stopped mid-lease) shows as items due for minutes or
hours. Per queue: how many items are due now and since when the longest-waiting one is, taken
with the workers' own conditions (what they would pick up next) so the figure means "work the
worker has not done yet", not "rows in a status". The idempotency sweep is housekeeping across
tenants and has no tenant backlog; broadcasts are sent by the bot gateway, not a core worker.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.fulfillment.tasks import TASK_KINDS, TaskStatus
from core_server.domain.money.hold_model import PENDING as HOLD_PENDING
from core_server.domain.orders.model import OrderStatus
from core_server.domain.payments.model import PaymentStatus
from core_server.domain.subscriptions.plans import GRANTING, PROVIDER_RENEWAL_GRACE, RENEWAL_LEASE, RENEWING
from core_server.domain.webhooks.rules import DUE_STATUSES
from core_server.store.repositories import worker_backlog as repo
from core_server.store.repositories.worker_backlog import Due
from core_server.store.unit_of_work import UnitOfWork


class WorkerQueue(enum.StrEnum):
    """The work of one background worker (two for fulfillment: queued tasks, expired leases)."""

    ORDER_EXPIRY = "order_expiry"
    HOLD_EXPIRY = "hold_expiry"
    SUBSCRIPTION_RENEWAL = "subscription_renewal"
    PAYMENT_RECONCILIATION = "payment_reconciliation"
    FULFILLMENT_QUEUED = "fulfillment_queued"
    FULFILLMENT_EXPIRED_LEASES = "fulfillment_expired_leases"
    OUTBOUND_WEBHOOKS = "outbound_webhooks"


@dataclass(frozen=True, slots=True)
class Backlog:
    queue: WorkerQueue
    due: int
    oldest_due: dt.datetime | None
    # how long the oldest has waited at `WorkerLag.read_at`, whole seconds (0 when nothing is due)
    oldest_seconds: int


@dataclass(frozen=True, slots=True)
class WorkerLag:
    backlogs: list[Backlog]
    read_at: dt.datetime


async def _read(uow: UnitOfWork, actor: Actor, queue: WorkerQueue, now: dt.datetime) -> Due:
    tenant = actor.tenant
    match queue:
        case WorkerQueue.ORDER_EXPIRY:
            return await repo.orders_to_expire(uow, tenant, OrderStatus.PENDING, now)
        case WorkerQueue.HOLD_EXPIRY:
            return await repo.holds_to_expire(uow, tenant, HOLD_PENDING, now)
        case WorkerQueue.SUBSCRIPTION_RENEWAL:
            return await repo.plans_to_end(
                uow, tenant, GRANTING, RENEWING, now, grace=PROVIDER_RENEWAL_GRACE, lease=RENEWAL_LEASE
            )
        case WorkerQueue.PAYMENT_RECONCILIATION:
            return await repo.payments_to_check(uow, tenant, PaymentStatus.PENDING, PaymentStatus.REFUNDING, now)
        case WorkerQueue.FULFILLMENT_QUEUED:
            return await repo.tasks_queued(uow, tenant, TASK_KINDS, TaskStatus.QUEUED, now)
        case WorkerQueue.FULFILLMENT_EXPIRED_LEASES:
            return await repo.leases_expired(uow, tenant, TASK_KINDS, TaskStatus.LEASED, now)
        case WorkerQueue.OUTBOUND_WEBHOOKS:
            return await repo.deliveries_due(uow, tenant, [s.value for s in DUE_STATUSES], now)


def _backlog(queue: WorkerQueue, due: Due, now: dt.datetime) -> Backlog:
    waited = max(int((now - due.oldest).total_seconds()), 0) if due.oldest is not None else 0
    return Backlog(queue, due.count, due.oldest, waited)


class WorkerLagReport:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def read(self, actor: Actor) -> WorkerLag:
        """Every queue of the caller's tenant, in WorkerQueue order, at the core's clock (the
        access rule asks a gateway's admin for QUEUES: core_server/api/access.py)."""
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            backlogs = [_backlog(queue, await _read(uow, actor, queue, now), now) for queue in WorkerQueue]
        return WorkerLag(backlogs, now)
