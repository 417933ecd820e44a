"""`/api/v1/webhook-endpoints`: a tenant admin points the hub's signed event deliveries at its site,
watches the deliveries and sends one again (see the README's "Outbound webhooks")."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "webhook endpoints"
ENDPOINTS = "/webhook-endpoints"
ONE = ENDPOINTS + "/<webhook_endpoint_id>"


def register(api: Blueprint) -> None:
    service = "WebhookEndpointService"
    expose(
        api, "POST", ENDPOINTS, f"{service}.CreateWebhookEndpoint", resource=TAG,
        summary="Deliver the tenant's events (all, or the `event_types` named; `order.*` names a family) to an "
        "https URL. The answer holds the signing secret; it is shown only this once.",
    )  # fmt: skip
    expose(api, "GET", ENDPOINTS, f"{service}.ListWebhookEndpoints", resource=TAG, summary="The tenant's endpoints.")
    expose(api, "GET", ONE, f"{service}.GetWebhookEndpoint", resource=TAG, unwrap="webhook_endpoint", summary="One.")
    expose(
        api, "PATCH", "/webhook-endpoints/<id>", f"{service}.UpdateWebhookEndpoint", resource=TAG,
        body="webhook_endpoint", unwrap="webhook_endpoint",
        summary="Change the fields the body names (url, event_types, description; `enabled: false` stops "
        "deliveries until it is true again).",
    )  # fmt: skip
    expose(
        api, "POST", ONE + "/rotate-secret", f"{service}.RotateWebhookSecret", resource=TAG,
        summary="A new signing secret, shown only this once; the old one keeps signing beside it for "
        "`grace_period_seconds` (default 24 h), so the receiver can switch without losing an event.",
    )  # fmt: skip
    expose(
        api, "GET", "/webhook-deliveries", f"{service}.ListWebhookDeliveries", resource=TAG,
        summary="Deliveries (of one endpoint, of one status): attempts, the last answer, the next attempt.",
    )  # fmt: skip
    expose(
        api, "POST", "/webhook-endpoints/<endpoint_id>/redeliveries", f"{service}.RedeliverEvent", resource=TAG,
        summary="Send an event this endpoint had (dead or delivered) again, as a new series of attempts.",
    )  # fmt: skip
