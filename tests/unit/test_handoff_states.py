"""The hand-off of a task to a provider, pair by pair: an order is sent from `none` only, and once
sent (`sending`, `checking`, `unknown`) the only way back to `none` is the task's outcome; the
status checks back off from 30 s to an hour."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from core_server.domain.fulfillment import handoff
from core_server.domain.fulfillment.handoff_model import HELD, Handoff, check_interval, move, settle
from core_server.domain.fulfillment.tasks import TaskStatus
from core_server.domain.states import IllegalTransition
from core_server.store.models import TaskRow

H = Handoff
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
EDGES = {
    (H.NONE, H.SENDING),
    (H.SENDING, H.NONE),
    (H.SENDING, H.CHECKING),
    (H.SENDING, H.UNKNOWN),
    (H.CHECKING, H.CHECKING),
    (H.CHECKING, H.NONE),
    (H.UNKNOWN, H.NONE),
}


def _row(state: Handoff, **fields: object) -> TaskRow:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "handoff": state,
        "checks": 3,
        "status": TaskStatus.LEASED,
        "attempts": 2,
        "lease_expires_at": NOW + dt.timedelta(seconds=60),
        "next_attempt_at": NOW,
        "updated_at": NOW - dt.timedelta(days=1),
    }
    return TaskRow(**(values | fields))


@pytest.mark.parametrize(("start", "end"), list(itertools.product(H, H)))
def test_every_pair_of_states(start: Handoff, end: Handoff) -> None:
    row = _row(start)
    if (start, end) in EDGES:
        move(row, end, NOW)
        assert (row.handoff, row.updated_at) == (end, NOW)
        assert row.checks == (0 if end is H.NONE else 3)
    else:
        with pytest.raises(IllegalTransition):
            move(row, end, NOW)
        assert row.handoff == start


@pytest.mark.parametrize("start", list(H))
def test_an_outcome_ends_any_handoff(start: Handoff) -> None:
    row = _row(start)
    settle(row, NOW)
    assert row.handoff == H.NONE


def test_a_held_task_belongs_to_its_attempt_whatever_its_lease() -> None:
    for state in HELD:
        assert handoff.owns(_row(state, lease_expires_at=None), 2, NOW)
        assert not handoff.owns(_row(state, lease_expires_at=None), 3, NOW)  # an admin requeued it
        assert not handoff.owns(_row(state, status=TaskStatus.FAILED), 2, NOW)  # a refund ended it
    assert handoff.owns(_row(H.NONE), 2, NOW)
    assert not handoff.owns(_row(H.NONE, lease_expires_at=NOW), 2, NOW)  # its lease ran out


def test_a_check_is_taken_once_when_due() -> None:
    row = _row(H.CHECKING, lease_expires_at=None)
    assert handoff.take_check(row, NOW)
    assert (row.checks, row.next_attempt_at) == (4, NOW + check_interval(4))
    assert not handoff.take_check(row, NOW)  # the next one is not due yet
    assert not handoff.take_check(_row(H.SENDING), NOW)


def test_checks_back_off_to_an_hour() -> None:
    assert [check_interval(n).total_seconds() for n in range(9)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
