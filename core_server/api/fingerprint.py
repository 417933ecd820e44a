"""The idempotency key of a request: its request_id and a hash of everything else in it."""

from __future__ import annotations

import hashlib

from google.protobuf.message import Message

from core_server.domain.idempotency import IdempotencyKey


def idempotency_key(method: str, request: Message) -> IdempotencyKey | None:
    """None for requests without a request_id field or with it empty (no deduplication)."""
    if "request_id" not in request.DESCRIPTOR.fields_by_name:
        return None
    request_id = str(getattr(request, "request_id"))  # noqa: B009  # generated field, typed by the stubs only
    if not request_id:
        return None
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")
    digest = hashlib.sha256(copy.SerializeToString(deterministic=True)).digest()
    return IdempotencyKey(method=method, request_id=request_id, request_hash=digest)
