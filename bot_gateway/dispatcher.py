"""Assembles the dispatcher every tenant bot of the process shares: middlewares and the routers.

One dispatcher serves all bots; what differs per bot (its tenant, the SDK view acting in that
tenant) arrives with each update, so adding a tenant never means building another dispatcher.
The routers are module-level (`bot_gateway.handlers.router`) and can be attached once, so a
process builds one dispatcher: the gateway's `__main__`, or one per test session.

Outer middlewares on updates run in registration order after aiogram's own (errors, user
context, FSM): tenant -> anti-flood -> bot settings -> user registration -> "bot unblocked" ->
locale. The anti-flood check comes before the settings and registration, so a flood costs the core
nothing.
"""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.utils.i18n import I18n

from bot_gateway.bot_settings import BotSettingsCache
from bot_gateway.broadcasts.progress import ProgressBoard
from bot_gateway.export_jobs import EXPORT_JOBS_KEY, ExportJobs
from bot_gateway.handlers import router
from bot_gateway.i18n import build_i18n
from bot_gateway.middlewares.bot_blocked import BotUnblockedMiddleware
from bot_gateway.middlewares.bot_settings import BotSettingsMiddleware
from bot_gateway.middlewares.locale import UserLocaleMiddleware
from bot_gateway.middlewares.registration import UserRegistrationMiddleware, UserRegistry
from bot_gateway.middlewares.tenant import TenantContextMiddleware
from bot_gateway.middlewares.throttling import AntiFloodMiddleware, HandlerThrottleMiddleware, Limiter, RateLimiter
from bot_gateway.response_types import pin_response_types


def build_dispatcher(
    storage: BaseStorage | None = None,
    *,
    i18n: I18n | None = None,
    limiter: Limiter | None = None,
    registry: UserRegistry | None = None,
    settings: BotSettingsCache | None = None,
    broadcast_board: ProgressBoard | None = None,
    export_jobs: ExportJobs | None = None,
) -> Dispatcher:
    """The dispatcher of the process (FSM in `storage`, anti-flood buckets in `limiter`; memory if
    None); the runner shares `registry`, `settings`, `broadcast_board` (the admins' broadcast
    progress messages, which the senders' reports edit) and `export_jobs` (the admins' exports
    running in the background, stopped with their bot) with it."""
    pin_response_types()
    i18n = i18n or build_i18n()
    # in the workflow data too, so the error handlers translate when an update failed before the
    # locale middleware ran
    dispatcher = Dispatcher(storage=storage, i18n=i18n, broadcast_board=broadcast_board or ProgressBoard(i18n))
    dispatcher[EXPORT_JOBS_KEY] = export_jobs if export_jobs is not None else ExportJobs()
    limiter = limiter or RateLimiter()
    dispatcher.update.outer_middleware(TenantContextMiddleware())
    dispatcher.update.outer_middleware(AntiFloodMiddleware(limiter))
    dispatcher.update.outer_middleware(BotSettingsMiddleware(settings or BotSettingsCache()))
    dispatcher.update.outer_middleware(UserRegistrationMiddleware(registry))
    dispatcher.update.outer_middleware(BotUnblockedMiddleware())
    dispatcher.update.outer_middleware(UserLocaleMiddleware(i18n))
    throttle = HandlerThrottleMiddleware(limiter)
    dispatcher.message.middleware(throttle)
    dispatcher.callback_query.middleware(throttle)
    dispatcher.include_router(router)
    return dispatcher
