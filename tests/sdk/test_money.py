"""The SDK's human amount helpers: exact both ways, never through float."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdk.money import format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "scale", "asset", "minor", "code"),
    [
        ("1.80 RUB", 2, "", 180, "RUB"),
        ("1,8 rub", 2, "", 180, "RUB"),
        ("0.1", 2, "USD", 10, "USD"),
        ("1000000 XTR", 0, "", 1_000_000, "XTR"),
        ("0.00000001 BTC", 8, "", 1, "BTC"),
        ("-2.5", 6, "USDT", -2_500_000, "USDT"),
    ],
)
def test_parse(text: str, scale: int, asset: str, minor: int, code: str) -> None:
    money = parse_amount(text, scale, asset)
    assert (money.amount_minor, money.asset) == (minor, code)


@pytest.mark.parametrize(
    ("text", "scale", "asset"),
    [
        ("1.805 RUB", 2, ""),
        ("abc", 2, "RUB"),
        ("1.5", 0, "XTR"),
        ("1 USD", 2, "RUB"),
        ("12", 2, ""),
        ("1e3 RUB", 2, ""),
    ],
)
def test_parse_refuses_what_it_cannot_represent_exactly(text: str, scale: int, asset: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, scale, asset)


def test_format() -> None:
    assert format_amount(180, 2, "RUB") == "1.80 RUB"
    assert format_amount(-5, 0, "XTR") == "-5 XTR"
    assert format_amount(1, 8, "BTC") == "0.00000001 BTC"
    assert format_amount(249900, 2) == "2499.00"


@given(st.integers(min_value=-(10**17), max_value=10**17), st.integers(min_value=0, max_value=18))
def test_round_trip_is_exact(minor: int, scale: int) -> None:
    assert parse_amount(format_amount(minor, scale, "TOKEN"), scale).amount_minor == minor
