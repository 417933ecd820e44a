"""How views reach the SDK client: through the app, not a module global, so tests can swap it."""

from __future__ import annotations

from quart import Quart, current_app

from sdk.client import BillingHubClient

CLIENT_KEY = "billing_hub_client"


def attach_client(app: Quart, client: BillingHubClient) -> None:
    """Make `client` the one `hub_client()` returns inside `app`."""
    app.extensions[CLIENT_KEY] = client


def hub_client() -> BillingHubClient:
    """The SDK client of the current app."""
    client: BillingHubClient = current_app.extensions[CLIENT_KEY]
    return client
