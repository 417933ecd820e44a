"""Fixtures of the REST tests: the gateway app once per session and backend, a site per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart import Quart

from http_gateway.app import create_app
from sdk.billinghub.v1 import tenant_pb2
from sdk.client import BillingHubClient
from sdk.interceptors import NO_RETRY
from tests.hub import Hub
from tests.rest.site import Site


@pytest.fixture(scope="session")
async def rest_app(hub: Hub) -> AsyncIterator[Quart]:
    # the gateway's own key, as deployed: provider webhooks (POST /webhooks/...) call with it; it is
    # never used for /api/v1 calls, each of which brings its own key
    gateway_key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="rest http gateway")
    async with BillingHubClient(hub.target, gateway_key, retry=NO_RETRY) as client:
        yield create_app(client)


@pytest.fixture
async def site(hub: Hub, rest_app: Quart) -> Site:
    tenant = await hub.new_tenant("REST shop")
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, tenant.id, "website")
    return Site(hub, rest_app, rest_app.test_client(), tenant, key)
