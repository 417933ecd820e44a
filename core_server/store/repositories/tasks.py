"""Fulfillment task queries: a task (locked after its order, in the lock order of ledger.py), the
open tasks of an order, the due tasks processors lease, and lists. Statuses come in as values from
the domain, which owns what they mean."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, or_, select

from core_server.store.models import TaskRow
from core_server.store.repositories.keyset import newest_first
from core_server.store.unit_of_work import UnitOfWork


async def add_task(uow: UnitOfWork, row: TaskRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_task(uow: UnitOfWork, tenant: uuid.UUID, task: uuid.UUID) -> TaskRow | None:
    """The task, unlocked."""
    return await uow.session.get(TaskRow, (tenant, task))


async def lock_task(uow: UnitOfWork, tenant: uuid.UUID, task: uuid.UUID) -> TaskRow | None:
    """The task, locked (FOR UPDATE, after its order) and read afresh: a copy loaded earlier in the
    transaction without the lock is refreshed."""
    statement = select(TaskRow).where(TaskRow.tenant_id == tenant, TaskRow.id == task).with_for_update()
    return (await uow.session.execute(statement.execution_options(populate_existing=True))).scalar_one_or_none()


async def lock_tasks_of_order(
    uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID, statuses: Collection[str]
) -> Sequence[TaskRow]:
    """The order's tasks in `statuses`, by id, locked (after the order itself, in the lock order)."""
    statement = (
        select(TaskRow)
        .where(TaskRow.tenant_id == tenant, TaskRow.order_id == order, TaskRow.status.in_(statuses))
        .order_by(TaskRow.id)
        .with_for_update()
    )
    return (await uow.session.execute(statement)).scalars().all()


async def lock_due_tasks(
    uow: UnitOfWork, tenant: uuid.UUID, kind: str, now: dt.datetime, *, queued: str, leased: str, limit: int
) -> Sequence[TaskRow]:
    """Up to `limit` tasks of a kind that are due now: `queued` ones whose next attempt has come and
    `leased` ones whose lease ran out, soonest attempt first, locked. Rows another transaction holds
    are skipped (SKIP LOCKED), so concurrent processors lease different tasks. A held task (leased
    without an end: handed to a provider, domain/fulfillment/handoff_model.py) is never due."""
    statement = (
        select(TaskRow)
        .where(
            TaskRow.tenant_id == tenant,
            TaskRow.kind == kind,
            or_(
                (TaskRow.status == queued) & (TaskRow.next_attempt_at <= now),
                (TaskRow.status == leased) & TaskRow.lease_expires_at.is_not(None) & (TaskRow.lease_expires_at <= now),
            ),
        )
        .order_by(TaskRow.next_attempt_at, TaskRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await uow.session.execute(statement)).scalars().all()


async def due_checks(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    kinds: Collection[str],
    now: dt.datetime,
    *,
    leased: str,
    checking: str,
    limit: int,
) -> list[tuple[uuid.UUID, int]]:
    """(id, attempt) of up to `limit` leased tasks of these kinds whose hand-off is `checking` and
    whose next status check has come, the longest waiting first. Unlocked: the caller locks each."""
    statement = (
        select(TaskRow.id, TaskRow.attempts)
        .where(
            TaskRow.tenant_id == tenant,
            TaskRow.kind.in_(kinds),
            TaskRow.status == leased,
            TaskRow.handoff == checking,
            TaskRow.next_attempt_at <= now,
        )
        .order_by(TaskRow.next_attempt_at, TaskRow.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await uow.session.execute(statement)).all()]


async def count_inputs(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID, day: str) -> int:
    """How many tasks the order has for inputs of one day."""
    statement = (
        select(func.count())
        .select_from(TaskRow)
        .where(TaskRow.tenant_id == tenant, TaskRow.order_id == order, TaskRow.input_day == day)
    )
    return int((await uow.session.execute(statement)).scalar_one())


async def list_tasks(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    kind: str | None,
    status: str | None,
    order: uuid.UUID | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[TaskRow]:
    """Up to `limit` tasks, newest first, older than `before`, of one kind, status and order if given."""
    statement = select(TaskRow).where(TaskRow.tenant_id == tenant)
    if kind:
        statement = statement.where(TaskRow.kind == kind)
    if status:
        statement = statement.where(TaskRow.status == status)
    if order is not None:
        statement = statement.where(TaskRow.order_id == order)
    return await newest_first(uow, statement, TaskRow.id, before, limit)
