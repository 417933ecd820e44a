"""An admin's retry of a fulfillment task that failed for good (RetryTask).

A task fails for good after its last attempt, or when a processor says the failure is final; its
order reacts then (task_outcomes.py): a Stars or Premium order fails and what is left of it is
refunded, while a service input's task fails alone and its order keeps running. A retry is only
right while the order is still owed the delivery, and is decided under the order's lock, then the
task's (the core's lock order), so two admins tapping Retry at once queue the task once:
- a service order that still grants its service (fulfilled, or partly refunded): the input is
  queued again and the order stays as it is, even when its period has ended since (the input was
  taken within it, and the buyer paid for it);
- a Stars or Premium order still awaiting delivery, or one that failed with nothing refunded (a
  free order, nothing to give back): the task is queued again and a failed order goes back to
  paid, so the task completing fulfils it as it would have the first time;
- anything refunded or closed (the usual end of a failed Stars or Premium order, or a service
  order refunded in full) is refused with TASK_ORDER_REFUNDED: a delivery now would be unpaid.
"""

from __future__ import annotations

import uuid

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.fulfillment import tasks
from core_server.domain.fulfillment.tasks import Task, TaskStatus, to_task
from core_server.domain.orders.model import OrderStatus, move, order_event
from core_server.domain.orders.retry_rule import owed, retryable
from core_server.domain.orders.task_outcomes import lock_with_order
from core_server.domain.reasons import TaskOrderRefunded
from core_server.store.repositories import orders as orders_repo


class TaskRetries:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def marked(self, tenant: uuid.UUID, found: list[Task]) -> list[Task]:
        """Tasks as read, each saying whether it can be retried now (its order read for a failed
        task only; a read of its own, so a retry may still be refused if the order changes)."""
        failed = {task.order_id for task in found if task.status == TaskStatus.FAILED}
        if not failed:
            return found
        async with self._deps.read_uow() as uow:
            orders = {order.id: order for order in await orders_repo.orders_by_id(uow, tenant, failed)}
        return [retryable(orders[task.order_id], task) if task.order_id in orders else task for task in found]

    async def retry(self, actor: Actor, task_id: str) -> Task:
        v = Violations()
        v.id("task_id", task_id)
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            order, row = await lock_with_order(uow, actor.tenant, task_id)
            tasks.require_failed(row)  # first: a second admin's tap reads "retried", not "refunded"
            if not owed(order, row.kind):
                raise TaskOrderRefunded(f"the task's order is {order.status}", metadata={"order_status": order.status})
            before = {"status": row.status, "max_attempts": row.max_attempts, "last_error": row.last_error}
            await tasks.requeue(self._deps, uow, row, now)
            if order.status == OrderStatus.FAILED:
                move(order, OrderStatus.PAID, now)
                order.failure_reason = ""
                await uow.session.flush()
                data = order_event(order, task_id=str(row.id))
                await emit(uow, self._deps.feed, order.tenant_id, "order.delivery_retried", data, now)
            after = {"status": row.status, "max_attempts": row.max_attempts, "order_status": order.status}
            audit.record(uow, actor, "", "task.requeued", ("task", str(row.id)), "", before, after, now)
            task = to_task(row)
            await uow.commit()
        return task
