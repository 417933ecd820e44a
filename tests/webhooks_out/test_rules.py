"""The pure rules of outbound webhooks: event-type filters, the retry schedule, the body."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core_server.domain.webhooks.rules import BACKOFF, body_of, matches, next_attempt

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("types", "event_type", "sent"),
    [
        ([], "order.paid", True),
        (["*"], "order.paid", True),
        (["order.paid"], "order.paid", True),
        (["order.*"], "order.paid", True),
        (["order.*"], "orders.paid", False),
        (["order.*"], "order", False),
        (["order.paid"], "order.paid_twice", False),
        (["wallet.*", "user.registered"], "user.registered", True),
    ],
)
def test_event_type_filters(types: list[str], event_type: str, sent: bool) -> None:
    assert matches(types, event_type) is sent


def test_the_backoff_grows_to_an_hour_and_stops_a_day_after_the_first_attempt() -> None:
    waits = [((next_attempt(n, T0, T0, jitter=0) or T0) - T0).total_seconds() for n in range(1, 9)]
    assert waits == [10, 30, 120, 600, 1800, 3600, 3600, 3600]
    assert max(BACKOFF) == 3600
    late = T0 + dt.timedelta(hours=23, minutes=30)
    assert next_attempt(20, T0, late, jitter=0) is None
    assert next_attempt(20, T0, T0 + dt.timedelta(hours=22), jitter=0) == T0 + dt.timedelta(hours=23)
    jittered = {next_attempt(1, T0, T0) or T0 for _ in range(50)}
    assert len(jittered) > 1
    assert all(T0 + dt.timedelta(seconds=9) <= w <= T0 + dt.timedelta(seconds=11) for w in jittered)


def test_the_body_embeds_the_stored_data_exactly() -> None:
    data = '{"amount_minor":12345678901234567,"note":"caf\\u00e9"}'
    body = body_of(7, "wallet.credited", T0, "tenant-1", data)
    assert body.endswith(b',"data":' + data.encode() + b"}")
    assert json.loads(body) == {
        "id": "7",
        "type": "wallet.credited",
        "created_at": "2026-01-01T00:00:00Z",
        "tenant_id": "tenant-1",
        "data": {"amount_minor": 12345678901234567, "note": "café"},
    }
