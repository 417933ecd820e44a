"""The domain's failures. Each class maps to one gRPC status (see core_server/api/errors.py) and
carries an UPPER_SNAKE `reason` that callers branch on."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Violation:
    """One invalid field: its path in the request and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every expected failure; `reason` names it for machines, the message for people."""

    default_reason = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(DomainError):
    """The request is malformed; `violations` lists the fields."""

    default_reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[Violation], *, reason: str | None = None, message: str | None = None) -> None:
        text = message or "; ".join(f"{v.field}: {v.description}" for v in violations) or "invalid request"
        super().__init__(text, reason=reason)
        self.violations = violations


class Unauthenticated(DomainError):
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    default_reason = "PERMISSION_DENIED"


class NotFound(DomainError):
    """The object does not exist in the caller's tenant (or at all: callers can't tell apart)."""

    default_reason = "NOT_FOUND"

    def __init__(self, resource: str, identifier: str = "") -> None:
        super().__init__(f"{resource} not found", reason=f"{resource.upper().replace(' ', '_')}_NOT_FOUND")
        self.resource = resource
        if identifier:
            self.metadata["id"] = identifier


class AlreadyExists(DomainError):
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(DomainError):
    default_reason = "RESOURCE_EXHAUSTED"


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
