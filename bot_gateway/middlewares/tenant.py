"""Per-update tenant context: which tenant's bot received the update, and its SDK view.

One process runs the bots of many tenants, so nothing about a tenant can be global. Whoever feeds
the update (the polling runner, a test) passes the `BotTenant` of the bot that received it and the
SDK client view acting in that tenant (`hub`); this outer middleware checks both are there, adds
`tenant_id`, and binds the tenant id to every log line of the update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from sdk.billinghub.v1.gateway_service_pb2 import BotTenant

BOT_TENANT_KEY = "bot_tenant"
HUB_KEY = "hub"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class TenantContextMiddleware(BaseMiddleware):
    """Outer middleware on updates; needs `bot_tenant` and `hub` in the update's data."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot_tenant: BotTenant = data[BOT_TENANT_KEY]
        if HUB_KEY not in data:
            raise LookupError("an update must be fed with the tenant's SDK view as `hub`")
        data["tenant_id"] = bot_tenant.tenant_id
        with structlog.contextvars.bound_contextvars(tenant_id=bot_tenant.tenant_id):
            return await handler(event, data)
