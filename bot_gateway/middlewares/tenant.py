"""Per-update tenant context: which tenant a bot serves, its SDK client view, the user's locale.

One process runs the bots of many tenants, so nothing about a tenant can be global. The runner
feeds each update with the `BotTenant` of the bot that received it; this outer middleware turns
that into what handlers ask for by name: `tenant_id`, `hub` (the SDK client acting in that
tenant), `locale` and `tr` (its translator). Every log line of the update carries the tenant id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot_gateway.locales import resolve_locale, translator
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant
from sdk.client import BillingHubClient

BOT_TENANT_KEY = "bot_tenant"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class TenantContextMiddleware(BaseMiddleware):
    """Outer middleware on updates; needs `bot_tenant` in the update's data (the runner puts it)."""

    def __init__(self, client: BillingHubClient) -> None:
        self._client = client
        self._views: dict[str, BillingHubClient] = {}

    def _view(self, tenant_id: str) -> BillingHubClient:
        view = self._views.get(tenant_id)
        if view is None:
            view = self._views[tenant_id] = self._client.for_tenant(tenant_id)
        return view

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot_tenant: BotTenant = data[BOT_TENANT_KEY]
        user: User | None = data.get("event_from_user")
        locale = resolve_locale(user.language_code if user else None, bot_tenant.default_locale)
        data["tenant_id"] = bot_tenant.tenant_id
        data["hub"] = self._view(bot_tenant.tenant_id)
        data["locale"] = locale
        data["tr"] = translator(locale)
        with structlog.contextvars.bound_contextvars(tenant_id=bot_tenant.tenant_id):
            return await handler(event, data)
