"""The hold's state machine, pair by pair: a pending hold may be captured, voided or expired, and
a closed hold never moves again; releasing (void, expiry) never captures."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from core_server.domain.money.hold_model import (
    RELEASED,
    TRANSITIONS,
    HoldStatus,
    mark_captured,
    move,
)
from core_server.domain.states import IllegalTransition
from core_server.store.models import HoldRow

S = HoldStatus
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
EDGES = {(S.PENDING, S.CAPTURED), (S.PENDING, S.VOIDED), (S.PENDING, S.EXPIRED)}


def _row(status: HoldStatus) -> HoldRow:
    return HoldRow(id=uuid.uuid4(), status=status, amount=100, closed_at=None)


@pytest.mark.parametrize(("start", "end"), list(itertools.product(S, S)))
def test_every_pair_of_states(start: HoldStatus, end: HoldStatus) -> None:
    row = _row(start)
    if (start, end) in EDGES:
        move(row, end, NOW)
        assert (row.status, row.closed_at) == (end, NOW)
    else:
        with pytest.raises(IllegalTransition):
            move(row, end, NOW)
        assert (row.status, row.closed_at) == (start, None)


def test_the_table_is_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EDGES
    assert set(TRANSITIONS) == set(S)


def test_releasing_ends_are_the_ends_other_than_capture() -> None:
    assert TRANSITIONS[S.PENDING] - RELEASED == {S.CAPTURED}


def test_capturing_records_what_was_taken_and_by_which_transfer() -> None:
    row, transfer = _row(S.PENDING), uuid.uuid4()
    mark_captured(row, 60, transfer, NOW)
    assert (row.status, row.captured_amount, row.capture_transfer_id, row.closed_at) == (S.CAPTURED, 60, transfer, NOW)


def test_a_closed_hold_is_not_captured() -> None:
    row = _row(S.VOIDED)
    with pytest.raises(IllegalTransition):
        mark_captured(row, 60, uuid.uuid4(), NOW)
    assert (row.status, row.captured_amount) == (S.VOIDED, None)
