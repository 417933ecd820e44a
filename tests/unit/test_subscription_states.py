"""The subscription's state machine, pair by pair: every edge it has is allowed, every other is
refused, and the rules that ask it (cancel, running, granting, what readers see) agree with it."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from core_server.domain.states import IllegalTransition
from core_server.domain.subscriptions.plans import (
    GRANTING,
    RENEWAL_LEASE,
    RUNNING,
    TRANSITIONS,
    SubscriptionStatus,
    allowed,
    due_to_end,
    move,
    shown_status,
)
from core_server.store.models import SubscriptionRow

S = SubscriptionStatus
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
EARLIER = NOW - dt.timedelta(days=1)
EDGES = {
    (S.ACTIVE, S.ACTIVE),
    (S.ACTIVE, S.CANCELLED),
    (S.ACTIVE, S.RENEWING),
    (S.ACTIVE, S.EXPIRED),
    (S.CANCELLED, S.ACTIVE),
    (S.CANCELLED, S.EXPIRED),
    (S.RENEWING, S.ACTIVE),
    (S.RENEWING, S.RENEWING),
    (S.RENEWING, S.EXPIRED),
    (S.EXPIRED, S.ACTIVE),
}


def _row(
    status: SubscriptionStatus, *, end_at: dt.datetime = NOW, updated_at: dt.datetime = EARLIER
) -> SubscriptionRow:
    cancel_at = EARLIER if status is S.CANCELLED else None
    return SubscriptionRow(id=uuid.uuid4(), status=status, end_at=end_at, cancel_at=cancel_at, updated_at=updated_at)


@pytest.mark.parametrize(("start", "end"), list(itertools.product(S, S)))
def test_every_pair_of_states(start: SubscriptionStatus, end: SubscriptionStatus) -> None:
    row = _row(start)
    assert allowed(row, end) is ((start, end) in EDGES)
    if (start, end) in EDGES:
        move(row, end, NOW)
        assert (row.status, row.updated_at) == (end, NOW)
    else:
        with pytest.raises(IllegalTransition):
            move(row, end, NOW)
        assert (row.status, row.updated_at) == (start, EARLIER)


def test_the_table_is_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EDGES
    assert set(TRANSITIONS) == set(S)


def test_what_each_rule_allows() -> None:
    assert {s for s in S if S.EXPIRED in TRANSITIONS[s]} == set(RUNNING)  # only a running plan expires
    assert {s for s in S if S.CANCELLED in TRANSITIONS[s]} == {S.ACTIVE}  # only an active plan is cancelled
    assert {s for s in S if S.RENEWING in TRANSITIONS[s]} == {S.ACTIVE, S.RENEWING}  # a cancelled plan never renews
    assert set(GRANTING) == set(RUNNING) - {S.RENEWING}
    assert all(S.ACTIVE in TRANSITIONS[s] for s in S)  # buying the plan again always works


def test_cancelling_stamps_the_time_and_activating_clears_it() -> None:
    row = _row(S.ACTIVE)
    move(row, S.CANCELLED, NOW)
    assert row.cancel_at == NOW
    move(row, S.ACTIVE, NOW + dt.timedelta(seconds=1))
    assert row.cancel_at is None


@pytest.mark.parametrize("status", list(S))
def test_readers_see_a_plan_being_renewed_as_active(status: SubscriptionStatus) -> None:
    assert shown_status(_row(status)) is (S.ACTIVE if status is S.RENEWING else status)


@pytest.mark.parametrize(
    ("status", "end_at", "updated_at", "due"),
    [
        (S.ACTIVE, NOW, EARLIER, True),
        (S.ACTIVE, NOW + dt.timedelta(seconds=1), EARLIER, False),
        (S.CANCELLED, NOW, EARLIER, True),
        (S.RENEWING, EARLIER, NOW - RENEWAL_LEASE, True),  # a claim abandoned: taken over
        (S.RENEWING, EARLIER, NOW - RENEWAL_LEASE + dt.timedelta(seconds=1), False),
        (S.EXPIRED, EARLIER, EARLIER, False),
    ],
)
def test_the_worker_ends_plans_whose_period_is_over_or_whose_claim_was_abandoned(
    status: SubscriptionStatus, end_at: dt.datetime, updated_at: dt.datetime, due: bool
) -> None:
    assert due_to_end(_row(status, end_at=end_at, updated_at=updated_at), NOW) is due
