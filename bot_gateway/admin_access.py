"""Who may do what in the admin menu: each bot admin's permissions, from the tenant's bot settings.

The bot reads them to show an admin only the sections they may use and to refuse a hidden
button pressed anyway; the core checks the same permission again on every staff call made on the
admin's behalf (core_server/api/access.py, STAFF_PERMISSIONS), so the bot's check is for the
admin's sake, never the only one.
"""

from __future__ import annotations

from typing import TypeAlias

from bot_gateway.bot_settings import TenantSettings
from sdk.billinghub.v1 import bot_settings_pb2

Permission: TypeAlias = bot_settings_pb2.AdminPermission  # a value of the proto enum (an int)
STATS: Permission = bot_settings_pb2.ADMIN_PERMISSION_STATS
QUEUES: Permission = bot_settings_pb2.ADMIN_PERMISSION_QUEUES
USERS: Permission = bot_settings_pb2.ADMIN_PERMISSION_USERS
ADJUST: Permission = bot_settings_pb2.ADMIN_PERMISSION_ADJUST
EXPORT: Permission = bot_settings_pb2.ADMIN_PERMISSION_EXPORT
REFUNDS: Permission = bot_settings_pb2.ADMIN_PERMISSION_REFUNDS
CATALOG: Permission = bot_settings_pb2.ADMIN_PERMISSION_CATALOG
BROADCAST: Permission = bot_settings_pb2.ADMIN_PERMISSION_BROADCAST


def permissions_of(settings: TenantSettings, telegram_id: int) -> frozenset[Permission]:
    """The permissions the bot settings give one admin (none for someone who is not an admin)."""
    for admin in settings.settings.admins:
        if admin.telegram_id == telegram_id:
            return frozenset(admin.permissions)
    return frozenset()
