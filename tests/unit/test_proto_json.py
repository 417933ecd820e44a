"""The REST shape of proto messages (http_gateway/api/v1/proto_json.py): what a website reads and
sends must survive the trip exactly, int64 amounts above all."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from http_gateway.api.v1.proto_json import (
    INT64_MAX,
    INT64_MIN,
    QUERY_MAX_STRING,
    JsonInputError,
    from_json,
    request_model,
    response_model,
    to_json,
)
from sdk.billinghub.v1 import common_pb2, package_pb2, user_pb2, user_service_pb2, wallet_service_pb2

int64s = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
texts = st.text(max_size=40)


def test_int64_is_a_string_enums_are_short_and_unset_things_are_null() -> None:
    package = package_pb2.Package(
        id="p1", kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, title={"en": "Pack"}, min_quantity=2**62,
        price=common_pb2.Money(asset="RUB", amount_minor=19_900),
    )  # fmt: skip
    shown = to_json(package)
    assert shown["kind"] == "token_pack"
    assert shown["min_quantity"] == str(2**62)
    assert shown["price"] == {"asset": "RUB", "amount_minor": "19900"}
    assert shown["delivers"] is None
    assert shown["title"] == {"en": "Pack"}
    assert set(shown) == set(response_model(package_pb2.Package.DESCRIPTOR).model_fields)
    response_model(package_pb2.Package.DESCRIPTOR).model_validate(shown)
    assert to_json(user_pb2.User())["platform"] is None  # the zero enum value is "not set"


def test_timestamps_are_rfc3339_in_utc() -> None:
    user = user_pb2.User(id="u")
    user.create_time.FromDatetime(dt.datetime(2026, 11, 27, 12, 30, 5, 250000, tzinfo=dt.UTC))
    shown = to_json(user)
    assert shown["create_time"] == "2026-11-27T12:30:05.250000Z"
    assert shown["update_time"] is None


@given(amount=int64s, asset=texts, reason=texts, user_id=texts)
def test_a_request_survives_json_and_back(amount: int, asset: str, reason: str, user_id: str) -> None:
    request = wallet_service_pb2.AdjustBalanceRequest(
        user_id=user_id, amount=common_pb2.Money(asset=asset, amount_minor=amount), reason=reason,
        direction=wallet_service_pb2.TRANSFER_DIRECTION_CREDIT,
    )  # fmt: skip
    model = request_model(wallet_service_pb2.AdjustBalanceRequest.DESCRIPTOR)
    data = model.model_validate(to_json(request)).model_dump(exclude_none=True)
    assert from_json(data, wallet_service_pb2.AdjustBalanceRequest()) == request


def test_input_outside_int64_or_the_schema_is_refused() -> None:
    model = request_model(wallet_service_pb2.AdjustBalanceRequest.DESCRIPTOR)
    with pytest.raises(JsonInputError) as caught:
        from_json({"amount": {"asset": "RUB", "amount_minor": str(2**63)}}, wallet_service_pb2.AdjustBalanceRequest())
    assert caught.value.field == "amount.amount_minor"
    for bad in (
        {"amount": {"asset": "RUB", "amount_minor": 5}},  # a number, not a string
        {"amount": {"asset": "RUB", "amount_minor": "1.5"}},
        {"direction": "sideways"},
        {"request_id": "set by the Idempotency-Key header only"},
        {"user_id": "x" * 5000},
    ):
        with pytest.raises(ValidationError):
            model.model_validate(bad)


def test_a_body_takes_booleans_and_numbers_as_json_types_a_query_as_text() -> None:
    body = request_model(user_service_pb2.UpdateUserRequest.DESCRIPTOR)
    for bad in ({"blocked": 0}, {"blocked": "true"}):  # found by schemathesis: 0 was taken as false
        with pytest.raises(ValidationError):
            body.model_validate(bad)
    assert body.model_validate({"blocked": False}).model_dump(exclude_none=True) == {"blocked": False}
    listing = request_model(user_service_pb2.ListUsersRequest.DESCRIPTOR)
    with pytest.raises(ValidationError):
        listing.model_validate({"page_size": "7"})
    query = request_model(user_service_pb2.ListUsersRequest.DESCRIPTOR, max_string=QUERY_MAX_STRING)
    assert query.model_validate({"page_size": "7"}).model_dump(exclude_none=True) == {"page_size": 7}
