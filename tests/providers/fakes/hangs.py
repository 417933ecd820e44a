"""Ending a fake's hung requests when it stops, so a `fail_next("hang")` test costs its client
timeout and not aiohttp's 60-second graceful shutdown (the handler sleeps for an hour).

aiohttp runs the app's on_shutdown hooks before it waits for the handlers still running; the hook
added here cancels them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

_RUNNING: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("running_requests")


def release_hung_requests_on_shutdown(app: web.Application) -> None:
    """Call before serving `app` (a `new_app()`): its requests are tracked from the outermost
    middleware, and those still running at shutdown are cancelled."""
    if _RUNNING in app:
        return
    app[_RUNNING] = set()
    app.middlewares.insert(0, _track)
    app.on_shutdown.append(_cancel_running)


@web.middleware
async def _track(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    task = asyncio.current_task()
    if task is None:
        return await handler(request)
    running = request.app[_RUNNING]
    running.add(task)
    try:
        return await handler(request)
    finally:
        running.discard(task)


async def _cancel_running(app: web.Application) -> None:
    running = app[_RUNNING]
    for task in list(running):
        task.cancel()
