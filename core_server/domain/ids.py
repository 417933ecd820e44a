"""Parsing of ids that arrive as strings in requests."""

from __future__ import annotations

import uuid

from core_server.domain.errors import InvalidArgument, Violation


def parse_id(field: str, value: str, *, required: bool = True) -> uuid.UUID | None:
    """A UUID from a request field; INVALID_ARGUMENT (naming the field) when malformed or missing."""
    if not value:
        if required:
            raise InvalidArgument([Violation(field, "is required")])
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument([Violation(field, "is not a valid id")]) from None


def require_id(field: str, value: str) -> uuid.UUID:
    """Like parse_id for a required field, typed as never None."""
    parsed = parse_id(field, value)
    assert parsed is not None
    return parsed
