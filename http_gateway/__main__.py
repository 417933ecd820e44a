"""`python -m http_gateway`: serve the app with hypercorn until SIGTERM or SIGINT.

The process owns the SDK client (one channel to the core for every request) and closes it after
hypercorn has drained in-flight requests. With `BILLING_HUB_PUBLIC_URL` set it also hosts the tenant
bots in webhook mode (`http_gateway/webhooks/telegram.py`), stopped with the server.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import structlog

try:  # optional: pyproject installs it everywhere but Windows
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]
from hypercorn.asyncio import serve
from hypercorn.config import Config

from http_gateway.app import create_app
from http_gateway.settings import HttpGatewaySettings
from http_gateway.webhooks.telegram import bot_host
from sdk.client import BillingHubClient
from sdk.credentials import MissingApiKey, key_id
from sdk.gc_tuning import tune_gc
from sdk.logs import configure_logging
from sdk.settings_errors import load_settings

log = structlog.get_logger("http_gateway")


async def serve_forever(settings: HttpGatewaySettings, api_key: str) -> None:
    """Run until a termination signal, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    config = Config()
    config.bind = [settings.http_listen]
    config.graceful_timeout = settings.shutdown_grace_seconds
    # hypercorn's own handlers would print a second, differently formatted copy of each line
    config.accesslog = logging.getLogger("hypercorn.access")
    config.errorlog = logging.getLogger("hypercorn.error")
    async with BillingHubClient(settings.core_target, api_key) as client:
        log.info(
            "http gateway starting", listen=settings.http_listen, core=settings.core_target, key_id=key_id(api_key)
        )
        host = bot_host(client)
        bots = asyncio.create_task(host.run(stop), name="webhook bots") if host else None
        try:
            await serve(create_app(client, host.webhooks if host else None), config, shutdown_trigger=stop.wait)
        finally:
            stop.set()
            if bots is not None:
                await bots
    log.info("http gateway stopped")


def main() -> int:
    """Entry point; returns the process exit code."""
    settings = load_settings(HttpGatewaySettings)  # a refused setting: one line, exit 2
    configure_logging(settings.log_format, settings.log_level, "http_gateway")
    try:
        api_key = settings.api_key()
    except MissingApiKey as error:
        log.error("cannot start", error=str(error))
        return 1
    # the tenant bots in webhook mode are served here: the same loop and collector settings as the
    # bot gateway's (bench/bots.py measures that path)
    tune_gc()
    if uvloop is None:
        asyncio.run(serve_forever(settings, api_key))
    else:
        uvloop.run(serve_forever(settings, api_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
