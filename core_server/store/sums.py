"""Exact sums of BIGINT amounts over any number of rows, on both backends.

A bound per amount (domain/money/amounts.py) cannot bound a sum of arbitrarily many amounts (the
credits of an account over its life, a year of revenue). PostgreSQL's SUM over bigint returns
numeric and is exact; SQLite's SUM raises "integer overflow" past 2**63. On SQLite a sum is
therefore taken in two parts, of the quotients and of the remainders by 2**32 (SQLite's `/`
truncates and `%` keeps the dividend's sign, so value = quotient * 2**32 + remainder exactly);
neither part can overflow before 2**31 rows, and Python adds them up exactly.

`sum_parts` + `combine` give the exact integer. `sum_expression` is one SQL expression for
ordering in SQL (exact while the sum stays clear of the int64 limits; SQLite turns an overflowing
product into a REAL, so it never raises). `to_int64` saturates a figure that must travel in an int64 field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, SQLColumnExpression, func
from sqlalchemy.sql.elements import ColumnElement

SPLIT = 2**32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def sum_parts(dialect: str, value: SQLColumnExpression[Any]) -> list[ColumnElement[Any]]:
    """The aggregate columns whose `combine` is SUM(value), exactly (NULL parts when no rows)."""
    if dialect == "postgresql":
        return [func.sum(value)]
    return [
        func.sum(value.op("/", precedence=8, return_type=BigInteger)(SPLIT)),
        func.sum(value.op("%", precedence=8, return_type=BigInteger)(SPLIT)),
    ]


def combine(parts: Sequence[Any]) -> int:
    """SUM as an exact int from the values of sum_parts' columns (0 when there were no rows)."""
    if len(parts) == 1:
        return int(parts[0] or 0)
    high, low = parts
    return int(high or 0) * SPLIT + int(low or 0)


def sum_expression(dialect: str, value: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """SUM(value) as one expression that never raises; exact unless the sum nears the int64 limits."""
    if dialect == "postgresql":
        return func.sum(value)
    high, low = sum_parts(dialect, value)
    return high * SPLIT + low


def to_int64(value: int) -> int:
    """A figure for an int64 field: saturated at the ends of the range rather than failing."""
    return max(INT64_MIN, min(INT64_MAX, int(value)))
