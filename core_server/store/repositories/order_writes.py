"""The fast path's statements for an order that exists already (store/raw_tx.py): a provider's
payment settling it. The order is locked first (step 1 of the lock order in ledger.py; the payment
that pays it was locked before, as on the ORM path), read with its buyer and package in the same
statement, and its paid state written back as a deferred update.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core_server.store.models import OrderRow
from core_server.store.raw_tx import Later, RawTx, Sql, guard_row, time_of, uuid_of
from core_server.store.repositories.delivery_writes import PACKAGE_COLUMNS, PackageDelivery, package_delivery_of

_ORDER_COLUMNS = (
    "user_id", "package_id", "package_kind", "quantity", "recipient", "asset", "subtotal", "discount", "total",
    "promo_code", "status", "paid_via", "refunded", "failure_reason", "delivery", "expires_at", "active_until",
    "created_at", "paid_at", "fulfilled_at", "closed_at",
)  # fmt: skip
_SELECT = (
    "SELECT " + ", ".join(f"o.{name}" for name in _ORDER_COLUMNS) + ", u.blocked, u.referrer_id IS NOT NULL, "  # noqa: S608  # constant column names
    "COALESCE((SELECT w.balance - w.held FROM ledger_accounts w"
    " WHERE w.tenant_id = o.tenant_id AND w.asset = o.asset AND w.user_id = o.user_id), 0), "
    + ", ".join(f"p.{name.strip()}" for name in PACKAGE_COLUMNS.split(","))
    + " FROM orders o JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id"
    " JOIN packages p ON p.tenant_id = o.tenant_id AND p.id = o.package_id WHERE o.tenant_id = $1 AND o.id = $2"
)  # fmt: skip
_LOCK = Sql(_SELECT + " FOR UPDATE OF o", _SELECT)  # SQLite: the writer's lock
_READ = Sql(_SELECT)
_PAY = (
    "UPDATE orders SET status = $3, paid_via = $4, paid_at = $5, fulfilled_at = $6, delivery = $7, active_until = $8"
    " WHERE tenant_id = $1 AND id = $2"
)
_PAID = Sql(_PAY)
_PAY_IF_PENDING = Sql(_PAY + " AND status = 'pending' RETURNING id")


@dataclass(frozen=True, slots=True)
class OrderToSettle:
    """A locked order (a transient OrderRow), whether its buyer has a referrer, and its package.
    `buyer_blocked`: the tenant's admin blocked the buyer (who may not pay from the wallet; a
    provider's payment, money received, still settles the order). `buyer_available`: what the
    buyer's wallet in the order's asset had available when read (a payment from the wallet it
    cannot cover is refused at once; one it can is still checked by the debit)."""

    row: OrderRow
    buyer_has_referrer: bool
    package: PackageDelivery
    buyer_blocked: bool = False
    buyer_available: int = 0  # in the order's asset when read (the wallet is not locked)


def _time(value: object) -> object:
    return None if value is None else time_of(value)


async def lock_order(tx: RawTx, tenant: uuid.UUID, order: uuid.UUID) -> OrderToSettle | None:
    """The order, locked, with its buyer's referrer flag and its package's delivery facts; None
    when the tenant has no such order."""
    return _to_settle(tenant, order, await tx.fetchrow(_LOCK, tenant, order))


async def read_order(tx: RawTx, tenant: uuid.UUID, order: uuid.UUID) -> OrderToSettle | None:
    """`lock_order`'s facts, unlocked (RawTx.read, before the transaction begins): a payment made
    on them goes through `pay_if_still_pending`, which checks the order's status again."""
    return _to_settle(tenant, order, await tx.read(_READ, tenant, order))


def pay_if_still_pending(tx: RawTx, row: OrderRow) -> Later:
    """What paying changed of an order read unlocked, as a guard of the unit's last statement
    (step 1 of the lock order): it takes only while the order is still pending, else the statement
    changes nothing (GuardMissed). The legs chain after the Later returned."""
    return guard_row(tx, "paid", _PAY_IF_PENDING, *_paid_args(row))


def _to_settle(tenant: uuid.UUID, order: uuid.UUID, found: Sequence[Any] | None) -> OrderToSettle | None:
    if found is None:
        return None
    values = dict(zip(_ORDER_COLUMNS, found[: len(_ORDER_COLUMNS)], strict=True))
    values["user_id"], values["package_id"] = uuid_of(values["user_id"]), uuid_of(values["package_id"])
    delivery = values["delivery"]
    values["delivery"] = json.loads(delivery) if isinstance(delivery, str) else dict(delivery or {})
    for name in ("expires_at", "active_until", "created_at", "paid_at", "fulfilled_at", "closed_at"):
        values[name] = _time(values[name])
    row = OrderRow(tenant_id=tenant, id=order, **values)
    rest = found[len(_ORDER_COLUMNS) :]
    return OrderToSettle(row, bool(rest[1]), package_delivery_of(row.package_id, rest[3:]), bool(rest[0]), int(rest[2]))


def store_paid(tx: RawTx, row: OrderRow) -> None:
    """What paying changed of a locked order (deferred: nothing reads it back in the transaction)."""
    tx.defer(_PAID, *_paid_args(row))


def _paid_args(row: OrderRow) -> tuple[Any, ...]:
    return (
        row.tenant_id, row.id, row.status, row.paid_via, row.paid_at, row.fulfilled_at, json.dumps(row.delivery),
        row.active_until,
    )  # fmt: skip
