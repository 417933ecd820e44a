"""A provider payment: its states, the moves between them, and what the API shows of it.

    pending ─┬─► succeeded
             ├─► underpaid
             ├─► failed ──┬─► succeeded   (money arrived after the provider gave up:
             └─► expired ─┴─► underpaid    it is credited all the same, once)

    succeeded ─┐               ┌─► refunded               (the provider gave the charge back)
    underpaid ─┴─► refunding ──┴─► succeeded | underpaid  (it refused for good: the money is
                                                           back in the wallet, as it was)

Money arrives once: from succeeded or underpaid on (RECEIVED) nothing is credited again, and the
row's lock plus this table make that hold however many deliveries, checks and reconciliations
race. A refund to the provider (Telegram Stars only: stars_refunds.py) takes the credit out of the
wallet when it enters refunding; refunded is final.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core_server.domain.money.amounts import Money
from core_server.domain.states import check_edge
from core_server.store.models import PaymentRow


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    UNDERPAID = "underpaid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


S = PaymentStatus
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.PENDING: frozenset({S.SUCCEEDED, S.UNDERPAID, S.FAILED, S.EXPIRED}),
    S.FAILED: frozenset({S.SUCCEEDED, S.UNDERPAID}),
    S.EXPIRED: frozenset({S.SUCCEEDED, S.UNDERPAID}),
    S.SUCCEEDED: frozenset({S.REFUNDING}),
    S.UNDERPAID: frozenset({S.REFUNDING}),
    S.REFUNDING: frozenset({S.REFUNDED, S.SUCCEEDED, S.UNDERPAID}),
    S.REFUNDED: frozenset(),
}
CREDITED = frozenset({S.SUCCEEDED, S.UNDERPAID})  # money arrived and is credited (refundable)
RECEIVED = CREDITED | {S.REFUNDING, S.REFUNDED}  # money arrived: never credited again


def move(row: PaymentRow, to: PaymentStatus, now: dt.datetime) -> None:
    """Change the row's status along an allowed edge; `paid_at` is when money first arrived."""
    check_edge("payment", row.id, TRANSITIONS, PaymentStatus, row.status, to)
    arrived_now = row.status not in RECEIVED and to in RECEIVED
    row.status, row.updated_at = to, now
    if arrived_now:
        row.paid_at = now


def credited_status(row: PaymentRow) -> PaymentStatus:
    """The status a credited payment has by what arrived (the rule `PaymentService._credit`
    applies): succeeded when the asked amount or more arrived in the asked asset, else underpaid.
    Where a refund the provider refused returns the payment to."""
    full = row.received_asset == row.asset and (row.received_amount or 0) >= row.amount
    return S.SUCCEEDED if full else S.UNDERPAID


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    id: uuid.UUID
    user_id: uuid.UUID
    order_id: uuid.UUID | None
    provider: str
    provider_ref: str
    status: PaymentStatus
    amount: Money
    received: Money | None
    pay_url: str
    provider_status: str
    failure_reason: str
    credit_transfer_id: uuid.UUID | None
    expires_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    paid_at: dt.datetime | None


def to_payment(row: PaymentRow) -> Payment:
    received = None
    if row.received_asset is not None and row.received_amount is not None:
        received = Money(row.received_asset, row.received_amount)
    return Payment(
        id=row.id,
        user_id=row.user_id,
        order_id=row.order_id,
        provider=row.provider,
        provider_ref=row.provider_ref or "",
        status=PaymentStatus(row.status),
        amount=Money(row.asset, row.amount),
        received=received,
        pay_url=row.pay_url,
        provider_status=row.provider_status,
        failure_reason=row.failure_reason,
        credit_transfer_id=row.credit_transfer_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        paid_at=row.paid_at,
    )


def payment_event(row: PaymentRow, **extra: Any) -> dict[str, Any]:
    return {
        "payment_id": str(row.id),
        "user_id": str(row.user_id),
        "order_id": str(row.order_id) if row.order_id else None,
        "provider": row.provider,
        "provider_ref": row.provider_ref,
        "status": row.status,
        "asset": row.asset,
        "amount_minor": row.amount,
        "received_asset": row.received_asset,
        "received_minor": row.received_amount,
        **extra,
    }
