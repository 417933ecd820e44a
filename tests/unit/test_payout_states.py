"""The payout request's state machine, pair by pair: a pending request is paid or rejected once,
and a decided request never moves again."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from core_server.domain.referrals.payout_model import TRANSITIONS, PayoutStatus, decidable, move
from core_server.domain.states import IllegalTransition
from core_server.store.models import PayoutRow

S = PayoutStatus
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
EDGES = {(S.PENDING, S.PAID), (S.PENDING, S.REJECTED)}


def _row(status: PayoutStatus) -> PayoutRow:
    return PayoutRow(id=uuid.uuid4(), status=status, decided_at=None)


@pytest.mark.parametrize(("start", "end"), list(itertools.product(S, S)))
def test_every_pair_of_states(start: PayoutStatus, end: PayoutStatus) -> None:
    row = _row(start)
    if (start, end) in EDGES:
        move(row, end, NOW)
        assert (row.status, row.decided_at) == (end, NOW)
    else:
        with pytest.raises(IllegalTransition):
            move(row, end, NOW)
        assert (row.status, row.decided_at) == (start, None)


def test_the_table_is_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EDGES
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize("status", list(S))
def test_only_a_pending_request_waits_for_a_decision(status: PayoutStatus) -> None:
    assert decidable(_row(status)) is (status is S.PENDING)
