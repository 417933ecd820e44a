"""`python -m bot_gateway`: run every tenant bot until SIGTERM or SIGINT.

The process owns the SDK client (one channel to the core for all bots) and the FSM/anti-flood
state (memory, or Redis with `BILLING_HUB_REDIS_URL`), and closes both after the runner has
stopped every bot. It polls the bots in polling mode; the HTTP gateway serves those in webhook mode.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import structlog

try:  # optional: pyproject installs it everywhere but Windows
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]

from bot_gateway.bot_settings import BotSettingsCache
from bot_gateway.broadcasts.progress import ProgressBoard
from bot_gateway.dispatcher import build_dispatcher
from bot_gateway.export_jobs import ExportJobs
from bot_gateway.i18n import build_i18n
from bot_gateway.middlewares.registration import UserRegistry
from bot_gateway.redis_state import build_state
from bot_gateway.runner import BotRunner
from bot_gateway.settings import BotGatewaySettings
from sdk.client import BillingHubClient
from sdk.credentials import MissingApiKey, key_id
from sdk.gc_tuning import tune_gc
from sdk.logs import configure_logging
from sdk.settings_errors import load_settings

log = structlog.get_logger("bot_gateway")


async def run(settings: BotGatewaySettings, api_key: str) -> None:
    """Run the bots until a termination signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    state = build_state(settings.redis_url)
    try:
        async with BillingHubClient(settings.core_target, api_key) as client:
            log.info(
                "bot gateway starting",
                core=settings.core_target,
                key_id=key_id(api_key),
                redis=bool(settings.redis_url),
            )
            # one cache of bot settings and one user registry for the dispatcher and the notifiers
            bot_settings = BotSettingsCache(settings.bot_settings_refresh_seconds)
            registry, i18n = UserRegistry(), build_i18n()
            board = ProgressBoard(i18n)  # the admins' broadcast progress messages
            exports = ExportJobs()  # the admins' exports running in the background
            runner = BotRunner(
                client,
                build_dispatcher(
                    state.storage,
                    i18n=i18n,
                    limiter=state.limiter,
                    registry=registry,
                    settings=bot_settings,
                    broadcast_board=board,
                    export_jobs=exports,
                ),
                polling_timeout=settings.polling_timeout_seconds,
                settings=bot_settings,
                registry=registry,
                i18n=i18n,
                board=board,
                exports=exports,
                **settings.runner_options(),
            )
            await runner.run(stop)
    finally:
        await state.close()


def main() -> int:
    """Entry point; returns the process exit code."""
    settings = load_settings(BotGatewaySettings)  # a refused setting: one line, exit 2
    configure_logging(settings.log_format, settings.log_level, "bot_gateway")
    try:
        api_key = settings.api_key()
    except MissingApiKey as error:
        log.error("cannot start", error=str(error))
        return 1
    tune_gc()  # a handled update allocates hundreds of objects: fewer collections (sdk/gc_tuning.py)
    # uvloop where installed, as the core runs: the loop's own overhead is a large share of an update
    if uvloop is None:
        asyncio.run(run(settings, api_key))
    else:
        uvloop.run(run(settings, api_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
