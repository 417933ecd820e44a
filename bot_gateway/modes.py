"""How each tenant bot receives its updates, as its bot settings say (GetBotSettings).

Polling is served by the bot gateway process; webhook mode by the HTTP gateway, which hosts the
same dispatcher for those bots (see `bot_gateway/webhooks.py`). Each process runs a `BotRunner`
for its own mode and reads every listed tenant's mode at each sync, so a tenant switched from one
mode to the other is handed over within one sync period: the polling side stops polling, the
webhook side calls setWebhook (and back: polling begins with deleteWebhook).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

log = structlog.get_logger(__name__)

CONCURRENT_READS = 16  # GetBotSettings calls in flight at once during a sync (one per tenant)


class BotMode(StrEnum):
    """Where a bot's updates come from."""

    POLLING = "polling"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Delivery:
    """A bot's mode and, for webhook mode, the secret Telegram must send back."""

    mode: BotMode
    secret: str = ""


def _delivery(settings: bot_settings_pb2.BotSettings) -> Delivery:
    if settings.mode == bot_settings_pb2.BOT_MODE_WEBHOOK:
        return Delivery(BotMode.WEBHOOK, settings.webhook_secret)
    return Delivery(BotMode.POLLING)  # the default, also for settings never stored


async def read_deliveries(client: BillingHubClient, tenant_ids: Iterable[str]) -> dict[str, Delivery]:
    """Each tenant's delivery; a tenant whose settings cannot be read now is left out."""
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def read(tenant_id: str) -> tuple[str, Delivery | None]:
        async with gate:
            try:
                response: bot_settings_service_pb2.GetBotSettingsResponse = await client.for_tenant(
                    tenant_id
                ).bot_settings.GetBotSettings(bot_settings_service_pb2.GetBotSettingsRequest())
            except BillingHubError as error:
                log.warning("cannot read bot settings", tenant_id=tenant_id, status=error.code.name)
                return tenant_id, None
        return tenant_id, _delivery(response.bot_settings)

    read_all = await asyncio.gather(*(read(tenant_id) for tenant_id in tenant_ids))
    return {tenant_id: delivery for tenant_id, delivery in read_all if delivery is not None}
