"""PHP's JSON, byte for byte: `json_decode($text, true)` and `json_encode($data, JSON_UNESCAPED_UNICODE)`.

Cryptomus and Heleket sign a webhook by PHP-encoding the payload without its `sign` field, so the
only way to check one is to decode the delivery the way PHP does and encode it again the way PHP
does. Python's `json` differs in every place that matters:

- PHP escapes `/` as `\\/`; with JSON_UNESCAPED_UNICODE other characters go out as raw UTF-8,
  except U+2028 and U+2029 (still `\\u2028`, `\\u2029`) and the controls below U+0020 (`\\b \\f \\n
  \\r \\t`, else `\\u00XX` in lower-case hex). DEL (U+007F) goes out raw.
- `json_decode(..., true)` turns objects into PHP arrays, and an array whose keys are exactly
  0, 1, ..., n-1 in order encodes as a JSON list: `{}` comes back as `[]`, `{"0":"a","1":"b"}` as
  `["a","b"]`. A key that repeats keeps its first place and its last value.
- Integers stay integers inside the int64 range (`-0` becomes `0`); beyond it they become doubles.
  A double encodes as the shortest text that reads back as the same double
  (serialize_precision = -1), in PHP's own layout: `1.0` -> `1`, `2.50` -> `2.5`, `-0.0` -> `-0`,
  `1e25` -> `1.0e+25`, `0.00001` -> `1.0e-5`, `1e16` -> `10000000000000000` (exponent form below
  1e-4 and from 1e17 up). Text such as `0.10` is therefore NOT kept: PHP re-encodes the double.

Decoded doubles are `PhpDouble`s: a float for the encoder that also keeps the literal it was read
from, so a money amount sent as a JSON number can still be read exactly (never through the float).

Checked against PHP 8.2's own output (see tests/providers/test_php_json.py); the layout of doubles
follows `php_gcvt` in main/snprintf.c, the escaping `php_json_escape_string` in ext/json.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ESCAPED = re.compile('["\\\\/\x00-\x1f\u2028\u2029]')
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# php_gcvt with serialize_precision -1 asks zend_dtoa for up to 17 digits and switches to the
# exponent form when the decimal point sits more than 3 places left of the first digit or more
# than 17 places right of it.
_PHP_NDIGIT = 17


class PhpDouble(float):
    """A JSON number PHP holds as a double; `source` is the literal as it was delivered."""

    source: str

    def __new__(cls, source: str) -> PhpDouble:
        value = super().__new__(cls, source)
        value.source = source
        return value


def loads(text: str | bytes) -> Any:
    """Decode as `json_decode($text, true)` does; ValueError where PHP would fail (invalid UTF-8,
    a BOM, NaN/Infinity literals, an unpaired UTF-16 surrogate)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        value = json.loads(
            text,
            object_pairs_hook=dict,  # a repeated key keeps its first place and takes the last value
            parse_int=_integer,
            parse_float=PhpDouble,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    _check_strings(value)
    return value


def dumps(value: Any) -> str:
    """Encode as `json_encode($value, JSON_UNESCAPED_UNICODE)` does. ValueError for what PHP refuses
    (a non-finite double, a string that is not valid Unicode) or cannot hold (an int beyond int64)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def _integer(literal: str) -> int | PhpDouble:
    number = int(literal)
    return number if _INT64_MIN <= number <= _INT64_MAX else PhpDouble(literal)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        _utf8(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _utf8(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("string is not valid Unicode (unpaired surrogate)") from None


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, float):  # before int: PhpDouble is a float
        out.append(_double(value))
    elif isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError("integer out of PHP's int64 range")
        out.append(str(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        _sequence(value, out)
    elif isinstance(value, Mapping):
        if _is_list(list(value)):
            _sequence(list(value.values()), out)
        else:
            _object(value, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as PHP JSON")


def _sequence(items: list[Any] | tuple[Any, ...], out: list[str]) -> None:
    out.append("[")
    for index, item in enumerate(items):
        if index:
            out.append(",")
        _encode(item, out)
    out.append("]")


def _object(value: Mapping[Any, Any], out: list[str]) -> None:
    out.append("{")
    for index, (key, item) in enumerate(value.items()):
        if index:
            out.append(",")
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise TypeError("object keys must be strings or integers")
        out.append(_string(str(key)))
        out.append(":")
        _encode(item, out)
    out.append("}")


def _is_list(keys: list[Any]) -> bool:
    """PHP's zend_array_is_list: keys 0..n-1 in order. A decimal key string is the integer key
    only in its canonical spelling ("1", not "01" or "+1"), which is exactly `str(index)`."""
    return all(
        (key == str(index)) if isinstance(key, str) else (key == index and not isinstance(key, bool))
        for index, key in enumerate(keys)
    )


def _string(text: str) -> str:
    _utf8(text)
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _double(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("PHP cannot encode INF or NAN")
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    # repr is the shortest round-trip text (David Gay's dtoa, mode 0), as zend_dtoa gives PHP.
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + exponent  # where the decimal point falls, counted from the first digit
    if point < -3 or point > _PHP_NDIGIT:
        power = point - 1
        mantissa = digits[0] + "." + (digits[1:] or "0")
        return f"{sign}{mantissa}e{'-' if power < 0 else '+'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    whole, fraction = digits[:point].ljust(point, "0"), digits[point:]
    return f"{sign}{whole}.{fraction}" if fraction else sign + whole
