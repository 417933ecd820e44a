"""Small conversions shared by the servicers: timestamps, enums, ids, field masks.

A conversion that can fail records its violation (named by the request's field path) in the
caller's Violations and returns None, so a servicer reports every bad field of a request at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from google.protobuf import field_mask_pb2, timestamp_pb2

from core_server.domain.actor import Role
from core_server.domain.errors import Violations
from core_server.domain.money.amounts import Money
from core_server.domain.users.service import Platform
from sdk.billinghub.v1 import common_pb2, tenant_pb2

PLATFORMS = {
    common_pb2.PLATFORM_TELEGRAM: Platform.TELEGRAM,
    common_pb2.PLATFORM_WEB: Platform.WEB,
    common_pb2.PLATFORM_API: Platform.API,
    common_pb2.PLATFORM_DISCORD: Platform.DISCORD,
    common_pb2.PLATFORM_VK: Platform.VK,
}
PLATFORMS_OUT = {value: key for key, value in PLATFORMS.items()}

ROLES = {
    tenant_pb2.API_KEY_ROLE_PLATFORM: Role.PLATFORM,
    tenant_pb2.API_KEY_ROLE_TENANT_ADMIN: Role.TENANT_ADMIN,
    tenant_pb2.API_KEY_ROLE_GATEWAY: Role.GATEWAY,
    tenant_pb2.API_KEY_ROLE_PARTNER: Role.PARTNER,
}
ROLES_OUT = {value: key for key, value in ROLES.items()}

T = TypeVar("T")

# The instants a request may name (documented in common.proto): from the Unix epoch to before the
# year 9000, so that a period added to one, or a period taken from one, still fits every datetime
# type and column on the way.
MIN_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_TIME = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
_MIN_SECONDS, _MAX_SECONDS = int(MIN_TIME.timestamp()), int(MAX_TIME.timestamp())
MAX_NANOS = 999_999_999

TENANT_STATUSES = {tenant_pb2.TENANT_STATUS_ACTIVE: "active", tenant_pb2.TENANT_STATUS_SUSPENDED: "suspended"}
TENANT_STATUSES_OUT = {value: key for key, value in TENANT_STATUSES.items()}


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)


def timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    """What Timestamp.FromDatetime gives (seconds rounded down, nanos from the microseconds; a
    naive value is UTC), at a third of its cost: every read answers with a few of these."""
    if value is None:
        return None
    delta = value - (_EPOCH if value.tzinfo is not None else _NAIVE_EPOCH)
    return timestamp_pb2.Timestamp(seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000)


def id_text(value: uuid.UUID | None) -> str:
    return str(value) if value is not None else ""


def mask_paths(mask: field_mask_pb2.FieldMask) -> list[str]:
    return list(mask.paths)


def money(asset: str, amount: int) -> common_pb2.Money:
    return common_pb2.Money(asset=asset, amount_minor=amount)


def money_in(message: common_pb2.Money, present: bool) -> Money | None:
    """A request's Money field, or None when the field is unset."""
    return Money(message.asset.strip().upper(), message.amount_minor) if present else None


def moneys_in(messages: Iterable[common_pb2.Money]) -> tuple[Money, ...]:
    """A request's repeated Money field."""
    return tuple(Money(message.asset.strip().upper(), message.amount_minor) for message in messages)


def optional_time(
    message: timestamp_pb2.Timestamp, present: bool, field: str, violations: Violations
) -> dt.datetime | None:
    """A request's Timestamp field, or None when it is unset or out of range (then a violation)."""
    if not present:
        return None
    if not 0 <= message.nanos <= MAX_NANOS:
        violations.add(field, f"nanos must be between 0 and {MAX_NANOS}")
        return None
    if not _MIN_SECONDS <= message.seconds < _MAX_SECONDS:
        violations.add(field, f"must be from {MIN_TIME.isoformat()} to before {MAX_TIME.isoformat()}")
        return None
    return message.ToDatetime(tzinfo=dt.UTC)


def enum_filter(names: Mapping[Any, T], value: int, field: str, violations: Violations) -> T | None:
    """An optional enum filter of a request by name: None when unset (0); an unknown number (a
    newer client's value) is a violation (INVALID_ARGUMENT) rather than silently no filter."""
    if value == 0:
        return None
    if value not in names:
        violations.add(field, f"unknown value {value}")
        return None
    return names[value]


def enum_filters(names: Mapping[Any, T], values: Iterable[int], field: str, violations: Violations) -> list[T]:
    """A repeated enum filter: the known values by name; each unknown one is a violation."""
    return [name for value in values if (name := enum_filter(names, value, field, violations)) is not None]
