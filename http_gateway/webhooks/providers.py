"""`POST /webhooks/<tenant_id>/<provider>`: a payment provider's notification, forwarded raw.

Nothing is parsed or verified here: the raw headers and body go to the core's
IngestProviderWebhook, which verifies the signature with the tenant's secret (secrets never leave
the core) and says what to answer. Providers whose notifications are unsigned get a secret in the
URL (`?secret=...`); it travels to the core as the `x-billing-hub-url-secret` header, and a header
of that name sent by the caller is dropped so only the URL can carry it. Each notification is
counted by provider and the outcome the core answered (http_gateway/metrics.py).
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache

import structlog
from quart import Blueprint, Response, request

from http_gateway.context import hub_client
from http_gateway.metrics import app_metrics
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import payment_service_pb2_grpc
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

log = structlog.get_logger(__name__)
blueprint = Blueprint("provider_webhooks", __name__)

MAX_BODY = 1024 * 1024  # the core refuses more; the gateway stops reading there (413)
URL_SECRET_HEADER = "x-billing-hub-url-secret"  # noqa: S105  # a header name, not a secret
PROVIDER_NAME = re.compile(r"^[a-z0-9_]{2,32}$")
# the core's outcomes as the ingest metric labels them: "applied", "refused", ...
_OUTCOMES = {
    value.number: value.name.removeprefix("WEBHOOK_OUTCOME_").lower() for value in pb.WebhookOutcome.DESCRIPTOR.values
}


def _not_found() -> Response:
    return Response(b"not found", status=404, content_type="text/plain")


@lru_cache(maxsize=4096)
def _payments(client: BillingHubClient, tenant_id: str) -> payment_service_pb2_grpc.PaymentServiceStub:
    """The tenant's PaymentService stub (one view of the gateway's channel per tenant, reused)."""
    return client.for_tenant(tenant_id).payments


@blueprint.post("/webhooks/<tenant_id>/<provider>")
async def provider_webhook(tenant_id: str, provider: str) -> Response:
    try:
        tenant = str(uuid.UUID(tenant_id))
    except ValueError:
        return _not_found()
    if not PROVIDER_NAME.match(provider):
        return _not_found()
    body = await request.get_data(cache=False, as_text=False)
    assert isinstance(body, bytes)
    headers = {name.lower(): value for name, value in request.headers.items() if name.lower() != URL_SECRET_HEADER}
    secret = request.args.get("secret")
    if secret is not None:
        headers[URL_SECRET_HEADER] = secret
    metrics = app_metrics()
    try:
        answer = await _payments(hub_client(), tenant).IngestProviderWebhook(
            pb.IngestProviderWebhookRequest(provider=provider, headers=headers, body=body)
        )
    except BillingHubError:
        if metrics is not None:
            metrics.webhook_ingested(provider, "error")
        raise
    if metrics is not None:
        metrics.webhook_ingested(provider, _OUTCOMES.get(answer.outcome, "unspecified"))
    log.info(
        "provider webhook",
        tenant=tenant,
        provider=provider,
        outcome=pb.WebhookOutcome.Name(answer.outcome),
        status=answer.http_status,
        payment=answer.payment_id,
    )
    return Response(answer.body, status=answer.http_status, content_type=answer.content_type or "text/plain")
