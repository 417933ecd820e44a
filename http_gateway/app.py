"""The Quart app factory: the one place that assembles blueprints, error handlers and the client.

Taking the SDK client as an argument keeps the app free of configuration and lets tests hand it a
client pointed at an in-process server.
"""

from __future__ import annotations

from quart import Quart

from http_gateway import health
from http_gateway.api import v1 as api_v1
from http_gateway.context import attach_client
from http_gateway.errors import register_error_handlers
from http_gateway.metrics import install_metrics
from http_gateway.webhooks import providers as provider_webhooks
from http_gateway.webhooks import telegram as telegram_webhooks
from http_gateway.webhooks.telegram import WebhookBots
from sdk.client import BillingHubClient


def create_app(client: BillingHubClient, bots: WebhookBots | None = None) -> Quart:
    """An app serving every blueprint through `client` (the caller owns and closes the client);
    with `bots`, it also serves the Telegram updates of the tenant bots in webhook mode."""
    app = Quart(__name__)
    attach_client(app, client)
    app.config["MAX_CONTENT_LENGTH"] = provider_webhooks.MAX_BODY
    app.register_blueprint(health.blueprint)
    app.register_blueprint(provider_webhooks.blueprint)
    app.register_blueprint(telegram_webhooks.blueprint)
    if bots is not None:
        telegram_webhooks.attach_bots(app, bots)
    api_v1.install(app)
    register_error_handlers(app)
    install_metrics(app)
    return app
