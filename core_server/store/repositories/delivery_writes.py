"""The fast path's delivery statements (store/raw_tx.py): what a paid subscription, Stars or
Premium order writes beside its money, on a raw transaction instead of the ORM session.

A user's plan is locked here as repositories/subscriptions.py's `lock_user_plan` locks it (step 2
of the lock order in ledger.py: an order's own rows before any wallet); a changed plan and a new
fulfillment task are written as deferred statements (after the order's own insert, which
the task's foreign key needs first on SQLite). Rows go in and out as the models' transient rows, so
the domain's rules (plans.change_plan, tasks.new_task_row) apply to them unchanged. A plan started
is inserted at once instead: its unique key decides between two first purchases running at once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core_server.store.models import SubscriptionRow, TaskRow
from core_server.store.raw_tx import RawTx, Sql, time_of, uuid_of

PACKAGE_COLUMNS = (
    "delivers_asset, delivers_amount, per_unit, active_days, plan_code, period_days, stars_quantity, premium_months"
)
_PACKAGE = Sql(f"SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = $1 AND id = $2")  # noqa: S608
_PLAN_COLUMNS = (
    "id, package_id, status, start_at, end_at, last_order_id, cancel_at, renewed_by, notices_sent, created_at,"
    " updated_at"
)
_LOCK_PLAN = Sql(
    f"SELECT {_PLAN_COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND user_id = $2 AND plan_code = $3"  # noqa: S608
    " FOR UPDATE",
    f"SELECT {_PLAN_COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND user_id = $2"  # noqa: S608
    " AND plan_code = $3",  # the writer's lock
)
_INSERT_PLAN = Sql(
    "INSERT INTO subscriptions (tenant_id, id, user_id, plan_code, package_id, status, start_at, end_at,"
    " last_order_id, cancel_at, renewed_by, notices_sent, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    " ON CONFLICT (tenant_id, user_id, plan_code) DO NOTHING RETURNING id"
)
_UPDATE_PLAN = Sql(
    "UPDATE subscriptions SET package_id = $3, status = $4, start_at = $5, end_at = $6, last_order_id = $7,"
    " cancel_at = $8, renewed_by = $9, notices_sent = $10, updated_at = $11 WHERE tenant_id = $1 AND id = $2"
)
_INSERT_TASK = Sql(
    "INSERT INTO fulfillment_tasks (tenant_id, id, order_id, user_id, kind, payload, status, attempts, max_attempts,"
    " next_attempt_at, lease_expires_at, result, last_error, refund_on_failure, handoff, provider_ref, checks,"
    " input_day, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
)


@dataclass(frozen=True, slots=True)
class PackageDelivery:
    """What a delivery reads of its package (domain/orders/delivery.py's Deliverable and Giftable,
    and plans.PlanTerms)."""

    id: uuid.UUID
    delivers_asset: str | None
    delivers_amount: int | None
    per_unit: bool
    active_days: int
    plan_code: str
    period_days: int
    stars_quantity: int
    premium_months: int


def package_delivery_of(package: uuid.UUID, row: Sequence[Any]) -> PackageDelivery:
    """A PackageDelivery from PACKAGE_COLUMNS' values, in their order (other statements read them too)."""
    asset, amount, per_unit, active_days, plan_code, period_days, stars, months = row
    return PackageDelivery(
        package, asset, None if amount is None else int(amount), bool(per_unit), int(active_days), plan_code or "",
        int(period_days), int(stars), int(months),
    )  # fmt: skip


async def package_delivery(tx: RawTx, tenant: uuid.UUID, package: uuid.UUID) -> PackageDelivery | None:
    """The delivery facts of a package of the tenant; None when it has no such package."""
    row = await tx.fetchrow(_PACKAGE, tenant, package)
    return None if row is None else package_delivery_of(package, row)


async def lock_user_plan(tx: RawTx, tenant: uuid.UUID, user: uuid.UUID, plan: str) -> SubscriptionRow | None:
    """The user's subscription to a plan (one at most), locked, as a transient row."""
    row = await tx.fetchrow(_LOCK_PLAN, tenant, user, plan)
    if row is None:
        return None
    notices = row[8]
    return SubscriptionRow(
        tenant_id=tenant, id=uuid_of(row[0]), user_id=user, plan_code=plan, package_id=uuid_of(row[1]),
        status=row[2], start_at=time_of(row[3]), end_at=time_of(row[4]),
        last_order_id=uuid_of(row[5]) if row[5] is not None else None,
        cancel_at=time_of(row[6]) if row[6] is not None else None, renewed_by=row[7],
        notices_sent=json.loads(notices) if isinstance(notices, str) else list(notices or []),
        created_at=time_of(row[9]), updated_at=time_of(row[10]),
    )  # fmt: skip


async def insert_plan(tx: RawTx, row: SubscriptionRow) -> bool:
    """A new subscription, at once; False (nothing written) when the user has the plan already:
    another transaction inserted it since `lock_user_plan` found none (on PostgreSQL the insert
    first waits for that transaction to end, as a lock would)."""
    inserted = await tx.fetchrow(
        _INSERT_PLAN,
        row.tenant_id, row.id, row.user_id, row.plan_code, row.package_id, row.status, row.start_at, row.end_at,
        row.last_order_id, row.cancel_at, row.renewed_by, json.dumps(row.notices_sent), row.created_at,
        row.updated_at,
    )  # fmt: skip
    return inserted is not None


def update_plan(tx: RawTx, row: SubscriptionRow) -> None:
    """The changes of a subscription locked by `lock_user_plan` (deferred: nothing reads it back)."""
    tx.defer(
        _UPDATE_PLAN,
        row.tenant_id, row.id, row.package_id, row.status, row.start_at, row.end_at, row.last_order_id,
        row.cancel_at, row.renewed_by, json.dumps(row.notices_sent), row.updated_at,
    )  # fmt: skip


def insert_task(tx: RawTx, row: TaskRow) -> None:
    """A new fulfillment task (deferred; after its order's insert)."""
    tx.defer(
        _INSERT_TASK,
        row.tenant_id, row.id, row.order_id, row.user_id, row.kind, json.dumps(row.payload), row.status,
        row.attempts, row.max_attempts, row.next_attempt_at, row.lease_expires_at, json.dumps(row.result),
        row.last_error, row.refund_on_failure, row.handoff, row.provider_ref, row.checks, row.input_day,
        row.created_at, row.updated_at,
    )  # fmt: skip
