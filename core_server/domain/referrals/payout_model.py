"""The payout request's states and the moves between them (decided once, by an admin)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from core_server.domain.states import check_edge
from core_server.store.models import PayoutRow


class PayoutStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REJECTED = "rejected"


STATUSES = tuple(PayoutStatus)
TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    PayoutStatus.PENDING: frozenset({PayoutStatus.PAID, PayoutStatus.REJECTED}),
    PayoutStatus.PAID: frozenset(),
    PayoutStatus.REJECTED: frozenset(),
}


def move(row: PayoutRow, to: PayoutStatus, now: dt.datetime) -> None:
    """Change the request's status along an allowed edge; every edge is a decision, stamped now."""
    check_edge("payout request", row.id, TRANSITIONS, PayoutStatus, row.status, to)
    row.status, row.decided_at = to, now


def decidable(row: PayoutRow) -> bool:
    """Whether the request still waits for an admin's decision."""
    return bool(TRANSITIONS[PayoutStatus(row.status)])


# What counts against a referrer's earnings: requested and not rejected.
OPEN_OR_PAID = (PayoutStatus.PENDING, PayoutStatus.PAID)
