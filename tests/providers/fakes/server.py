"""Running a fake provider: an aiohttp app on a free loopback port for the length of a block.

Each fake records the requests it received (`Recorded`) so tests can check what the adapter sent
(headers, raw body), and can be told to misbehave (`fail_next`: answer 5xx, hang past the
client's timeout) to exercise the unknown-outcome paths. A hang lasts until the server stops, so
stopping it does not wait for the hung handlers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from aiohttp import web

# What adapters under test wait for. A hang is a read that never ends, so only the read timeout must
# be short; connecting to loopback can still take a while when the machine running the suite is
# busy (the loop is stalled, not the fake), and that must not read as an unreachable provider.
CLIENT_TIMEOUT = httpx.Timeout(1.0, connect=15.0, pool=15.0)
# For adapters that set their own timeouts per call (Fragment): a hang times out fast, connecting not.
HANG_TIMEOUT = httpx.Timeout(0.3, connect=15.0, pool=15.0)


def adapter_client() -> httpx.AsyncClient:
    """The HTTP client an adapter under test gets."""
    return httpx.AsyncClient(timeout=CLIENT_TIMEOUT, follow_redirects=False, trust_env=False)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Misbehaviour:
    """What the next requests get instead of an answer: a status to send, or a hang."""

    queue: list[int | str] = field(default_factory=list)  # 500, 503, 400, ... or "hang"

    def fail_next(self, *how: int | str) -> None:
        self.queue.extend(how)


@web.middleware
async def _record_and_misbehave(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    body = await request.read()
    request.app[RECORDED].append(
        Recorded(request.method, request.path, {k.lower(): v for k, v in request.headers.items()}, body)
    )
    misbehaviour: Misbehaviour = request.app[MISBEHAVIOUR]
    if misbehaviour.queue:
        how = misbehaviour.queue.pop(0)
        if how == "hang":
            await hang(request)
            return web.Response(status=504, text="fake hang")
        return web.Response(status=int(how), text="fake failure")
    return await handler(request)


RECORDED: web.AppKey[list[Recorded]] = web.AppKey("recorded", list)
MISBEHAVIOUR: web.AppKey[Misbehaviour] = web.AppKey("misbehaviour", Misbehaviour)
STOPPING: web.AppKey[asyncio.Event] = web.AppKey("stopping", asyncio.Event)


async def hang(request: web.Request) -> None:
    """Do not answer until the server stops (at most an hour)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(request.app[STOPPING].wait(), 3600)


class ServedApp:
    """What a fake holding its aiohttp `app` offers tests: the requests it recorded and the
    misbehaviour queue of its next answers."""

    app: web.Application

    @property
    def recorded(self) -> list[Recorded]:
        return self.app[RECORDED]

    @property
    def misbehaviour(self) -> Misbehaviour:
        return self.app[MISBEHAVIOUR]


def new_app() -> web.Application:
    app = web.Application(middlewares=[_record_and_misbehave])
    app[RECORDED] = []
    app[MISBEHAVIOUR] = Misbehaviour()
    app[STOPPING] = asyncio.Event()
    return app


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 on a free port; yields its base URL (no trailing slash)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app[STOPPING].set()
        await runner.cleanup()
