"""Outbound webhook tests: a core whose clock the test moves and which allows plain http to
loopback, receivers on 127.0.0.1 that check every request with sdk.verify_webhook, and a
dispatcher the test runs step by step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import text

from core_server.domain.clock import FrozenClock
from core_server.domain.webhooks.dispatcher import DispatchPolicy, WebhookDispatcher
from core_server.providers.webhook_http import HttpWebhookSender, webhook_client
from core_server.store.db import Database
from sdk import WebhookSignatureError, verify_webhook
from sdk.billinghub.v1 import webhook_service_pb2 as pb
from tests.hub import Hub, TenantHandle, start_hub


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    event: dict[str, Any] | None  # None when no secret of the receiver verified it
    verified_with: list[str] = field(default_factory=list)


class Receiver:
    """A tenant's endpoint: answers `status` (after `delay` seconds), records every request, and
    verifies each with the secrets it knows, at the hub's (frozen) time."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.secrets: list[str] = []
        self.status = 200
        self.delay = 0.0
        self.location = ""
        self.received: list[Received] = []
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        app.router.add_post("/elsewhere", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp's started server
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        event, used = None, []
        for secret in self.secrets:
            try:
                event = verify_webhook(secret, headers, body, now=self.clock.now().timestamp())
                used.append(secret)
            except WebhookSignatureError:
                pass
        self.received.append(Received(request.path, headers, body, event, used))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.location:
            return web.Response(status=self.status, headers={"Location": self.location})
        return web.Response(status=self.status, text="ok")

    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received if r.event is not None]


NewReceiver = Callable[[], Awaitable[Receiver]]


@pytest.fixture
async def webhook_hub(database: Database, clock: FrozenClock) -> AsyncIterator[Hub]:
    running = await start_hub(database, database.dialect, clock=clock)
    running.deps.webhooks_allow_loopback_http = True  # the receivers listen on http://127.0.0.1
    await _switch_off_every_endpoint(running)
    yield running
    await _switch_off_every_endpoint(running)
    await running.close()
    await running.server.stop(0)


async def _switch_off_every_endpoint(hub: Hub) -> None:
    """The session's database holds the endpoints of earlier tests (here and in tests/rest), whose
    receivers are gone: a later test's dispatcher, with a later clock, would find their retries
    due and POST them to closed ports, or to this test's receiver when the port is reused. A
    switched-off endpoint's deliveries wait, so each test's dispatcher sees only its own."""
    async with hub.deps.uow() as uow:
        await uow.session.execute(text("UPDATE webhook_endpoints SET enabled = false"))
        await uow.commit()


@pytest.fixture
async def receivers(clock: FrozenClock) -> AsyncIterator[NewReceiver]:
    started: list[Receiver] = []

    async def new() -> Receiver:
        receiver = Receiver(clock)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield new
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def dispatcher(webhook_hub: Hub) -> AsyncIterator[WebhookDispatcher]:
    client = webhook_client(allow_loopback=True)
    running = WebhookDispatcher(webhook_hub.deps, HttpWebhookSender(client), DispatchPolicy(timeout=1.0))
    yield running
    await running.drain()
    await client.aclose()


async def add_endpoint(shop: TenantHandle, receiver: Receiver, types: list[str] | None = None) -> str:
    """An endpoint of the shop at the receiver, which learns its secret; returns the endpoint id."""
    response = await shop.admin.webhooks.CreateWebhookEndpoint(
        pb.CreateWebhookEndpointRequest(url=receiver.url, event_types=types or [])
    )
    receiver.secrets.append(response.secret)
    return str(response.webhook_endpoint.id)


async def step(hub: Hub, dispatcher: WebhookDispatcher) -> int:
    """One dispatcher step once every event written so far is readable (PostgreSQL's horizon)."""
    await hub.events_settled()
    return await dispatcher.run_due()


async def deliveries(shop: TenantHandle, endpoint_id: str = "") -> list[Any]:
    response = await shop.admin.webhooks.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id))
    return list(response.webhook_deliveries)
