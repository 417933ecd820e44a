"""sdk.verify_webhook as a receiver uses it: the hub's signature scheme, checked in constant time,
with a tolerance on the timestamp and one exception class for every refusal."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from core_server.domain.webhooks.rules import sign
from sdk import WebhookSignatureError, verify_webhook

SECRET = "whsec_current"
OLD = "whsec_previous"
BODY = json.dumps({"id": "42", "type": "order.paid", "data": {"order_id": "o1"}}).encode()
NOW = 1_800_000_000


def _headers(value: str) -> dict[str, str]:
    return {"billinghub-signature": value, "Content-Type": "application/json"}


def test_a_good_signature_returns_the_event() -> None:
    header = sign([SECRET], NOW, BODY)
    assert header == f"t={NOW},v1=" + hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert verify_webhook(SECRET, _headers(header), BODY, now=NOW + 10) == json.loads(BODY)


def test_either_of_two_v1_values_verifies() -> None:
    header = sign([SECRET, OLD], NOW, BODY)
    assert verify_webhook(SECRET, _headers(header), BODY, now=NOW)["id"] == "42"
    assert verify_webhook(OLD, _headers(header), BODY, now=NOW)["id"] == "42"
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify_webhook("whsec_other", _headers(header), BODY, now=NOW)


@pytest.mark.parametrize(
    ("body", "secret"),
    [(BODY + b" ", SECRET), (BODY.replace(b"42", b"43"), SECRET), (BODY, "whsec_wrong")],
)
def test_a_changed_body_or_another_secret_is_refused(body: bytes, secret: str) -> None:
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify_webhook(secret, _headers(sign([SECRET], NOW, BODY)), body, now=NOW)


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_a_timestamp_outside_the_tolerance_is_refused(skew: int) -> None:
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_webhook(SECRET, _headers(sign([SECRET], NOW, BODY)), BODY, now=NOW + skew)
    assert verify_webhook(SECRET, _headers(sign([SECRET], NOW, BODY)), BODY, tolerance=abs(skew), now=NOW + skew)


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=abc,v1=00", f"t={NOW}", "v1=00", f"t={NOW},v1", f"t=-{NOW},v1=00", "t=１２,v1=00"],
)
def test_a_malformed_or_missing_header_is_refused(header: str) -> None:
    headers = _headers(header) if header else {}
    with pytest.raises(WebhookSignatureError):
        verify_webhook(SECRET, headers, BODY, now=NOW)


def test_a_signed_body_that_is_not_an_event_object_is_refused() -> None:
    for body in (b"not json", b"[1, 2]"):
        with pytest.raises(WebhookSignatureError, match="not"):
            verify_webhook(SECRET, _headers(sign([SECRET], NOW, body)), body, now=NOW)
