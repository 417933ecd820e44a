"""The domain's failures. Each class maps to one gRPC status (see core_server/api/errors.py) and
carries an UPPER_SNAKE `reason` that callers branch on."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

# C0 control characters (and DEL): never in a name, a code or an id. NUL is also what PostgreSQL
# refuses in text. Free text (reasons, descriptions) may hold line breaks and tabs, nothing else.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_FREE_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Violation:
    """One invalid field: its path in the request and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every expected failure. A concrete class names its `reason` (the catalogue lives in
    reasons.py); the bases below only fix the status code (core_server/api/errors.py)."""

    reason: ClassVar[str] = ""

    def __init__(self, message: str, *, metadata: Mapping[str, str] | None = None) -> None:
        if not self.reason:
            raise TypeError(f"{type(self).__name__} names no reason: raise a class of domain/reasons.py")
        super().__init__(message)
        self.message = message
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(DomainError):
    """The request is malformed; `violations` lists the fields (reason INVALID_ARGUMENT)."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[Violation], *, message: str | None = None) -> None:
        text = message or "; ".join(f"{v.field}: {v.description}" for v in violations) or "invalid request"
        super().__init__(text)
        self.violations = violations


class Unauthenticated(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    """The object does not exist in the caller's tenant (or at all: callers can't tell apart)."""

    resource: ClassVar[str] = ""

    def __init__(self, identifier: str = "", *, field: str = "") -> None:
        """`field`: the request field that named the missing object, when it is not obvious (one
        price's asset among several), in the message and the metadata."""
        super().__init__(f"{self.resource} not found" + (f": {field}" if field else ""))
        if identifier:
            self.metadata["id"] = identifier
        if field:
            self.metadata["field"] = field


class AlreadyExists(DomainError):
    pass


class FailedPrecondition(DomainError):
    pass


class ResourceExhausted(DomainError):
    """A budget is spent (a rate limit). `retry_after` (seconds), when known, tells the caller when
    to try again: the API sends it as a google.rpc.RetryInfo, the HTTP gateway as Retry-After."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, metadata: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message, metadata=metadata)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Something outside the hub (a payment provider) did not answer; nothing changed, retry later."""


def _json_problem(value: object, max_depth: int) -> str | None:
    """What is wrong with a decoded JSON value of a request, if anything (iterative: the nesting
    depth is the client's choice)."""
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return f"must not nest deeper than {max_depth} levels"
        if isinstance(item, str) and "\x00" in item:
            return "must not contain NUL characters"
        if isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return None


@dataclass
class Violations:
    """Collects field violations so that one response names every bad field, not just the first."""

    items: list[Violation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.items.append(Violation(field_path, description))

    def check_text(
        self,
        field_path: str,
        value: str,
        *,
        max_length: int,
        required: bool = False,
        multiline: bool = False,
        fold: Callable[[str], str] | None = None,
    ) -> str:
        """A text field of a request; returns it stripped of surrounding white space.

        No control characters (a `multiline` free text may break lines and hold tabs); required
        means not blank; the length limit holds for the text as given and, when the text is stored
        or compared case-mapped, after `fold` (str.lower, str.upper): "İ".lower() and "ß".upper()
        are two characters each, so a text that fits before the mapping may not fit after it."""
        text = value.strip()
        if (_FREE_TEXT_CONTROLS if multiline else _CONTROLS).search(value):
            allowed = " other than line breaks and tabs" if multiline else ""
            self.add(field_path, f"must not contain control characters{allowed}")
        elif required and not text:
            self.add(field_path, "is required")
        elif len(value) > max_length or (fold is not None and len(fold(text)) > max_length):
            self.add(field_path, f"must be at most {max_length} characters")
        return text

    def id(self, field_path: str, value: str, *, required: bool = True) -> uuid.UUID | None:
        """An id field of a request: its UUID, or None when it is missing or malformed (then the
        violation is recorded here, to be raised with the request's other ones)."""
        if not value:
            if required:
                self.add(field_path, "is required")
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self.add(field_path, "is not a valid id")
            return None

    def check_json(self, field_path: str, value: object, *, max_depth: int = 32) -> bool:
        """A decoded JSON value of a request: no NUL character in any string or key (the \\u0000
        escape decodes to one, and PostgreSQL refuses it in text and JSON) and nested no deeper
        than `max_depth` (every later encoding of it recurses). Returns whether it passed."""
        problem = _json_problem(value, max_depth)
        if problem is not None:
            self.add(field_path, problem)
        return problem is None

    def has(self, field_path: str) -> bool:
        """Whether a violation of this field is recorded already (to skip checks that build on it)."""
        return any(item.field == field_path for item in self.items)

    def check_mask(self, mask: Collection[str], updatable: Collection[str]) -> None:
        """An update's field mask: required, and naming only fields the caller may change."""
        if not mask:
            self.add("update_mask", "is required")
        for path in mask:
            if path not in updatable:
                self.add("update_mask", f"unknown or read-only field {path!r}")

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidArgument(self.items)
