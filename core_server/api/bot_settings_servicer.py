"""BotSettingsService over gRPC: a tenant's bot settings, admins and text overrides."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import GATEWAY_AND_ADMINS, STAFF, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import mask_paths, timestamp
from core_server.domain.actor import AdminPermission
from core_server.domain.bots.rules import AdminSpec, BotMode
from core_server.domain.bots.settings import BotSettings, BotSettingsService, BotSettingsSpec
from core_server.domain.bots.texts import TextOverride, TextOverrideService
from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2_grpc
from sdk.billinghub.v1 import bot_settings_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
P = bot_settings_pb2
PERMISSIONS = {
    P.ADMIN_PERMISSION_STATS: AdminPermission.STATS,
    P.ADMIN_PERMISSION_USERS: AdminPermission.USERS,
    P.ADMIN_PERMISSION_ADJUST: AdminPermission.ADJUST,
    P.ADMIN_PERMISSION_QUEUES: AdminPermission.QUEUES,
    P.ADMIN_PERMISSION_REFUNDS: AdminPermission.REFUNDS,
    P.ADMIN_PERMISSION_CATALOG: AdminPermission.CATALOG,
    P.ADMIN_PERMISSION_BROADCAST: AdminPermission.BROADCAST,
    P.ADMIN_PERMISSION_EXPORT: AdminPermission.EXPORT,
    P.ADMIN_PERMISSION_SETTINGS: AdminPermission.SETTINGS,
}
PERMISSIONS_OUT = {value: key for key, value in PERMISSIONS.items()}
MODES = {P.BOT_MODE_POLLING: BotMode.POLLING, P.BOT_MODE_WEBHOOK: BotMode.WEBHOOK}
MODES_OUT = {value: key for key, value in MODES.items()}


def settings_message(settings: BotSettings) -> bot_settings_pb2.BotSettings:
    return bot_settings_pb2.BotSettings(
        bot_username=settings.bot_username,
        admins=[
            bot_settings_pb2.BotAdmin(
                telegram_id=a.telegram_id,
                name=a.name,
                permissions=[PERMISSIONS_OUT[p] for p in a.permissions if p is not None],
            )
            for a in settings.admins
        ],
        alert_chat_id=settings.alert_chat_id,
        alert_topic_id=settings.alert_topic_id,
        welcome_text=settings.welcome_text,
        welcome_image=settings.welcome_image,
        support_text=settings.support_text,
        terms_text=settings.terms_text,
        privacy_text=settings.privacy_text,
        paysupport_text=settings.paysupport_text,
        default_locale=settings.default_locale,
        mode=MODES_OUT[settings.mode] if settings.mode is not None else P.BOT_MODE_UNSPECIFIED,
        webhook_secret=settings.webhook_secret,
        create_time=timestamp(settings.created_at),
        update_time=timestamp(settings.updated_at),
    )


def spec_in(message: bot_settings_pb2.BotSettings) -> BotSettingsSpec:
    return BotSettingsSpec(
        bot_username=message.bot_username,
        admins=[AdminSpec(a.telegram_id, a.name, [PERMISSIONS.get(p) for p in a.permissions]) for a in message.admins],
        alert_chat_id=message.alert_chat_id,
        alert_topic_id=message.alert_topic_id,
        welcome_text=message.welcome_text,
        welcome_image=message.welcome_image,
        support_text=message.support_text,
        terms_text=message.terms_text,
        privacy_text=message.privacy_text,
        paysupport_text=message.paysupport_text,
        default_locale=message.default_locale,
        mode=MODES.get(message.mode),
    )


def override_message(override: TextOverride) -> bot_settings_pb2.TextOverride:
    return bot_settings_pb2.TextOverride(
        key=override.key, locale=override.locale, text=override.text, update_time=timestamp(override.updated_at)
    )


class BotSettingsServicer(bot_settings_service_pb2_grpc.BotSettingsServiceServicer):
    def __init__(self, settings: BotSettingsService, texts: TextOverrideService) -> None:
        self._settings = settings
        self._texts = texts

    @rpc(roles=GATEWAY_AND_ADMINS)  # the bot's own process serves the bot with them
    async def GetBotSettings(self, request: pb.GetBotSettingsRequest, context: Context) -> pb.GetBotSettingsResponse:
        return pb.GetBotSettingsResponse(bot_settings=settings_message(await self._settings.get(current_actor())))

    @rpc(roles=STAFF, mutation=True)
    async def UpdateBotSettings(
        self, request: pb.UpdateBotSettingsRequest, context: Context
    ) -> pb.UpdateBotSettingsResponse:
        settings = await self._settings.update(
            current_actor(), spec_in(request.bot_settings), mask_paths(request.update_mask)
        )
        return pb.UpdateBotSettingsResponse(bot_settings=settings_message(settings))

    @rpc(roles=STAFF, mutation=True)
    async def SetTextOverride(self, request: pb.SetTextOverrideRequest, context: Context) -> pb.SetTextOverrideResponse:
        given = request.text_override
        override = await self._texts.set(current_actor(), given.key, given.locale, given.text)
        return pb.SetTextOverrideResponse(text_override=override_message(override))

    @rpc(roles=STAFF, mutation=True)
    async def DeleteTextOverride(
        self, request: pb.DeleteTextOverrideRequest, context: Context
    ) -> pb.DeleteTextOverrideResponse:
        await self._texts.delete(current_actor(), request.key, request.locale)
        return pb.DeleteTextOverrideResponse()

    @rpc(roles=GATEWAY_AND_ADMINS)  # the bot's own process reads them all at start
    async def ListTextOverrides(
        self, request: pb.ListTextOverridesRequest, context: Context
    ) -> pb.ListTextOverridesResponse:
        overrides, token = await self._texts.list_overrides(
            current_actor(), request.locale, request.page_size, request.page_token
        )
        return pb.ListTextOverridesResponse(
            text_overrides=[override_message(o) for o in overrides], next_page_token=token
        )
