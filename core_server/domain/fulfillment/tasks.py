"""Fulfillment tasks: outside work an order needs (Stars or Premium through a provider, or a
service input for an outside processor), leased by processors and reported back.

A lease hides a task from other processors until it ends; a task whose lease ran out is leased
again (each lease is an attempt). A retryable failure queues the task again after an exponential
backoff; a final failure, or a retryable one at max_attempts, fails it. A task handed to a
provider that must not get its order twice (handoff_model.py) is held: leased without an end, it
is never leased again until its outcome is known.

This package knows tasks and never orders: what an outcome means for the order (fulfilled, or
refunded when delivery failed for good) is decided in domain/orders/task_outcomes.py, which locks
the order before its task (the core's lock order) and calls the steps below.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core_server.domain.actor import Actor
from core_server.domain.buyer_orders import buyer_read, buyers_order
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.fulfillment import handoff_model
from core_server.domain.ids import require_id
from core_server.domain.json_input import object_or_error
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import OrderNotFound, TaskNotFailed, TaskNotFound, TaskNotLeased
from core_server.store.ids import new_id
from core_server.store.models import TaskRow
from core_server.store.repositories import orders as orders_repo
from core_server.store.repositories import tasks as repo
from core_server.store.unit_of_work import UnitOfWork

TASK_KINDS = ("telegram_stars", "telegram_premium", "service")
PLATFORMS = ("telegram", "instagram", "tiktok", "youtube", "vk", "x")
MAX_ATTEMPTS = 5
BASE_BACKOFF = 30
MAX_BACKOFF = 3600


class TaskStatus(StrEnum):
    QUEUED = "queued"
    LEASED = "leased"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    id: uuid.UUID
    order_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    status: TaskStatus
    attempts: int
    max_attempts: int
    next_attempt_at: dt.datetime
    lease_expires_at: dt.datetime | None
    result: dict[str, Any]
    last_error: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # whether RetryTask would queue it again now: decided with its order (domain/orders/
    # task_retries.py, which fulfillment may not import), so False until the orders side sets it
    retryable: bool = False


def to_task(row: TaskRow) -> Task:
    return Task(
        id=row.id,
        order_id=row.order_id,
        user_id=row.user_id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        status=TaskStatus(row.status),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        next_attempt_at=row.next_attempt_at,
        lease_expires_at=row.lease_expires_at,
        result=dict(row.result or {}),
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts - 1)))


def task_event(row: TaskRow) -> dict[str, Any]:
    return {
        "task_id": str(row.id),
        "order_id": str(row.order_id),
        "user_id": str(row.user_id),
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
    }


OPEN = (TaskStatus.QUEUED, TaskStatus.LEASED)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskOwner:
    """The order a task works for, by identity only (this package does not know orders)."""

    tenant_id: uuid.UUID
    order_id: uuid.UUID
    user_id: uuid.UUID


def new_task_row(
    owner: TaskOwner,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    *,
    refund_on_failure: bool,
    input_day: str | None = None,
) -> TaskRow:
    """A queued task, due now, whichever path stores it (`queue_task`, or a fast unit's insert)."""
    return TaskRow(
        tenant_id=owner.tenant_id,
        id=new_id(),
        order_id=owner.order_id,
        user_id=owner.user_id,
        kind=kind,
        payload=payload,
        status=TaskStatus.QUEUED,
        attempts=0,
        max_attempts=MAX_ATTEMPTS,
        next_attempt_at=now,
        lease_expires_at=None,
        result={},
        last_error="",
        refund_on_failure=refund_on_failure,
        input_day=input_day,
        handoff=handoff_model.Handoff.NONE,
        provider_ref=None,
        checks=0,
        created_at=now,
        updated_at=now,
    )


async def queue_task(
    deps: Deps,
    uow: UnitOfWork,
    owner: TaskOwner,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    *,
    refund_on_failure: bool,
    input_day: str | None = None,
) -> Task:
    row = new_task_row(owner, kind, payload, now, refund_on_failure=refund_on_failure, input_day=input_day)
    await repo.add_task(uow, row)
    await emit(uow, deps.feed, owner.tenant_id, "task.created", task_event(row), now)
    return to_task(row)


async def find_task(uow: UnitOfWork, tenant: uuid.UUID, task_id: str) -> TaskRow:
    """The task, unlocked: callers that change it lock its order first, then `lock_task`."""
    row = await repo.get_task(uow, tenant, require_id("task_id", task_id))
    if row is None:
        raise TaskNotFound(task_id)
    return row


async def lock_task(uow: UnitOfWork, tenant: uuid.UUID, task_id: uuid.UUID) -> TaskRow:
    row = await repo.lock_task(uow, tenant, task_id)
    if row is None:
        raise TaskNotFound(str(task_id))
    return row


async def lock_open_tasks(uow: UnitOfWork, tenant: uuid.UUID, order_id: uuid.UUID) -> list[TaskRow]:
    return list(await repo.lock_tasks_of_order(uow, tenant, order_id, OPEN))


def check_kind(kind: str | None) -> str:
    if kind not in TASK_KINDS:
        raise InvalidArgument([Violation("kind", f"must be one of {', '.join(TASK_KINDS)}")])
    return kind


def check_lease(max_tasks: int, lease_seconds: int) -> None:
    v = Violations()
    if not 0 <= max_tasks <= 100:
        v.add("max_tasks", "must be between 1 and 100")
    if lease_seconds and not 10 <= lease_seconds <= 3600:
        v.add("lease_seconds", "must be between 10 and 3600")
    v.raise_if_any()


def require_leased(row: TaskRow) -> None:
    if row.status != TaskStatus.LEASED:
        raise TaskNotLeased(f"task is {row.status}")


def require_failed(row: TaskRow) -> None:
    if row.status != TaskStatus.FAILED:
        raise TaskNotFailed(f"task is {row.status}", metadata={"status": row.status})


async def lease_tasks(
    deps: Deps, uow: UnitOfWork, tenant: uuid.UUID, kind: str, max_tasks: int, lease_seconds: int, now: dt.datetime
) -> tuple[list[Task], list[uuid.UUID]]:
    """Lease due tasks; returns them and the ids of tasks whose last lease ran out on their last
    attempt (failed for good: the caller fails them under their order's lock)."""
    until = now + dt.timedelta(seconds=lease_seconds or 300)
    rows = await repo.lock_due_tasks(
        uow, tenant, kind, now, queued=TaskStatus.QUEUED, leased=TaskStatus.LEASED, limit=max_tasks or 10
    )
    leased, exhausted = [], []
    for row in rows:
        if row.attempts >= row.max_attempts:  # its last lease ran out: that was the last attempt
            exhausted.append(row.id)
            continue
        row.status, row.lease_expires_at, row.attempts, row.updated_at = TaskStatus.LEASED, until, row.attempts + 1, now
        leased.append(row)
    await uow.session.flush()
    return [to_task(row) for row in leased], exhausted


def lease_ran_out(row: TaskRow, now: dt.datetime) -> bool:
    """A leased task whose last attempt's lease is over (checked again under the task's lock)."""
    return (
        row.status == TaskStatus.LEASED
        and row.attempts >= row.max_attempts
        and row.lease_expires_at is not None
        and row.lease_expires_at <= now
    )


async def mark_completed(deps: Deps, uow: UnitOfWork, row: TaskRow, result: dict[str, Any], now: dt.datetime) -> None:
    handoff_model.settle(row, now)
    row.status, row.result, row.lease_expires_at, row.updated_at = TaskStatus.COMPLETED, result, None, now
    await uow.session.flush()
    await emit(uow, deps.feed, row.tenant_id, "task.completed", task_event(row), now)


async def mark_failed(
    deps: Deps, uow: UnitOfWork, row: TaskRow, reason: str, retryable: bool, now: dt.datetime
) -> bool:
    """Record a failure; True when it was final (no retry is left)."""
    handoff_model.settle(row, now)
    row.last_error, row.lease_expires_at, row.updated_at = reason, None, now
    if retryable and row.attempts < row.max_attempts:
        row.status, row.next_attempt_at = TaskStatus.QUEUED, now + backoff(row.attempts)
        await uow.session.flush()
        await emit(uow, deps.feed, row.tenant_id, "task.retry_scheduled", task_event(row), now)
        return False
    row.status = TaskStatus.FAILED
    await uow.session.flush()
    await emit(uow, deps.feed, row.tenant_id, "task.failed", task_event(row), now)
    return True


async def requeue(deps: Deps, uow: UnitOfWork, row: TaskRow, now: dt.datetime) -> None:
    """A task that failed for good queued again by an admin, due now, with a fresh budget of
    MAX_ATTEMPTS attempts. `attempts` keeps counting instead of starting over at 0: it numbers the
    leases, and a worker's late answer about attempt N is told from the current one by it
    (handoff.owns), so a number is never given to two attempts. `last_error` stays until the next
    attempt reports, as after any other failure that is queued again."""
    require_failed(row)
    row.status, row.next_attempt_at, row.lease_expires_at = TaskStatus.QUEUED, now, None
    row.max_attempts, row.updated_at = row.attempts + MAX_ATTEMPTS, now
    await uow.session.flush()
    await emit(uow, deps.feed, row.tenant_id, "task.requeued", task_event(row), now)


async def inputs_on(uow: UnitOfWork, tenant: uuid.UUID, order_id: uuid.UUID, day: str) -> int:
    return await repo.count_inputs(uow, tenant, order_id, day)


class FulfillmentService:
    """The reads of tasks; the changes go through domain/orders/task_outcomes.py."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get(self, actor: Actor, task_id: str) -> Task:
        async with self._deps.read_uow() as uow:
            return to_task(await find_task(uow, actor.tenant, task_id))

    async def list_tasks(
        self,
        actor: Actor,
        kind: str | None,
        status: str | None,
        order_id: str,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[Task], str]:
        """`violations`: those found converting the request, reported with these filters' own."""
        v = violations if violations is not None else Violations()
        order = v.id("order_id", order_id, required=False)
        page = page_request(page_size, page_token, {"k": kind, "s": status, "o": order_id}, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            if order is not None and await orders_repo.get_order(uow, actor.tenant, order) is None:
                raise OrderNotFound(order_id)  # as reading the order is
            rows = await repo.list_tasks(
                uow, actor.tenant, kind=kind, status=status, order=order, before=before, limit=page.size + 1
            )
            tasks, token = id_page(page, rows, to_task)
        return tasks, token

    async def list_order_tasks(
        self, actor: Actor, order_id: str, user_id: str, page_size: int, page_token: str
    ) -> tuple[list[Task], str]:
        """One order's tasks, for its buyer: a gateway or partner key shows a user the state of
        their own order's work, so it names the user, and an order of anyone else is NOT_FOUND
        (never a hint that it exists). Admin keys may leave `user_id` empty (buyer_orders.py)."""
        v = Violations()
        read = buyer_read(actor, v, order_id, user_id)
        page = page_request(page_size, page_token, {"o": order_id, "u": user_id}, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            row = await buyers_order(uow, actor.tenant, read)
            rows = await repo.list_tasks(
                uow, actor.tenant, kind=None, status=None, order=row.id, before=before, limit=page.size + 1
            )
            tasks, token = id_page(page, rows, to_task)
        return tasks, token


def parse_result(v: Violations, text: str) -> dict[str, Any]:
    """A processor's result: a JSON object (empty when not given); a problem is added to `v`."""
    value = object_or_error(text or "{}", max_chars=10_000)
    if isinstance(value, str):
        v.add("result", value)
        return {}
    v.check_json("result", value)
    return value
