"""The payment's state machine, pair by pair: every edge it has is allowed, every other is refused,
money arrives once (paid_at is stamped when it first does, not when a refused refund brings the
payment back), and a refused refund returns the payment to the status its credit gave it."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from core_server.domain.payments.model import (
    CREDITED,
    RECEIVED,
    TRANSITIONS,
    PaymentStatus,
    credited_status,
    move,
)
from core_server.domain.states import IllegalTransition
from core_server.store.models import PaymentRow

S = PaymentStatus
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
EARLIER = NOW - dt.timedelta(days=1)
EDGES = {
    (S.PENDING, S.SUCCEEDED),
    (S.PENDING, S.UNDERPAID),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.EXPIRED),
    (S.FAILED, S.SUCCEEDED),
    (S.FAILED, S.UNDERPAID),
    (S.EXPIRED, S.SUCCEEDED),
    (S.EXPIRED, S.UNDERPAID),
    (S.SUCCEEDED, S.REFUNDING),
    (S.UNDERPAID, S.REFUNDING),
    (S.REFUNDING, S.REFUNDED),
    (S.REFUNDING, S.SUCCEEDED),
    (S.REFUNDING, S.UNDERPAID),
}


def _row(status: PaymentStatus, **fields: object) -> PaymentRow:
    paid_at = EARLIER if status in RECEIVED else None
    base: dict[str, object] = {"asset": "XTR", "amount": 100, "received_asset": "XTR", "received_amount": 100}
    return PaymentRow(id=uuid.uuid4(), status=status, updated_at=EARLIER, paid_at=paid_at, **{**base, **fields})


@pytest.mark.parametrize(("start", "end"), list(itertools.product(S, S)))
def test_every_pair_of_states(start: PaymentStatus, end: PaymentStatus) -> None:
    row = _row(start)
    if (start, end) in EDGES:
        move(row, end, NOW)
        assert (row.status, row.updated_at) == (end, NOW)
        assert row.paid_at == (EARLIER if start in RECEIVED else NOW if end in RECEIVED else None)
    else:
        with pytest.raises(IllegalTransition):
            move(row, end, NOW)
        assert (row.status, row.updated_at) == (start, EARLIER)


def test_the_table_is_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EDGES
    assert set(TRANSITIONS) == set(S)


def test_what_each_set_means() -> None:
    assert {s for s in S if S.REFUNDING in TRANSITIONS[s]} == CREDITED  # only credited money is refunded
    assert {s for s in S if TRANSITIONS[s] & CREDITED and s not in RECEIVED} == {S.PENDING, S.FAILED, S.EXPIRED}
    assert all(TRANSITIONS[s] <= RECEIVED for s in RECEIVED)  # money that arrived never "un-arrives"
    assert TRANSITIONS[S.REFUNDED] == frozenset()


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (("XTR", 100), S.SUCCEEDED),
        (("XTR", 150), S.SUCCEEDED),  # overpaid: the surplus stayed in the wallet
        (("XTR", 99), S.UNDERPAID),
        (("TOKEN", 100), S.UNDERPAID),  # another asset
    ],
)
def test_a_refused_refund_returns_the_payment_to_what_its_credit_made_it(
    received: tuple[str, int], expected: PaymentStatus
) -> None:
    row = _row(S.REFUNDING, received_asset=received[0], received_amount=received[1])
    assert credited_status(row) is expected
    move(row, credited_status(row), NOW)
    assert (row.status, row.paid_at) == (expected, EARLIER)
