"""PHP's json_decode(..., true) + json_encode(..., JSON_UNESCAPED_UNICODE), reproduced byte for byte.

The expected outputs below are what PHP 8.2 (serialize_precision = -1, the default) prints for
`json_encode(json_decode($in, true), JSON_UNESCAPED_UNICODE)`; each line agrees with PHP's manual
(JSON_PRESERVE_ZERO_FRACTION is what keeps `12.0`, so without it `12.0` is `12`; `/` is escaped
unless JSON_UNESCAPED_SLASHES; JSON_UNESCAPED_LINE_TERMINATORS is what leaves U+2028/U+2029 raw).
When a `php` binary is on the PATH, one more test compares with it directly on generated input.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.providers import _php_json

PHP_OUTPUTS = [
    # doubles: shortest round-trip digits, PHP's layout, no ".0" kept
    ("1.0", "1"),
    ("12.0", "12"),
    ("100.0", "100"),
    ("2.50", "2.5"),
    ("0.1", "0.1"),
    ("0.30000000000000004", "0.30000000000000004"),
    ("123456789.123456789", "123456789.12345679"),
    ("1E2", "100"),
    ("-0.0", "-0"),
    ("0.0001", "0.0001"),
    ("0.00012", "0.00012"),
    ("0.00001", "1.0e-5"),
    ("-1.5e-7", "-1.5e-7"),
    ("1e16", "10000000000000000"),
    ("1e17", "1.0e+17"),
    ("1e25", "1.0e+25"),
    ("1.5e300", "1.5e+300"),
    ("5e-324", "5.0e-324"),
    ("1.7976931348623157e308", "1.7976931348623157e+308"),
    # integers: int64 kept, beyond it a double
    ("-0", "0"),
    ("123456789012345678", "123456789012345678"),
    ("9223372036854775807", "9223372036854775807"),
    ("-9223372036854775808", "-9223372036854775808"),
    ("9223372036854775808", "9.223372036854776e+18"),
    ("-9223372036854775809", "-9.223372036854776e+18"),
    # arrays: objects become PHP arrays; 0..n-1 keys in order make a list
    ("{}", "[]"),
    ("[]", "[]"),
    ('{"a":{},"b":[]}', '{"a":[],"b":[]}'),
    ('{"0":{}}', "[[]]"),
    ("[{}]", "[[]]"),
    ('{"0":"a","1":"b"}', '["a","b"]'),
    ('{"1":"a"}', '{"1":"a"}'),
    ('{"0":"a","2":"b"}', '{"0":"a","2":"b"}'),
    ('{"1":"b","0":"a"}', '{"1":"b","0":"a"}'),
    ('{"-0":1,"-1":2,"01":3}', '{"-0":1,"-1":2,"01":3}'),
    ('{"9223372036854775808":1}', '{"9223372036854775808":1}'),
    ('{"a":1,"a":2,"b":3}', '{"a":2,"b":3}'),
    ('{"0":"a","0":"b"}', '["b"]'),
    ('{"":1}', '{"":1}'),
    ('{"x":null,"t":true,"f":false}', '{"x":null,"t":true,"f":false}'),
    # strings
    ('"a/b"', '"a\\/b"'),
    ('{"a/b":"c"}', '{"a\\/b":"c"}'),
    ('"\\u2028\\u2029"', '"\\u2028\\u2029"'),
    ('"\\u00e9\\u0001\\u001f\\u007f\\b\\f\\n\\r\\t\\"\\\\"', '"é\\u0001\\u001f\x7f\\b\\f\\n\\r\\t\\"\\\\"'),
    ('"\\u0000"', '"\\u0000"'),
    ('"\\ud83d\\ude00"', '"😀"'),
    ('"\\u0422\\u0435\\u0441\\u0442"', '"Тест"'),
]


@pytest.mark.parametrize(("delivered", "php_encodes"), PHP_OUTPUTS)
def test_reencoding_matches_php(delivered: str, php_encodes: str) -> None:
    assert _php_json.dumps(_php_json.loads(delivered)) == php_encodes


def test_a_request_body_is_written_as_php_writes_it() -> None:
    body = {"amount": "10.28", "url_callback": "https://hub.example/w/1", "additional_data": "Подписка 30 дней"}
    assert _php_json.dumps(body) == (
        '{"amount":"10.28","url_callback":"https:\\/\\/hub.example\\/w\\/1","additional_data":"Подписка 30 дней"}'
    )


def test_a_number_keeps_the_literal_it_was_delivered_as() -> None:
    value = _php_json.loads('{"amount": 10.10}')["amount"]
    assert isinstance(value, _php_json.PhpDouble)
    assert value.source == "10.10"
    assert _php_json.dumps(value) == "10.1"


@pytest.mark.parametrize(
    "text",
    [b"NaN", b"[Infinity]", b'"\xff"', b'\xef\xbb\xbf{"a":1}', b'"\\ud800"', b'{"a":1} x', b"{'a':1}", b""],
)
def test_what_php_cannot_decode_is_refused(text: bytes) -> None:
    with pytest.raises(ValueError):
        _php_json.loads(text)


@pytest.mark.parametrize("value", [math.inf, -math.nan, 2**63, "\ud800", {"a": object()}, {1.5: "x"}])
def test_what_php_cannot_encode_is_refused(value: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        _php_json.dumps(value)


def _oracle(value: Any) -> str:
    """PHP's output for values where Python agrees but for `/` and the line terminators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("/", "\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_TEXT = st.text(st.characters(exclude_categories=("Cs",)))
_KEYS = _TEXT.filter(lambda key: not key.isdigit())  # numeric keys would make PHP lists
_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, min_size=1, max_size=4),
    max_leaves=12,
)


@given(_VALUES)
def test_strings_integers_and_containers_encode_like_php(value: Any) -> None:
    assert _php_json.dumps(value) == _oracle(value)
    assert _php_json.loads(_php_json.dumps(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_double_is_written_so_it_reads_back_the_same(number: float) -> None:
    text = _php_json.dumps(number)
    assert float(text) == number and math.copysign(1, float(text)) == math.copysign(1, number)
    if number != 0:  # "-0" reads back as the integer 0, as it does in PHP
        assert _php_json.dumps(_php_json.loads(text)) == text


@pytest.mark.skipif(shutil.which("php") is None, reason="no php binary to compare with")
@settings(max_examples=50, deadline=None)
@given(st.lists(_VALUES | st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_agrees_with_php_itself(values: list[Any]) -> None:
    delivered = [json.dumps(value, ensure_ascii=index % 2 == 0) for index, value in enumerate(values)]
    script = (
        "$out = [];"
        "foreach (json_decode(stream_get_contents(STDIN), true) as $in) {"
        "  $out[] = json_encode(json_decode($in, true), JSON_UNESCAPED_UNICODE);"
        "}"
        "echo json_encode($out);"
    )
    php = subprocess.run(["php", "-r", script], input=json.dumps(delivered), capture_output=True, text=True, check=True)
    assert [_php_json.dumps(_php_json.loads(text)) for text in delivered] == json.loads(php.stdout)
