"""The order: its states, the moves between them, and what each state allows.

Every rule about an order's status asks this module ("may it be refunded?", "does it grant its
service?") instead of comparing strings, so a state added or a combination forgotten shows up in
one place (and in tests/unit/test_order_states.py, which walks every pair).

    pending ─┬─► paid ─┬─► fulfilled ─┬─► partially_refunded ─┬─► refunded
             │         │              └─► refunded            └─► failed ─► refunded
             │         ├─► partially_refunded (delivery still under way)
             │         ├─► failed ─┬─► refunded
             │         │           └─► paid (its task retried, nothing refunded: a free order)
             │         └─► refunded
             ├─► expired
             └─► cancelled

`paid` is an order whose delivery is outside work still under way (a fulfillment task);
internal deliveries go from paid to fulfilled in the payment's own transaction. A partially
refunded order keeps what it grants (a service, a queued delivery) until it is refunded in full;
its delivery completing stamps `fulfilled_at` and leaves the status partially_refunded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core_server.domain.states import check_edge
from core_server.store.models import OrderRow


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.PAID, S.EXPIRED, S.CANCELLED}),
    S.PAID: frozenset({S.FULFILLED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.FAILED}),
    S.FULFILLED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.FAILED}),
    # back to paid: an admin retried the failed delivery of an order nothing was refunded of
    S.FAILED: frozenset({S.REFUNDED, S.PAID}),
    S.REFUNDED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Money was taken and not all of it returned yet.
REFUNDABLE = frozenset({S.PAID, S.FULFILLED, S.PARTIALLY_REFUNDED, S.FAILED})
# Outside delivery may still complete or fail (a partial refund does not stop it).
AWAITING_DELIVERY = frozenset({S.PAID, S.PARTIALLY_REFUNDED})
# A service order in these states grants its service until active_until.
GRANTS_SERVICE = frozenset({S.FULFILLED, S.PARTIALLY_REFUNDED})
# States of an order that ended (closed_at is set).
CLOSED = frozenset({S.REFUNDED, S.EXPIRED, S.CANCELLED})


def move(row: OrderRow, to: OrderStatus, now: dt.datetime) -> None:
    """Change the row's status along an allowed edge, stamping the times the edge implies."""
    check_edge("order", row.id, TRANSITIONS, OrderStatus, row.status, to)
    was = row.status
    row.status = to
    if to is S.PAID and was == S.PENDING:  # a failed order retried keeps the time it was paid
        row.paid_at = now
    if to is S.FULFILLED:
        row.fulfilled_at = now
    if to in CLOSED:
        row.closed_at = now


def after_refund(row: OrderRow, refunded_after: int) -> OrderStatus:
    """The state a refund leaves the order in."""
    return S.REFUNDED if refunded_after >= row.total else S.PARTIALLY_REFUNDED


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    id: uuid.UUID
    user_id: uuid.UUID
    package_id: uuid.UUID
    package_kind: str
    quantity: int
    recipient: str
    asset: str
    subtotal: int
    discount: int
    total: int
    promo_code: str | None
    status: OrderStatus
    paid_via: str
    refunded: int
    failure_reason: str
    expires_at: dt.datetime
    active_until: dt.datetime | None
    created_at: dt.datetime
    paid_at: dt.datetime | None
    fulfilled_at: dt.datetime | None


def to_order(row: OrderRow) -> Order:
    return Order(
        id=row.id,
        user_id=row.user_id,
        package_id=row.package_id,
        package_kind=row.package_kind,
        quantity=row.quantity,
        recipient=row.recipient,
        asset=row.asset,
        subtotal=row.subtotal,
        discount=row.discount,
        total=row.total,
        promo_code=row.promo_code,
        status=OrderStatus(row.status),
        paid_via=row.paid_via,
        refunded=row.refunded,
        failure_reason=row.failure_reason,
        expires_at=row.expires_at,
        active_until=row.active_until,
        created_at=row.created_at,
        paid_at=row.paid_at,
        fulfilled_at=row.fulfilled_at,
    )


def _event_time(value: dt.datetime | None) -> str | None:
    """A time of the order in an event: UTC, ISO 8601 with "Z" (SQLite hands back naive UTC)."""
    if value is None:
        return None
    utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return utc.isoformat().replace("+00:00", "Z")


def order_event(row: OrderRow, **extra: Any) -> dict[str, Any]:
    """An order event's data. `paid_via` ("wallet", "provider:<name>") and the paid and fulfilled
    times (and, on order.paid and the order.fulfilled of the same moment, `paid_by`: the role of
    the key whose call paid it, "gateway" for a bot) let a consumer tell a purchase delivered in the
    moment its buyer paid it in a chat (who already saw the call's answer) from a later delivery."""
    return {
        "order_id": str(row.id),
        "user_id": str(row.user_id),
        "package_id": str(row.package_id),
        "package_kind": row.package_kind,
        "status": row.status,
        "asset": row.asset,
        "total_minor": row.total,
        "quantity": row.quantity,
        "recipient": row.recipient,
        "paid_via": row.paid_via,
        "paid_at": _event_time(row.paid_at),
        "fulfilled_at": _event_time(row.fulfilled_at),
        **extra,
    }
