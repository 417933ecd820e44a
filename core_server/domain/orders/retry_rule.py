"""Whether a fulfillment task that failed for good may be queued again (RetryTask), decided from
its order: the rule RetryTask applies under the order's lock, and the one the task reads show as
`retryable`, so an admin screen offers Retry only where it would be taken (task_retries.py has
the cases)."""

from __future__ import annotations

import dataclasses

from core_server.domain.fulfillment.tasks import Task, TaskStatus
from core_server.domain.orders.delivery import GIFT_KINDS
from core_server.domain.orders.model import AWAITING_DELIVERY, GRANTS_SERVICE, OrderStatus
from core_server.store.models import OrderRow


def owed(order: OrderRow, kind: str) -> bool:
    """Whether the order is still owed what its task of `kind` delivers (task_retries.py has the cases)."""
    if kind in GIFT_KINDS:
        unrefunded_failure = order.status == OrderStatus.FAILED and order.refunded == 0
        return order.status in AWAITING_DELIVERY or unrefunded_failure
    return order.status in GRANTS_SERVICE


def retryable(order: OrderRow, task: Task) -> Task:
    """`task` saying whether a retry would be taken now, given its order as it stands: what an
    admin screen needs to offer Retry only where it would not be refused."""
    return dataclasses.replace(task, retryable=task.status == TaskStatus.FAILED and owed(order, task.kind))
