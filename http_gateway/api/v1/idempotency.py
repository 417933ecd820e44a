"""`Idempotency-Key` -> the core's `request_id`: a retried POST/PUT/PATCH replays its first answer.

The core keeps (tenant, method, request_id) with a hash of the request and the first response, so
the gateway needs no store of its own: it names the key and the core decides. A write sent without
the header gets a fresh random id: it is applied once, but a retry of it is a new request.
"""

from __future__ import annotations

import re
import uuid

from pydantic import BaseModel, Field
from quart import request

from http_gateway.errors import RequestInvalid

HEADER = "Idempotency-Key"
MAX_LENGTH = 128  # the core's bound on request ids
_ALLOWED = re.compile(r"[\x20-\x7e]+")


class IdempotencyHeaders(BaseModel):
    """The header as the OpenAPI document shows it."""

    idempotency_key: str | None = Field(
        default=None,
        max_length=MAX_LENGTH,
        description="Repeat a write safely: the same key with the same body answers the first response; "
        "with another body, 409 IDEMPOTENCY_KEY_REUSED. Kept at least 24 hours.",
    )


def request_id() -> str:
    """The request's idempotency key, or a fresh id when it sent none."""
    given = request.headers.get(HEADER)
    if given is None:
        return uuid.uuid4().hex
    if len(given) > MAX_LENGTH or not _ALLOWED.fullmatch(given):
        raise RequestInvalid([(HEADER, f"must be 1 to {MAX_LENGTH} printable ASCII characters")])
    return given
