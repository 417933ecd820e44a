"""Assembles the dispatcher every tenant bot shares: routers and middlewares, nothing else.

One dispatcher serves all bots of the process; what differs per bot (the tenant) arrives with
each update, so adding a tenant never means building another dispatcher.
"""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage

from bot_gateway.handlers import create_routers
from bot_gateway.middlewares.tenant import TenantContextMiddleware
from sdk.client import BillingHubClient


def build_dispatcher(client: BillingHubClient, storage: BaseStorage | None = None) -> Dispatcher:
    """A dispatcher whose handlers reach the core through `client` (FSM in `storage`, memory if None)."""
    dispatcher = Dispatcher(storage=storage)
    # outer middlewares run in registration order, after aiogram's own (errors, user context, FSM)
    dispatcher.update.outer_middleware(TenantContextMiddleware(client))
    dispatcher.include_routers(*create_routers())
    return dispatcher
