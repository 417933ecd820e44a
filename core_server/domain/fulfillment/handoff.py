"""The steps of handing a task to a provider (the rules are in handoff_model.py). Each runs in the
caller's transaction, which holds the task's order and then the task (the core's lock order), and
each is committed before the provider is called: a crash never loses a hand-off.

A worker acts on a task it leased as attempt N; `owns` says whether that is still so (its lease
runs, or its hand-off is held). An admin finishing the task, a refund ending it, or its lease
running out and another worker leasing it take it away, and the worker's answer then changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core_server.domain.deps import Deps
from core_server.domain.events import emit
from core_server.domain.fulfillment.handoff_model import HELD, Handoff, check_interval, move
from core_server.domain.fulfillment.tasks import TaskStatus, task_event
from core_server.store.models import TaskRow
from core_server.store.unit_of_work import UnitOfWork


def owns(row: TaskRow, attempt: int, now: dt.datetime) -> bool:
    """Whether the worker that leased `attempt` of this task still holds it."""
    if row.status != TaskStatus.LEASED or row.attempts != attempt:
        return False
    if row.handoff in HELD:
        return True
    return row.lease_expires_at is not None and row.lease_expires_at > now


def _event(row: TaskRow) -> dict[str, Any]:
    return task_event(row) | {"handoff": row.handoff, "provider_ref": row.provider_ref or ""}


async def claim(deps: Deps, uow: UnitOfWork, row: TaskRow, attempt: int, provider: str, now: dt.datetime) -> bool:
    """Hold the task for sending its order (False when the worker no longer owns it, or it was
    already handed off). From this commit on the order of this attempt is never sent again."""
    if not owns(row, attempt, now) or row.handoff != Handoff.NONE:
        return False
    move(row, Handoff.SENDING, now)
    row.lease_expires_at, row.provider_ref = None, None
    row.result = {provider: {"state": Handoff.SENDING.value}}
    await uow.session.flush()
    await emit(uow, deps.feed, row.tenant_id, "task.sending", _event(row), now)
    return True


async def await_provider(
    deps: Deps, uow: UnitOfWork, row: TaskRow, provider: str, order_id: str, status: str, now: dt.datetime
) -> None:
    """The provider took the order as `order_id` and has not finished it: ask it again later."""
    first = row.handoff == Handoff.SENDING
    move(row, Handoff.CHECKING, now)
    row.provider_ref, row.next_attempt_at = order_id, now + check_interval(row.checks)
    row.result = {provider: {"state": Handoff.CHECKING.value, "order_id": order_id, "status": status}}
    await uow.session.flush()
    if first:
        await emit(uow, deps.feed, row.tenant_id, "task.checking", _event(row), now)


def take_check(row: TaskRow, now: dt.datetime) -> bool:
    """Count a due status check and schedule the next one, so that of two workers one asks (the
    caller commits this before asking)."""
    if row.status != TaskStatus.LEASED or row.handoff != Handoff.CHECKING or row.next_attempt_at > now:
        return False
    move(row, Handoff.CHECKING, now)
    row.checks += 1
    row.next_attempt_at = now + check_interval(row.checks)
    return True


async def mark_unknown(deps: Deps, uow: UnitOfWork, row: TaskRow, provider: str, reason: str, now: dt.datetime) -> None:
    """The order may have been bought and nothing names it: held for an admin's decision."""
    move(row, Handoff.UNKNOWN, now)
    row.last_error = reason[:1000]
    row.result = {provider: {"state": Handoff.UNKNOWN.value, "reason": reason[:500]}}
    await uow.session.flush()
    await emit(uow, deps.feed, row.tenant_id, "task.outcome_unknown", _event(row), now)
