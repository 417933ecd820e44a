"""Fulfillment tasks: outside work an order needs (Stars or Premium through a provider, or a
service input for an outside processor), leased by processors and reported back.

A lease hides a task from other processors until it ends; a task whose lease ran out is leased
again (each lease is an attempt). A retryable failure queues the task again after an exponential
backoff; a final failure, or a retryable one at max_attempts, fails it and, for Stars and Premium,
refunds the order in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import FailedPrecondition, InvalidArgument, NotFound, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.ids import require_id
from core_server.domain.paging import next_page_token, page_request
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, PackageRow, TaskRow, TenantRow
from core_server.store.unit_of_work import UnitOfWork

TASK_KINDS = ("telegram_stars", "telegram_premium", "service")
PLATFORMS = ("telegram", "instagram", "tiktok", "youtube", "vk", "x")
MAX_ATTEMPTS = 5
BASE_BACKOFF = 30
MAX_BACKOFF = 3600


@dataclass(frozen=True, slots=True)
class Task:
    id: uuid.UUID
    order_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: dt.datetime
    lease_expires_at: dt.datetime | None
    result: dict[str, Any]
    last_error: str
    created_at: dt.datetime
    updated_at: dt.datetime


def to_task(row: TaskRow) -> Task:
    return Task(
        row.id,
        row.order_id,
        row.user_id,
        row.kind,
        dict(row.payload or {}),
        row.status,
        row.attempts,
        row.max_attempts,
        row.next_attempt_at,
        row.lease_expires_at,
        dict(row.result or {}),
        row.last_error,
        row.created_at,
        row.updated_at,
    )


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts - 1)))


def _event(row: TaskRow) -> dict[str, Any]:
    return {
        "task_id": str(row.id),
        "order_id": str(row.order_id),
        "user_id": str(row.user_id),
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
    }


async def queue_task(
    deps: Deps,
    uow: UnitOfWork,
    order: OrderRow,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    *,
    refund_on_failure: bool,
    input_day: str | None = None,
) -> Task:
    row = TaskRow(
        tenant_id=order.tenant_id,
        id=new_id(),
        order_id=order.id,
        user_id=order.user_id,
        kind=kind,
        payload=payload,
        status="queued",
        attempts=0,
        max_attempts=MAX_ATTEMPTS,
        next_attempt_at=now,
        lease_expires_at=None,
        result={},
        last_error="",
        refund_on_failure=refund_on_failure,
        input_day=input_day,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await emit(uow, deps.feed, order.tenant_id, "task.created", _event(row), now)
    return to_task(row)


async def _lock_task(uow: UnitOfWork, tenant: uuid.UUID, task_id: str) -> TaskRow:
    parsed = require_id("task_id", task_id)
    statement = select(TaskRow).where(TaskRow.tenant_id == tenant, TaskRow.id == parsed).with_for_update()
    row = (await uow.session.execute(statement)).scalar_one_or_none()
    if row is None:
        raise NotFound("task", task_id)
    return row


def _check_kind(kind: str | None) -> str:
    if kind not in TASK_KINDS:
        raise InvalidArgument([Violation("kind", f"must be one of {', '.join(TASK_KINDS)}")])
    return kind


class FulfillmentService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def lease(self, actor: Actor, kind: str | None, max_tasks: int, lease_seconds: int) -> list[Task]:
        kind = _check_kind(kind)
        v = Violations()
        if not 0 <= max_tasks <= 100:
            v.add("max_tasks", "must be between 1 and 100")
        if lease_seconds and not 10 <= lease_seconds <= 3600:
            v.add("lease_seconds", "must be between 10 and 3600")
        v.raise_if_any()
        now = self._deps.clock.now()
        until = now + dt.timedelta(seconds=lease_seconds or 300)
        statement = (
            select(TaskRow)
            .where(
                TaskRow.tenant_id == actor.tenant,
                TaskRow.kind == kind,
                or_(
                    (TaskRow.status == "queued") & (TaskRow.next_attempt_at <= now),
                    (TaskRow.status == "leased") & (TaskRow.lease_expires_at <= now),
                ),
            )
            .order_by(TaskRow.next_attempt_at, TaskRow.id)
            .limit(max_tasks or 10)
            .with_for_update(skip_locked=True)
        )
        async with self._deps.uow() as uow:
            rows = (await uow.session.execute(statement)).scalars().all()
            leased = []
            for row in rows:
                if row.attempts >= row.max_attempts:  # its last lease ran out: that was the last attempt
                    await self._fail_for_good(uow, row, "lease expired on the last attempt", now)
                    continue
                row.status, row.lease_expires_at, row.attempts, row.updated_at = "leased", until, row.attempts + 1, now
                leased.append(row)
            await uow.session.flush()
            tasks = [to_task(row) for row in leased]
            await uow.commit()
        return tasks

    async def complete(self, actor: Actor, task_id: str, result: str) -> Task:
        parsed = _json_object("result", result or "{}", 10_000)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await _lock_task(uow, actor.tenant, task_id)
            if row.status != "leased":
                raise FailedPrecondition(f"task is {row.status}", reason="TASK_NOT_LEASED")
            row.status, row.result, row.lease_expires_at, row.updated_at = "completed", parsed, None, now
            await uow.session.flush()
            await emit(uow, self._deps.feed, row.tenant_id, "task.completed", _event(row), now)
            order = await uow.session.get(OrderRow, (row.tenant_id, row.order_id), with_for_update=True)
            if order is not None and order.status == "paid" and row.kind in ("telegram_stars", "telegram_premium"):
                order.status, order.fulfilled_at = "fulfilled", now
                await uow.session.flush()
                from core_server.domain.orders.service import order_event  # orders builds on this module

                await emit(uow, self._deps.feed, row.tenant_id, "order.fulfilled", order_event(order), now)
            task = to_task(row)
            await uow.commit()
        return task

    async def fail(self, actor: Actor, task_id: str, reason: str, retryable: bool) -> Task:
        v = Violations()
        v.check_length("reason", reason, max_length=1000, required=True)
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await _lock_task(uow, actor.tenant, task_id)
            if row.status != "leased":
                raise FailedPrecondition(f"task is {row.status}", reason="TASK_NOT_LEASED")
            row.last_error, row.lease_expires_at, row.updated_at = reason.strip(), None, now
            if retryable and row.attempts < row.max_attempts:
                row.status, row.next_attempt_at = "queued", now + backoff(row.attempts)
                await uow.session.flush()
                await emit(uow, self._deps.feed, row.tenant_id, "task.retry_scheduled", _event(row), now)
            else:
                await self._fail_for_good(uow, row, reason.strip(), now)
            task = to_task(row)
            await uow.commit()
        return task

    async def _fail_for_good(self, uow: UnitOfWork, row: TaskRow, reason: str, now: dt.datetime) -> None:
        row.status, row.last_error, row.lease_expires_at, row.updated_at = "failed", reason, None, now
        await uow.session.flush()
        await emit(uow, self._deps.feed, row.tenant_id, "task.failed", _event(row), now)
        if row.refund_on_failure:
            from core_server.domain.orders.refunds import refund_failed_order  # refunds build on this module

            await refund_failed_order(self._deps, uow, row.tenant_id, row.order_id, reason, now)

    async def get(self, actor: Actor, task_id: str) -> Task:
        parsed = require_id("task_id", task_id)
        async with self._deps.uow() as uow:
            row = await uow.session.get(TaskRow, (actor.tenant, parsed))
            if row is None:
                raise NotFound("task", task_id)
            return to_task(row)

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
        statement = select(TaskRow).where(TaskRow.tenant_id == actor.tenant).order_by(TaskRow.id.desc())
        if kind:
            statement = statement.where(TaskRow.kind == kind)
        if status:
            statement = statement.where(TaskRow.status == status)
        if order is not None:
            statement = statement.where(TaskRow.order_id == order)
        if page.after:
            statement = statement.where(TaskRow.id < uuid.UUID(page.after))
        async with self._deps.uow() as uow:
            if order is not None and await uow.session.get(OrderRow, (actor.tenant, order)) is None:
                raise NotFound("order", order_id)  # as reading the order is
            rows = (await uow.session.execute(statement.limit(page.size + 1))).scalars().all()
            tasks = [to_task(row) for row in rows[: page.size]]
        return tasks, next_page_token(page, tasks[-1].id.hex if tasks else None, len(rows) > page.size)

    async def submit_service_input(self, actor: Actor, order_id: str, url: str, platform: str) -> tuple[Task, int]:
        """Queue one input of an active service order within its daily quota (tenant's time zone)."""
        url, platform = url.strip(), platform.strip().lower()
        v = Violations()
        parts = urlsplit(url) if len(url) <= 500 else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            v.add("url", "must be an http(s) URL up to 500 characters")
        if platform not in PLATFORMS:
            v.add("platform", f"must be one of {', '.join(PLATFORMS)}")
        v.raise_if_any()
        from core_server.domain.orders.service import lock_order  # orders builds on this module

        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            order = await lock_order(uow, actor.tenant, order_id)  # serializes inputs of one order
            if (
                order.package_kind != "service"
                or order.status != "fulfilled"
                or not order.active_until
                or order.active_until <= now
            ):
                raise FailedPrecondition("order is not an active service order", reason="ORDER_NOT_ACTIVE")
            package = await uow.session.get(PackageRow, (order.tenant_id, order.package_id))
            tenant = await uow.session.get(TenantRow, order.tenant_id)
            assert package is not None
            assert tenant is not None
            day = now.astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).date().isoformat()
            used = (
                await uow.session.execute(
                    select(func.count())
                    .select_from(TaskRow)
                    .where(TaskRow.tenant_id == order.tenant_id, TaskRow.order_id == order.id, TaskRow.input_day == day)
                )
            ).scalar_one()
            if used >= package.posts_per_day:
                raise FailedPrecondition(
                    f"{package.posts_per_day} inputs a day are used up",
                    reason="QUOTA_EXCEEDED",
                    metadata={"posts_per_day": str(package.posts_per_day), "day": day},
                )
            payload = {"url": url, "platform": platform, "features": dict(package.features or {})}
            task = await queue_task(
                self._deps, uow, order, "service", payload, now, refund_on_failure=False, input_day=day
            )
            await uow.commit()
        return task, package.posts_per_day - int(used) - 1


def _json_object(field: str, text: str, limit: int) -> dict[str, Any]:
    if len(text) > limit:
        raise InvalidArgument([Violation(field, f"must be at most {limit} characters")])
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise InvalidArgument([Violation(field, "must be a JSON object")])
    v = Violations()
    v.check_json(field, value)
    v.raise_if_any()
    return value
