"""Every timestamp of a response: the core's conversion gives exactly what protobuf's
Timestamp.FromDatetime gives, for any instant a row or a request can hold."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from core_server.api.convert import timestamp

OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


def reference(value: dt.datetime) -> timestamp_pb2.Timestamp:
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9000, 1, 1), timezones=st.just(dt.UTC))
    | st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9000, 1, 1), timezones=OFFSETS)
    | st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9000, 1, 1))
)
def test_timestamp_is_what_from_datetime_gives(value: dt.datetime) -> None:
    assert timestamp(value) == reference(value)


def test_no_timestamp_is_none() -> None:
    assert timestamp(None) is None
