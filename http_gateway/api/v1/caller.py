"""Who is calling: the REST caller's own API key, passed to the core as is.

The gateway has no rights of its own for `/api/v1`: each call reaches the core with the caller's
key, so the core authenticates it, finds the tenant from it and applies its role and rate limit,
exactly as for a gRPC caller. Only partner and tenant-admin keys are for this API; the gateway
refuses other roles by the key's visible prefix before calling (the core would refuse most of
their calls anyway, with less helpful errors: a platform key acts in no tenant).
"""

from __future__ import annotations

from quart import request

from http_gateway.context import hub_client
from http_gateway.errors import CallerRefused
from sdk.client import BillingHubClient

ROLE_PREFIXES = ("bh_partner_", "bh_tenant_admin_")


def caller() -> BillingHubClient:
    """A view of the gateway's client that calls with the request's bearer key."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise CallerRefused(401, "UNAUTHENTICATED", "send `Authorization: Bearer <api key>`")
    if not key.startswith(ROLE_PREFIXES):
        raise CallerRefused(403, "PERMISSION_DENIED", "this API takes partner and tenant_admin keys")
    return hub_client().with_api_key(key)
