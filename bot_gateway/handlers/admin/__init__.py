"""The admin side of a tenant bot: every handler here sits behind one router-level admin filter.

Who is an admin comes from the tenant's bot settings (`admins`, through `tenant_texts.admin_ids`),
so any admin handler added under `router` is unreachable for everyone else by construction: a
non-admin's `/admin` falls through to the user side's fallback. What each admin may do is their
permissions: a handler names the one it needs in its flags and `RequirePermission` refuses the
others, then hands the handler `staff`, the SDK view acting on the admin's behalf.

A section is a module with its own router, included below, and a row of `keyboards.admin.SECTIONS`.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from bot_gateway.bot_settings import TenantSettings
from bot_gateway.handlers.admin import (
    adjust,
    broadcast,
    catalog,
    catalog_edits,
    export,
    failed_deliveries,
    health,
    menu,
    orders,
    queues,
    stats,
    users,
)
from bot_gateway.handlers.admin.permissions import RequirePermission
from bot_gateway.tenant_texts import admin_ids


class IsTenantAdmin(Filter):
    """Passes updates from the tenant's bot admins only."""

    async def __call__(
        self, event: TelegramObject, bot_settings: TenantSettings, event_from_user: TelegramUser | None = None
    ) -> bool:
        return event_from_user is not None and event_from_user.id in admin_ids(bot_settings)


router = Router(name="admin")
router.message.filter(IsTenantAdmin())
router.callback_query.filter(IsTenantAdmin())
router.message.middleware(RequirePermission())
router.callback_query.middleware(RequirePermission())
router.include_routers(
    menu.router,
    stats.router,
    health.router,
    users.router,
    adjust.router,
    queues.router,
    orders.router,
    failed_deliveries.router,
    catalog.router,
    catalog_edits.router,
    broadcast.router,
    export.router,
)
