"""Paying an existing order on the fast path (store/raw_tx.py): the order locked with what its
payment needs to know, in one statement, and its paid state written back.

The ORM path's statements are orders.lock_order (step 1 of the lock order in ledger.py), then the
package and the buyer's referrer read apart; here the package and the referrer come with the
lock. They are not locked (the ORM path does not lock them either).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from core_server.store.models import OrderRow
from core_server.store.raw_tx import RawTx, Sql, time_of, uuid_of

_COLUMNS = (
    "o.tenant_id, o.id, o.user_id, o.package_id, o.package_kind, o.quantity, o.recipient, o.asset, o.subtotal,"
    " o.discount, o.total, o.promo_code, o.status, o.paid_via, o.refunded, o.failure_reason, o.delivery,"
    " o.expires_at, o.active_until, o.created_at, o.paid_at, o.fulfilled_at, o.closed_at"
)
_WIDTH = 23
_FROM = (
    " FROM orders o JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id"
    " JOIN packages p ON p.tenant_id = o.tenant_id AND p.id = o.package_id"
    " WHERE o.tenant_id = $1 AND o.id = $2"
)
_FACTS = "u.referrer_id IS NOT NULL, p.delivers_asset, p.delivers_amount, p.per_unit, p.active_days"
_LOCK_FOR_PAYMENT = Sql(
    f"SELECT {_COLUMNS}, {_FACTS}{_FROM} FOR UPDATE OF o",  # constant text
    f"SELECT {_COLUMNS}, {_FACTS}{_FROM}",  # SQLite: the writer's transaction is the lock
)
_MARK_PAID = Sql(
    "UPDATE orders SET status = $3, paid_via = $4, delivery = $5, active_until = $6, paid_at = $7,"
    " fulfilled_at = $8 WHERE tenant_id = $1 AND id = $2"
)


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What paying an order needs beyond the order: whether commissions may be due, and what an
    instant delivery credits (the package as it is now, as the ORM path's settle reads it)."""

    buyer_has_referrer: bool
    delivers_asset: str | None
    delivers_amount: int | None
    per_unit: bool
    active_days: int


def _time(value: Any) -> Any:
    return time_of(value) if value is not None else None


async def lock_for_payment(tx: RawTx, tenant: uuid.UUID, order: uuid.UUID) -> tuple[OrderRow, PaymentFacts] | None:
    """The order, locked (FOR UPDATE: the first lock of every path that changes it), as a
    transient row, and its payment's facts; None when the tenant has no such order."""
    row = await tx.fetchrow(_LOCK_FOR_PAYMENT, tenant, order)
    if row is None:
        return None
    delivery = row[16]
    order_row = OrderRow(
        tenant_id=uuid_of(row[0]), id=uuid_of(row[1]), user_id=uuid_of(row[2]), package_id=uuid_of(row[3]),
        package_kind=row[4], quantity=int(row[5]), recipient=row[6], asset=row[7], subtotal=int(row[8]),
        discount=int(row[9]), total=int(row[10]), promo_code=row[11], status=row[12], paid_via=row[13],
        refunded=int(row[14]), failure_reason=row[15],
        delivery=json.loads(delivery) if isinstance(delivery, str) else dict(delivery or {}),
        expires_at=time_of(row[17]), active_until=_time(row[18]), created_at=time_of(row[19]),
        paid_at=_time(row[20]), fulfilled_at=_time(row[21]), closed_at=_time(row[22]),
    )  # fmt: skip
    facts = row[_WIDTH:]
    return order_row, PaymentFacts(
        bool(facts[0]), facts[1], None if facts[2] is None else int(facts[2]), bool(facts[3]), int(facts[4])
    )


def mark_paid(tx: RawTx, row: OrderRow) -> None:
    """Write back what paying (and delivering instantly) changed on the order (deferred)."""
    tx.defer(
        _MARK_PAID, row.tenant_id, row.id, row.status, row.paid_via, json.dumps(row.delivery), row.active_until,
        row.paid_at, row.fulfilled_at,
    )  # fmt: skip
