"""The admin side of a tenant bot: every handler here sits behind one router-level admin filter.

No admin screens exist yet. The filter is the seam they will stand on: who is an admin comes from
the tenant's bot settings (`admins`, through `tenant_texts.admin_ids`), so any admin handler added
to `router` is unreachable for everyone else by construction.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from bot_gateway.bot_settings import TenantSettings
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
