"""The domain's failures. Each class maps to one gRPC status (see core_server/api/errors.py) and
carries an UPPER_SNAKE `reason` that callers branch on."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import ClassVar


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

    def __init__(self, identifier: str = "") -> None:
        super().__init__(f"{self.resource} not found")
        if identifier:
            self.metadata["id"] = identifier


class AlreadyExists(DomainError):
    pass


class FailedPrecondition(DomainError):
    pass


class ResourceExhausted(DomainError):
    pass


@dataclass
class Violations:
    """Collects field violations so that one response names every bad field, not just the first."""

    items: list[Violation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.items.append(Violation(field_path, description))

    def check_length(self, field_path: str, value: str, *, max_length: int, required: bool = False) -> None:
        if required and not value.strip():
            self.add(field_path, "is required")
        elif len(value) > max_length:
            self.add(field_path, f"must be at most {max_length} characters")

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
