"""Pure rules of bot admins: the x-on-behalf-of value, what an actor may do, how audits name it."""

from __future__ import annotations

import uuid

import pytest

from core_server.domain.actor import Actor, AdminPermission, Role
from core_server.domain.bots.admins import parse_on_behalf, stored_permissions
from core_server.domain.errors import InvalidArgument

KEY = uuid.UUID(int=7)
TENANT = uuid.UUID(int=9)


@pytest.mark.parametrize("value", ["telegram:1", "telegram:42", " telegram:9223372036854775807 "])
def test_a_telegram_admin_is_named_by_id(value: str) -> None:
    assert parse_on_behalf(value) == int(value.strip().removeprefix("telegram:"))


@pytest.mark.parametrize(
    "value",
    ["", "42", "telegram:", "telegram:0", "telegram:-1", "telegram:01", "tg:42", "telegram:9223372036854775808"],
)
def test_anything_else_is_invalid(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_on_behalf(value)
    assert [v.field for v in caught.value.violations] == ["x-on-behalf-of"]


def test_admin_keys_hold_every_permission_a_gateway_only_its_admins() -> None:
    gateway = Actor(Role.GATEWAY, KEY, TENANT)
    acting = Actor(Role.GATEWAY, KEY, TENANT, "telegram:5", frozenset({AdminPermission.REFUNDS}))
    for permission in AdminPermission:
        assert Actor(Role.TENANT_ADMIN, KEY, TENANT).may(permission)
        assert Actor(Role.PLATFORM, KEY, TENANT).may(permission)
        assert not Actor(Role.PARTNER, KEY, TENANT).may(permission)
        assert not gateway.may(permission)
        assert acting.may(permission) is (permission is AdminPermission.REFUNDS)


def test_the_audit_label_names_the_admin_before_the_key() -> None:
    assert Actor(Role.GATEWAY, KEY, TENANT).label == f"gateway:{KEY.hex}"
    assert Actor(Role.GATEWAY, KEY, TENANT, "telegram:5").label == f"telegram:5 via gateway:{KEY.hex}"


def test_stored_permissions_drop_names_no_longer_known() -> None:
    assert stored_permissions(["stats", "retired", "export"]) == {AdminPermission.STATS, AdminPermission.EXPORT}
