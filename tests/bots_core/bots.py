"""Helpers of the bot settings tests: a tenant with its bot's admins, and its gateway."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import field_mask_pb2

from sdk import BillingHubClient
from sdk.billinghub.v1 import bot_settings_pb2 as bots
from sdk.billinghub.v1 import bot_settings_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from tests.hub import Hub, TenantHandle

P = bots.AdminPermission


def admin(telegram_id: int, *permissions: int, name: str = "") -> bots.BotAdmin:
    return bots.BotAdmin(telegram_id=telegram_id, name=name, permissions=list(permissions))


def update(settings: bots.BotSettings, *paths: str, request_id: str = "") -> pb.UpdateBotSettingsRequest:
    return pb.UpdateBotSettingsRequest(
        request_id=request_id, bot_settings=settings, update_mask=field_mask_pb2.FieldMask(paths=list(paths))
    )


async def set_admins(shop: TenantHandle, admins: Sequence[bots.BotAdmin]) -> bots.BotSettings:
    request = update(bots.BotSettings(admins=list(admins)), "admins")
    return (await shop.admin.bot_settings.UpdateBotSettings(request)).bot_settings


async def settings_of(client: BillingHubClient) -> bots.BotSettings:
    return (await client.bot_settings.GetBotSettings(pb.GetBotSettingsRequest())).bot_settings


async def gateway_of(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    """A gateway key bound to the tenant, as a tenant's own bot process holds."""
    return hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bot"))
