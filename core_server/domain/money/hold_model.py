"""The hold's states and the moves between them: pending until captured, voided or expired."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from core_server.domain.states import check_edge
from core_server.store.models import HoldRow


class HoldStatus(StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


PENDING = HoldStatus.PENDING
CAPTURED = HoldStatus.CAPTURED
VOIDED = HoldStatus.VOIDED
EXPIRED = HoldStatus.EXPIRED
TRANSITIONS: dict[HoldStatus, frozenset[HoldStatus]] = {
    PENDING: frozenset({CAPTURED, VOIDED, EXPIRED}),
    CAPTURED: frozenset(),
    VOIDED: frozenset(),
    EXPIRED: frozenset(),
}
RELEASED = frozenset({VOIDED, EXPIRED})  # ends that give the reservation back instead of taking it


def move(row: HoldRow, to: HoldStatus, now: dt.datetime) -> None:
    """Change the hold's status along an allowed edge; every edge closes the hold."""
    check_edge("hold", row.id, TRANSITIONS, HoldStatus, row.status, to)
    row.status, row.closed_at = to, now


def mark_captured(row: HoldRow, amount: int, transfer: uuid.UUID, now: dt.datetime) -> None:
    """Close a pending hold as captured by `transfer`, which took `amount` of it."""
    move(row, CAPTURED, now)
    row.captured_amount, row.capture_transfer_id = amount, transfer
