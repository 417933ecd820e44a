"""Opaque page tokens (AIP-158): keyset cursors bound to the filters they were issued for.

A token is base64url JSON of the last key seen plus a digest of the list's filters; replaying it
with other filters is INVALID_ARGUMENT rather than a silently wrong page. A token is client input
like any other: whatever it holds, a token this list did not issue (not JSON, another shape, a key
of the wrong type or form for this list) is INVALID_ARGUMENT naming `page_token`, never a key that
reaches a query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core_server.domain.errors import Violations

R = TypeVar("R")
T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_TOKEN_LENGTH = 2048  # the longest key a list issues (a subscription's) fits many times over
MAX_OFFSET = 10**9
NOT_OURS = "is not a token this list issued"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A validated page request: how many rows and after which key."""

    size: int
    after: str | None
    filters_digest: str


def _digest(filters: object) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:16]


def uuid_key(text: str) -> uuid.UUID:
    """The key of lists ordered by id (most of them)."""
    return uuid.UUID(text)


def offset_key(text: str) -> int:
    """The key of lists paged by position: a non-negative decimal offset within MAX_OFFSET."""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_OFFSET:
        raise ValueError("not an offset")
    return int(text)


def page_request(
    page_size: int,
    page_token: str,
    filters: object,
    *,
    key: Callable[[str], object] = uuid_key,
    violations: Violations | None = None,
) -> PageRequest:
    """Validate size and token against the filters of this list call. `key` parses the key of a
    token of this list (raising ValueError, TypeError or OverflowError when it is not one), so that
    `after` of the result always parses. The problems are added to `violations` when given (the
    caller raises them with the request's others), else raised here."""
    v = violations if violations is not None else Violations()
    size = page_size or DEFAULT_PAGE_SIZE
    if not 0 <= page_size <= MAX_PAGE_SIZE:
        v.add("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
        size = DEFAULT_PAGE_SIZE
    digest = _digest(filters)
    after: str | None = None
    if page_token:
        payload = _decode(page_token)
        last, issued_for = (payload.get("a"), payload.get("f")) if payload is not None else (None, None)
        if not isinstance(last, str) or not isinstance(issued_for, str):
            v.add("page_token", NOT_OURS)
        elif issued_for != digest:
            v.add("page_token", "was issued for other filters")
        elif _parses(key, last):
            after = last
        else:
            v.add("page_token", NOT_OURS)
    if violations is None:
        v.raise_if_any()
    return PageRequest(size=size, after=after, filters_digest=digest)


def _decode(token: str) -> dict[str, Any] | None:
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return payload if isinstance(payload, dict) else None


def _parses(key: Callable[[str], object], text: str) -> bool:
    try:
        key(text)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def next_page_token(request: PageRequest, last_key: str | None, has_more: bool) -> str:
    """The token of the next page, or "" when this page was the last one.

    Lists fetch `size + 1` rows: the extra row only tells whether another page exists, so the
    last page never hands out a token that leads to an empty page.
    """
    if last_key is None or not has_more:
        return ""
    raw = json.dumps({"a": last_key, "f": request.filters_digest}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def before_id(page: PageRequest) -> uuid.UUID | None:
    """The cursor of a page of id-ordered rows (its shape was checked when the token was read)."""
    return uuid.UUID(page.after) if page.after else None


def id_page(
    page: PageRequest,
    rows: Sequence[R],
    convert: Callable[[R], T],
    key: Callable[[T], str] = lambda item: item.id.hex,  # type: ignore[attr-defined]
) -> tuple[list[T], str]:
    """The items of a page from rows fetched with `limit=page.size + 1`, and the next page's token."""
    items = [convert(row) for row in rows[: page.size]]
    return items, next_page_token(page, key(items[-1]) if items else None, len(rows) > page.size)
