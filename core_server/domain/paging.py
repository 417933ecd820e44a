"""Opaque page tokens (AIP-158): keyset cursors bound to the filters they were issued for.

A token is base64url JSON of the last key seen plus a digest of the list's filters; replaying it
with other filters is INVALID_ARGUMENT rather than a silently wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from core_server.domain.errors import InvalidArgument, Violation
from core_server.store.unit_of_work import UnitOfWork

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A validated page request: how many rows and after which key."""

    size: int
    after: str | None
    filters_digest: str


def _digest(filters: object) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:16]


def page_request(page_size: int, page_token: str, filters: object) -> PageRequest:
    """Validate size and token against the filters of this list call."""
    violations: list[Violation] = []
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        violations.append(Violation("page_size", f"must be between 0 and {MAX_PAGE_SIZE}"))
    digest = _digest(filters)
    after: str | None = None
    if page_token:
        try:
            payload = json.loads(base64.urlsafe_b64decode(page_token.encode() + b"=" * (-len(page_token) % 4)))
            after = str(payload["a"])
            if payload["f"] != digest:
                violations.append(Violation("page_token", "was issued for other filters"))
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            violations.append(Violation("page_token", "is not a token this list issued"))
    if violations:
        raise InvalidArgument(violations)
    return PageRequest(size=page_size or DEFAULT_PAGE_SIZE, after=after, filters_digest=digest)


def next_page_token(request: PageRequest, last_key: str | None, has_more: bool) -> str:
    """The token of the next page, or "" when this page was the last one.

    Lists fetch `size + 1` rows: the extra row only tells whether another page exists, so the
    last page never hands out a token that leads to an empty page.
    """
    if last_key is None or not has_more:
        return ""
    raw = json.dumps({"a": last_key, "f": request.filters_digest}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def newest_first(
    uow: UnitOfWork, statement: Select[Any], id_column: Any, page: PageRequest
) -> tuple[list[Any], str]:
    """One page of rows whose ids are time-ordered (UUIDv7), newest first, and the next token."""
    statement = statement.order_by(id_column.desc())
    if page.after:
        statement = statement.where(id_column < uuid.UUID(page.after))
    rows = (await uow.session.execute(statement.limit(page.size + 1))).scalars().all()
    kept = list(rows[: page.size])
    last = getattr(kept[-1], id_column.key).hex if kept else None
    return kept, next_page_token(page, last, len(rows) > page.size)
