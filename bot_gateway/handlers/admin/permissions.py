"""What each bot admin may do, checked in the bot before the core checks it again.

A handler of the admin router names the permission it needs in its flags
(`flags={"permission": STATS}`); `RequirePermission`, an inner middleware of the admin router,
refuses the update when the admin lacks it: a hidden button pressed anyway (forged callback data,
an old message from before the permission was taken away) gets a translated refusal and no core
call. It also hands every admin handler `staff`, the SDK view acting on behalf of the admin
(`hub.on_behalf_of`), so a staff call can never go out under the gateway's own name. The core
refuses the call anyway when the admin lacks the permission (core_server/api/access.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import gettext as _

from bot_gateway.admin_access import Permission, permissions_of
from bot_gateway.bot_settings import TenantSettings
from bot_gateway.webhook_reply import answer_later
from sdk.client import BillingHubClient

PERMISSION_FLAG = "permission"


def refusal() -> str:
    return _("You do not have permission for this.")


class RequirePermission(BaseMiddleware):
    """Refuses an admin handler whose `permission` flag the admin lacks; gives the others `staff`."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: TelegramUser | None = data.get("event_from_user")
        settings: TenantSettings | None = data.get("bot_settings")
        hub: BillingHubClient | None = data.get("hub")
        if user is None or settings is None or hub is None:
            return None
        needed: Permission | None = get_flag(data, PERMISSION_FLAG)
        if needed is not None and needed not in permissions_of(settings, user.id):
            await _refuse(event)
            return None
        data["permissions"] = permissions_of(settings, user.id)
        data["staff"] = hub.on_behalf_of(user.id)
        return await handler(event, data)


async def _refuse(event: TelegramObject) -> None:
    if isinstance(event, CallbackQuery):
        alert = event.answer(refusal(), show_alert=True)
        if not answer_later(alert):
            await alert
    elif isinstance(event, Message):
        await event.answer(refusal())
