"""Checking the hub's outbound webhooks on the receiving side.

    event = verify_webhook(secret, request.headers, await request.get_data())

The hub signs each POST with `BillingHub-Signature: t=<unix>,v1=<hex>`, where hex is
HMAC-SHA256(secret, f"{t}.{raw body}"); while a rotated secret is in its grace period the header
carries a second v1 (one per secret), so a receiver holding either secret accepts it. Verify the raw
bytes as received, before anything parses them, and deduplicate by the event's "id": delivery is
at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "BillingHub-Signature"
DEFAULT_TOLERANCE = 300


class WebhookSignatureError(Exception):
    """The request is not a webhook the hub signed with this secret within the tolerance (missing
    or malformed header, no matching signature, a stale timestamp, a body that is not an event)."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookSignatureError("malformed signature header")
        if key == "t":
            if not value.isascii() or not value.isdigit():
                raise WebhookSignatureError("malformed signature timestamp")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookSignatureError("the signature header has no timestamp or no v1 signature")
    return timestamp, signatures


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """The event the body holds, once its signature checks out; raises WebhookSignatureError
    otherwise. Any v1 signature made with `secret` is accepted (compared in constant time); the
    timestamp must be within `tolerance` seconds of `now` (the current time when not given)."""
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("the signature timestamp is outside the tolerance")
    signed = str(timestamp).encode() + b"." + raw_body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    matched = False
    for candidate in signatures:  # every one is compared: the time taken says nothing of which matched
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise WebhookSignatureError("no signature matches the secret")
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise WebhookSignatureError("the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookSignatureError("the body is not an event object")
    return event
