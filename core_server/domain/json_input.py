"""JSON that callers send (package features, task results): strict, shallow and bounded.

Python's json module accepts NaN and Infinity (which no JSON column or consumer does), numbers
that overflow to infinity, duplicate keys (the last silently wins) and lone surrogates (which no
UTF-8 text can hold), and recurses once per level of nesting (thousands of levels end in a
RecursionError). Every JSON input goes through `json_object`, which refuses all of these as a
field violation before anything is parsed deeply or stored.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from core_server.domain.errors import InvalidArgument, Violation

MAX_DEPTH = 20
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class _Rejected(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _Rejected(f"must be strict JSON ({name} is not a JSON number)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Rejected(f"must be strict JSON ({text} is out of range)")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Rejected("must not repeat a key within an object")
    return result


def depth(text: str) -> int:
    """How deeply the brackets of a JSON text nest (those inside strings do not count)."""
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        level += 1 if bracket in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def parse(text: str, *, max_chars: int, max_depth: int = MAX_DEPTH) -> Any:
    """The value of a strict JSON text; ValueError says what is wrong (for a field violation)."""
    if len(text) > max_chars:
        raise ValueError(f"must be at most {max_chars} characters")
    if depth(text) > max_depth:
        raise ValueError(f"must nest at most {max_depth} levels deep")
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite, object_pairs_hook=_object)
    except _Rejected as rejected:
        raise ValueError(str(rejected)) from None
    except ValueError:  # JSONDecodeError, or an integer of more digits than Python converts
        raise ValueError("must be valid JSON") from None
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 (no lone surrogate escapes)") from None
    return value


def object_or_error(text: str, *, max_chars: int) -> dict[str, Any] | str:
    """The JSON object of a text, or the description of what is wrong with it."""
    try:
        value = parse(text, max_chars=max_chars)
    except ValueError as error:
        return str(error)
    return value if isinstance(value, dict) else "must be a JSON object"


def json_object(field: str, text: str, *, max_chars: int) -> dict[str, Any]:
    """The JSON object of a request field, or INVALID_ARGUMENT naming the field."""
    value = object_or_error(text, max_chars=max_chars)
    if isinstance(value, str):
        raise InvalidArgument([Violation(field, value)])
    return value
