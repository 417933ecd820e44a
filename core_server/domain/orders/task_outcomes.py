"""What a fulfillment task's outcome means for its order, decided under the order's lock.

Processors lease, complete and fail tasks; the order reacts in the same transaction: a Stars or
Premium task completed fulfils the order, one failed for good (a final FailTask, or its last
lease running out) refunds what is left of it. Every change here locks the order first and its
task second, the same order a refund takes (order -> its tasks -> wallets -> system accounts), so
a refund racing a task outcome waits instead of deadlocking, and whichever commits second sees
the other's result and decides on it. A worker that handed a task to a provider (Fragment) settles
it with `complete_handoff` / `fail_handoff`, which change nothing when the task is no longer that
worker's (fulfillment/handoff.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlsplit

from core_server.domain.actor import Actor
from core_server.domain.buyer_orders import TENANT_ORDER_WRITES, require_buyers
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.fulfillment import handoff, tasks
from core_server.domain.fulfillment.tasks import PLATFORMS, Task, TaskOwner, to_task
from core_server.domain.orders import retry_rule
from core_server.domain.orders.model import AWAITING_DELIVERY, OrderStatus, move, order_event
from core_server.domain.orders.refunds import refund_failed_order
from core_server.domain.orders.service import lock_order
from core_server.domain.orders.service_quota import quota_today, require_running_service
from core_server.domain.reasons import QuotaExceeded
from core_server.store.models import OrderRow, TaskRow
from core_server.store.repositories import catalog as catalog_repo
from core_server.store.unit_of_work import UnitOfWork

GIFTS = ("telegram_stars", "telegram_premium")


async def lock_with_order(uow: UnitOfWork, tenant: uuid.UUID, task_id: str) -> tuple[OrderRow, TaskRow]:
    """The task's order, then the task, both locked (the core's lock order)."""
    found = await tasks.find_task(uow, tenant, task_id)
    order = await lock_order(uow, tenant, str(found.order_id))
    return order, await tasks.lock_task(uow, tenant, found.id)


class TaskOutcomes:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def lease(self, actor: Actor, kind: str | None, max_tasks: int, lease_seconds: int) -> list[Task]:
        kind = tasks.check_kind(kind)
        tasks.check_lease(max_tasks, lease_seconds)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            leased, exhausted = await tasks.lease_tasks(
                self._deps, uow, actor.tenant, kind, max_tasks, lease_seconds, now
            )
            await uow.commit()
        for task_id in exhausted:
            await self._fail_ran_out(actor.tenant, task_id, now)
        return leased

    async def _fail_ran_out(self, tenant: uuid.UUID, task_id: uuid.UUID, now: dt.datetime) -> None:
        async with self._deps.uow() as uow:
            found = await tasks.find_task(uow, tenant, str(task_id))
            await lock_order(uow, tenant, str(found.order_id))
            row = await tasks.lock_task(uow, tenant, task_id)
            if tasks.lease_ran_out(row, now):
                await self._failed_for_good(uow, row, "lease expired on the last attempt", now)
                await uow.commit()

    async def complete(self, actor: Actor, task_id: str, result: str) -> Task:
        v = Violations()
        v.id("task_id", task_id)
        parsed = tasks.parse_result(v, result)
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            order, row = await lock_with_order(uow, actor.tenant, task_id)
            tasks.require_leased(row)
            await self._completed(uow, order, row, parsed, now)
            task = to_task(row)
            await uow.commit()
        return task

    async def _completed(
        self, uow: UnitOfWork, order: OrderRow, row: TaskRow, result: dict[str, Any], now: dt.datetime
    ) -> None:
        await tasks.mark_completed(self._deps, uow, row, result, now)
        if row.kind in GIFTS and order.status in AWAITING_DELIVERY:
            if order.status == OrderStatus.PAID:
                move(order, OrderStatus.FULFILLED, now)
            else:  # partly refunded while under way: delivered, the status keeps the refund
                order.fulfilled_at = now
            await uow.session.flush()
            await emit(uow, self._deps.feed, row.tenant_id, "order.fulfilled", order_event(order), now)

    async def complete_handoff(
        self, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int, result: dict[str, Any]
    ) -> bool:
        """A provider delivered what the worker that leased `attempt` handed it: complete the task
        (fulfilling the order). False, changing nothing, when that worker no longer holds the
        task (an admin finished it, a refund ended it)."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            order, row = await lock_with_order(uow, tenant, str(task_id))
            if not handoff.owns(row, attempt, now):
                return False
            await self._completed(uow, order, row, result, now)
            await uow.commit()
        return True

    async def fail_handoff(
        self, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int, reason: str, retryable: bool
    ) -> bool:
        """A provider delivered nothing for `attempt`: queue the task again (retryable, attempts
        left) or fail it for good, refunding the order. False when the worker no longer holds it."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            _order, row = await lock_with_order(uow, tenant, str(task_id))
            if not handoff.owns(row, attempt, now):
                return False
            if await tasks.mark_failed(self._deps, uow, row, reason[:1000], retryable, now):
                await self._refund_if_owed(uow, row, reason[:500], now)
            await uow.commit()
        return True

    async def fail(self, actor: Actor, task_id: str, reason: str, retryable: bool) -> Task:
        v = Violations()
        v.id("task_id", task_id)
        reason = v.check_text("reason", reason, max_length=1000, required=True, multiline=True)
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            order, row = await lock_with_order(uow, actor.tenant, task_id)
            tasks.require_leased(row)
            if await tasks.mark_failed(self._deps, uow, row, reason, retryable, now):
                await self._refund_if_owed(uow, row, reason, now)  # moves `order` (one identity in the session)
            task = retry_rule.retryable(order, to_task(row))
            await uow.commit()
        return task

    async def _failed_for_good(self, uow: UnitOfWork, row: TaskRow, reason: str, now: dt.datetime) -> None:
        await tasks.mark_failed(self._deps, uow, row, reason, False, now)
        await self._refund_if_owed(uow, row, reason, now)

    async def _refund_if_owed(self, uow: UnitOfWork, row: TaskRow, reason: str, now: dt.datetime) -> None:
        if row.refund_on_failure:
            await refund_failed_order(self._deps, uow, row.tenant_id, row.order_id, reason, now)

    async def submit_service_input(
        self, actor: Actor, order_id: str, url: str, platform: str, user_id: str = ""
    ) -> tuple[Task, int]:
        """Queue one input of an active service order within its daily quota (tenant's time zone).
        A partly refunded service order still runs until its end; a fully refunded one does not.
        Naming the buyer in `user_id` makes another user's order NOT_FOUND (buyer_orders.py)."""
        v = Violations()
        v.id("order_id", order_id)
        user = v.id("user_id", user_id, required=False)
        url = v.check_text("url", url, max_length=500, required=True)
        platform = v.check_text("platform", platform, max_length=32, required=True).lower()
        parts = urlsplit(url) if len(url) <= 500 else None
        bad_url = parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in url
        if bad_url and not v.has("url"):
            v.add("url", "must be an http(s) URL up to 500 characters")
        if platform not in PLATFORMS and not v.has("platform"):
            v.add("platform", f"must be one of {', '.join(PLATFORMS)}")
        v.raise_if_any()
        actor.require_staff_for_tenant_read(user_id, TENANT_ORDER_WRITES, doing="acting on an order by id")
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            order = await lock_order(uow, actor.tenant, order_id)  # serializes inputs of one order
            require_buyers(order, user, order_id)
            require_running_service(order, now)
            quota = await quota_today(uow, order, now)
            if quota.remaining_today == 0:
                raise QuotaExceeded(
                    f"{quota.posts_per_day} inputs a day are used up",
                    metadata={"posts_per_day": str(quota.posts_per_day), "day": quota.day},
                )
            # the package quota_today read, from the session's identity map (no second query)
            package = await catalog_repo.get_package(uow, order.tenant_id, order.package_id)
            assert package is not None
            payload = {"url": url, "platform": platform, "features": dict(package.features or {})}
            owner = TaskOwner(tenant_id=order.tenant_id, order_id=order.id, user_id=order.user_id)
            task = await tasks.queue_task(
                self._deps, uow, owner, "service", payload, now, refund_on_failure=False, input_day=quota.day
            )
            await uow.commit()
        return task, quota.remaining_today - 1
