"""A refund on the fast write path (store/raw_tx.py): the order and its commissions, locked and
stored without the ORM.

Rows come back as transient OrderRow / CommissionRow objects, so the domain plans the refund with
the same functions as on the ORM path; what it changed is written back by UPDATEs deferred to the
transaction's last statement (both rows are locked since they were read).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from core_server.store.models import CommissionRow, OrderRow
from core_server.store.raw_tx import RawTx, Sql, time_of, uuid_of

_ORDER_COLUMNS = (
    "user_id, package_id, package_kind, quantity, recipient, asset, subtotal, discount, total, promo_code, status,"
    " paid_via, refunded, failure_reason, delivery, expires_at, active_until, created_at, paid_at, fulfilled_at,"
    " closed_at"
)
_LOCK_ORDER = Sql(
    f"SELECT {_ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE",  # noqa: S608
    f"SELECT {_ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND id = $2",  # noqa: S608  # the writer's lock
)
_STORE_ORDER = Sql(
    "UPDATE orders SET status = $3, refunded = $4, delivery = $5, active_until = $6, closed_at = $7"
    " WHERE tenant_id = $1 AND id = $2"
)
_COMMISSION_COLUMNS = (
    "id, referrer_id, buyer_id, level, asset, amount, base_amount, clawed_back, shortfall, transfer_id, available_at,"
    " created_at"
)
_LOCK_COMMISSIONS = Sql(
    f"SELECT {_COMMISSION_COLUMNS} FROM referral_commissions WHERE tenant_id = $1 AND order_id = $2"  # noqa: S608
    " ORDER BY level FOR UPDATE",
    f"SELECT {_COMMISSION_COLUMNS} FROM referral_commissions WHERE tenant_id = $1 AND order_id = $2"  # noqa: S608
    " ORDER BY level",
)
_STORE_COMMISSION = Sql(
    "UPDATE referral_commissions SET clawed_back = $3, shortfall = $4 WHERE tenant_id = $1 AND id = $2"
)


def _time(value: Any) -> Any:
    return time_of(value) if value is not None else None


async def lock_order(tx: RawTx, tenant: uuid.UUID, order: uuid.UUID) -> OrderRow | None:
    """The order, locked (the first lock of every path that changes it), as a transient row."""
    row = await tx.fetchrow(_LOCK_ORDER, tenant, order)
    if row is None:
        return None
    delivery = row[14]
    return OrderRow(
        tenant_id=tenant, id=order, user_id=uuid_of(row[0]), package_id=uuid_of(row[1]), package_kind=row[2],
        quantity=int(row[3]), recipient=row[4], asset=row[5], subtotal=int(row[6]), discount=int(row[7]),
        total=int(row[8]), promo_code=row[9], status=row[10], paid_via=row[11], refunded=int(row[12]),
        failure_reason=row[13], delivery=json.loads(delivery) if isinstance(delivery, str) else delivery or {},
        expires_at=time_of(row[15]), active_until=_time(row[16]), created_at=time_of(row[17]),
        paid_at=_time(row[18]), fulfilled_at=_time(row[19]), closed_at=_time(row[20]),
    )  # fmt: skip


def store_refund(tx: RawTx, row: OrderRow) -> None:
    """What a refund changes on the order (deferred)."""
    tx.defer(
        _STORE_ORDER, row.tenant_id, row.id, row.status, row.refunded, json.dumps(row.delivery), row.active_until,
        row.closed_at,
    )  # fmt: skip


async def lock_commissions(tx: RawTx, tenant: uuid.UUID, order: OrderRow) -> list[CommissionRow]:
    """The order's commissions by level, locked (after the order, in the lock order)."""
    return [_commission(tenant, order.id, row) for row in await tx.fetch(_LOCK_COMMISSIONS, tenant, order.id)]


def _commission(tenant: uuid.UUID, order: uuid.UUID, row: Sequence[Any]) -> CommissionRow:
    return CommissionRow(
        tenant_id=tenant, id=uuid_of(row[0]), order_id=order, referrer_id=uuid_of(row[1]), buyer_id=uuid_of(row[2]),
        level=int(row[3]), asset=row[4], amount=int(row[5]), base_amount=int(row[6]), clawed_back=int(row[7]),
        shortfall=int(row[8]), transfer_id=uuid_of(row[9]) if row[9] is not None else None,
        available_at=time_of(row[10]), created_at=time_of(row[11]),
    )  # fmt: skip


def store_clawbacks(tx: RawTx, rows: Sequence[CommissionRow]) -> None:
    """What clawbacks changed on the commissions (deferred)."""
    for row in rows:
        tx.defer(_STORE_COMMISSION, row.tenant_id, row.id, row.clawed_back, row.shortfall)
