"""Small conversions shared by the servicers: timestamps, enums, ids, field masks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from google.protobuf import field_mask_pb2, timestamp_pb2

from core_server.domain.actor import Role
from core_server.domain.errors import InvalidArgument, Violation
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

TENANT_STATUSES = {tenant_pb2.TENANT_STATUS_ACTIVE: "active", tenant_pb2.TENANT_STATUS_SUSPENDED: "suspended"}
TENANT_STATUSES_OUT = {value: key for key, value in TENANT_STATUSES.items()}


def timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


def id_text(value: uuid.UUID | None) -> str:
    return str(value) if value is not None else ""


def mask_paths(mask: field_mask_pb2.FieldMask) -> list[str]:
    return list(mask.paths)


def money(asset: str, amount: int) -> common_pb2.Money:
    return common_pb2.Money(asset=asset, amount_minor=amount)


def money_in(message: common_pb2.Money, present: bool) -> Money | None:
    """A request's Money field, or None when the field is unset."""
    return Money(message.asset.strip().upper(), message.amount_minor) if present else None


def optional_time(message: timestamp_pb2.Timestamp, present: bool) -> dt.datetime | None:
    return message.ToDatetime(tzinfo=dt.UTC) if present else None


def enum_filter(names: Mapping[Any, str], value: int, field: str) -> str | None:
    """An optional enum filter of a request by name: None when unset (0); an unknown number (a
    newer client's value) is INVALID_ARGUMENT rather than silently no filter."""
    if value == 0:
        return None
    if value not in names:
        raise InvalidArgument([Violation(field, f"unknown value {value}")])
    return names[value]
