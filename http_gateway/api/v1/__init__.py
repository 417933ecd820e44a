"""The REST partner API, `/api/v1`: one endpoint per RPC a website needs, in the REST shape of the
contract (`proto_json`), documented at `/api/v1/openapi.json` and `/api/v1/docs`."""

from __future__ import annotations

from collections.abc import Iterable

from quart import Blueprint, Quart
from quart_schema import OpenAPIProvider, QuartSchema
from werkzeug.routing import Rule

from http_gateway.api.v1 import (
    bot_settings,
    catalog,
    orders,
    payments,
    promos,
    referrals,
    stats,
    subscriptions,
    tasks,
    topups,
    users,
    wallets,
    webhook_endpoints,
)

PREFIX = "/api/v1"
OPENAPI_PATH = f"{PREFIX}/openapi.json"
DOCS_PATH = f"{PREFIX}/docs"
RESOURCES = (
    users, wallets, catalog, orders, payments, promos, subscriptions, referrals, topups, tasks, stats,
    webhook_endpoints, bot_settings,
)  # fmt: skip


class _ApiOnly(OpenAPIProvider):
    """The document describes `/api/v1` only: provider webhooks and health are not partner API."""

    def generate_rules(self) -> Iterable[Rule]:
        return (rule for rule in super().generate_rules() if rule.rule.startswith(PREFIX + "/"))


def install(app: Quart) -> None:
    """Add `/api/v1` and its OpenAPI document to `app`."""
    api = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    for resource in RESOURCES:
        resource.register(api)
    app.register_blueprint(api)
    QuartSchema(
        app,
        openapi_path=OPENAPI_PATH,
        swagger_ui_path=DOCS_PATH,
        redoc_ui_path=None,
        scalar_ui_path=None,
        info={"title": "Billing Hub partner API", "version": "1"},
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        security=[{"bearer": []}],
        openapi_provider_class=_ApiOnly,
    )
