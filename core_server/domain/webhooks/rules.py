"""The pure rules of outbound webhooks: what an endpoint URL and an event-type filter may be, the
request a delivery sends (body and signature), and when a failed delivery is tried again.

The signature is Stripe's scheme, which receivers know: `BillingHub-Signature: t=<unix>,v1=<hex>`
where hex is HMAC-SHA256(secret, f"{t}.{body}"); a second `v1=` signs with the previous secret
while a rotation's grace period runs, so a receiver can switch secrets without losing an event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import random
import re
import secrets
from collections.abc import Sequence
from enum import StrEnum
from urllib.parse import urlsplit

from core_server.domain.errors import Violations

MAX_URL = 2048
MAX_TYPES = 50
MAX_DESCRIPTION = 500
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every secret, not a secret)
SIGNATURE_HEADER = "BillingHub-Signature"
USER_AGENT = "BillingHub-Webhooks/1"
# an exact type ("order.paid"), a prefix ("order.*") or every type ("*")
_TYPE = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class DeliveryStatus(StrEnum):
    """Where a delivery series stands; due when PENDING or FAILED_RETRYING and its time has come."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED_RETRYING = "failed_retrying"
    DEAD = "dead"


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED_RETRYING)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, field: str, v: Violations, *, allow_loopback_http: bool) -> str:
    """An endpoint URL: https:// with a host, no credentials, at most MAX_URL characters; http://
    only to a loopback host when the core allows it. An address literal must be public (a name is
    checked where the connection opens, providers/webhook_http.py)."""
    text = url.strip()
    if not text:
        v.add(field, "is required")
        return text
    if len(text) > MAX_URL:
        v.add(field, f"must be at most {MAX_URL} characters")
        return text
    if any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        v.add(field, "must not contain white space or control characters")
        return text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # a malformed port raises here
    except ValueError:
        v.add(field, "is not a valid URL")
        return text
    scheme = parts.scheme.lower()
    loopback = _is_loopback(host)
    if scheme != "https" and not (scheme == "http" and allow_loopback_http and loopback):
        only = "https:// (or http:// to a loopback host, as this core allows)" if allow_loopback_http else "https://"
        v.add(field, f"must start with {only}")
        return text
    if not host:
        v.add(field, "must name a host")
    elif parts.username is not None or parts.password is not None:
        v.add(field, "must not contain credentials")
    elif (loopback and not allow_loopback_http) or (not loopback and _is_private_literal(host)):
        v.add(field, "must be a public address")
    return text


def _is_private_literal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global or address.is_multicast


def check_event_types(types: Sequence[str], field: str, v: Violations) -> list[str]:
    """A filter: exact types or prefixes ending in ".*" ("*" alone: every type); empty means all."""
    if len(types) > MAX_TYPES:
        v.add(field, f"at most {MAX_TYPES} types")
    for index, name in enumerate(types):
        if len(name) > 64 or not _TYPE.match(name):
            v.add(f"{field}[{index}]", 'must be an event type such as "order.paid" or a prefix such as "order.*"')
    return list(dict.fromkeys(types))


def matches(types: Sequence[str], event_type: str) -> bool:
    """Whether an endpoint with this filter receives an event of this type."""
    if not types:
        return True
    for pattern in types:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def new_secret() -> str:
    """A signing secret: 32 random bytes as URL-safe text, recognisable by its prefix."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def body_of(event_id: int, event_type: str, created_at: dt.datetime, tenant_id: str, data: str) -> bytes:
    """The event object a delivery POSTs. `data` is the outbox's JSON text, embedded as stored (its
    numbers and strings reach the receiver exactly as ListEvents shows them)."""
    head = json.dumps(
        {"id": str(event_id), "type": event_type, "created_at": rfc3339(created_at), "tenant_id": tenant_id},
        separators=(",", ":"),
    )
    return (head[:-1] + ',"data":' + data + "}").encode()


def sign(signing_secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The signature header's value: t and one v1 per secret (current first)."""
    signed = str(timestamp).encode() + b"." + body
    parts = [f"t={timestamp}"]
    parts += ["v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in signing_secrets]
    return ",".join(parts)


def headers_of(event_id: int, event_type: str, signature: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature,
        "BillingHub-Event-Id": str(event_id),
        "BillingHub-Event-Type": event_type,
    }


# seconds after the n-th failed attempt (the last one repeats), each with up to 10% jitter
BACKOFF = (10, 30, 120, 600, 1800, 3600)
RETRY_WINDOW = dt.timedelta(hours=24)


def next_attempt(
    attempts: int,
    first_attempt: dt.datetime,
    now: dt.datetime,
    *,
    backoff: Sequence[float] = BACKOFF,
    window: dt.timedelta = RETRY_WINDOW,
    jitter: float = 0.1,
) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts, or None when the series is dead: the
    next attempt would fall after `window` from the first one."""
    delay = backoff[min(attempts, len(backoff)) - 1] if attempts > 0 else backoff[0]
    delay *= 1 + random.uniform(-jitter, jitter)
    when = now + dt.timedelta(seconds=delay)
    return None if when > first_attempt + window else when
