"""`POST /telegram/<tenant_id>/<bot_id>`: a Telegram update for a tenant bot in webhook mode.

Why here: `BILLING_HUB_PUBLIC_URL` is this gateway's address, the one public HTTP endpoint of the
hub, so Telegram's webhooks come here like the payment providers'. The HTTP gateway therefore
hosts the webhook side of the bot gateway (`BotHost`): the same dispatcher, middlewares and
handlers as the polling process, and a `BotRunner` in webhook mode that calls setWebhook for each
bot whose settings say webhook. This module is the only one of `http_gateway` that imports
`bot_gateway` (an import-linter contract says so); both still reach the core only through the SDK.

The view checks nothing itself: `WebhookBots.handle` compares the secret header in constant time
(401 and nothing handled when wrong or missing) before it parses the body.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from quart import Blueprint, Quart, Response, current_app, request

from bot_gateway.bot_settings import BotSettingsCache
from bot_gateway.broadcasts.progress import ProgressBoard
from bot_gateway.dispatcher import build_dispatcher
from bot_gateway.export_jobs import ExportJobs
from bot_gateway.i18n import build_i18n
from bot_gateway.middlewares.registration import UserRegistry
from bot_gateway.redis_state import BotState, build_state
from bot_gateway.runner import BotRunner
from bot_gateway.settings import BotGatewaySettings
from bot_gateway.webhooks import MAX_UPDATE_BYTES, SECRET_HEADER, WebhookAnswer, WebhookBots
from sdk.client import BillingHubClient
from sdk.settings_errors import load_settings

__all__ = ["BotHost", "WebhookBots", "attach_bots", "blueprint", "bot_host"]

log = structlog.get_logger(__name__)
blueprint = Blueprint("telegram_webhooks", __name__)

BOTS_KEY = "billing_hub_telegram_bots"
MAX_BOT_ID_DIGITS = 20


def attach_bots(app: Quart, bots: WebhookBots) -> None:
    """Serve the webhook-mode bots of `bots` in `app`."""
    app.extensions[BOTS_KEY] = bots


@blueprint.post("/telegram/<tenant_id>/<bot_id>")
async def telegram_update(tenant_id: str, bot_id: str) -> Response:
    bots: WebhookBots | None = current_app.extensions.get(BOTS_KEY)  # None: not hosting bots
    if bots is None or not bot_id.isascii() or not bot_id.isdigit() or len(bot_id) > MAX_BOT_ID_DIGITS:
        return Response(b"", status=WebhookAnswer.UNKNOWN_BOT)
    if (request.content_length or 0) > MAX_UPDATE_BYTES:
        return Response(b"", status=413)
    body = await request.get_data(cache=False, as_text=False)
    assert isinstance(body, bytes)
    answer = await bots.handle(tenant_id, int(bot_id), request.headers.get(SECRET_HEADER), body)
    if answer.body is None:
        return Response(b"", status=answer.status)
    return Response(answer.body, status=answer.status, content_type="application/json")


@dataclass
class BotHost:
    """The bot gateway's webhook side in this process: run `run(stop)` beside the app."""

    webhooks: WebhookBots
    runner: BotRunner
    state: BotState

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self.runner.run(stop)
        finally:
            await self.state.close()


def bot_host(client: BillingHubClient, settings: BotGatewaySettings | None = None) -> BotHost | None:
    """The webhook side of the bot gateway, or None when no public URL is set (Telegram could not
    reach us; bots stay in polling mode, served by the bot gateway)."""
    settings = settings or load_settings(BotGatewaySettings)
    if not settings.public_url:
        log.info("no BILLING_HUB_PUBLIC_URL: bots in webhook mode are not served")
        return None
    state = build_state(settings.redis_url)
    # as in the bot gateway (bot_gateway/__main__.py): one settings cache and one user registry for
    # the dispatcher and the notifiers; several HTTP replicas may all run notifiers: the core lets
    # one stream at a time read a tenant's bot-notifications (a lease per tenant and consumer), the
    # others wait as standbys (README, "Running a tenant bot")
    bot_settings = BotSettingsCache(settings.bot_settings_refresh_seconds)
    registry, i18n = UserRegistry(), build_i18n()
    board = ProgressBoard(i18n)  # the admins' broadcast progress messages, edited by the senders
    exports = ExportJobs()  # the admins' exports running in the background
    dispatcher = build_dispatcher(
        state.storage,
        i18n=i18n,
        limiter=state.limiter,
        registry=registry,
        settings=bot_settings,
        broadcast_board=board,
        export_jobs=exports,
    )
    webhooks = WebhookBots(dispatcher)
    runner = BotRunner(
        client,
        webhooks.dispatcher,
        webhooks=webhooks,
        public_url=settings.public_url,
        settings=bot_settings,
        registry=registry,
        i18n=i18n,
        board=board,
        exports=exports,
        **settings.runner_options(),
    )
    return BotHost(webhooks, runner, state)
