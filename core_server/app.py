"""The core process: settings -> database -> keys -> gRPC server, until SIGTERM.

On SIGTERM or SIGINT the health status turns NOT_SERVING, new calls are refused and calls in
flight get `shutdown_grace_seconds` to finish before the process exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

import httpx
import structlog

try:  # optional: pyproject installs it everywhere but Windows
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]

from core_server.api.server import CoreServer
from core_server.config import GATEWAY_KEY_FILE, MASTER_KEY_FILE, PLATFORM_KEY_FILE, Settings
from core_server.domain.actor import Role
from core_server.domain.auth_cache import AuthCache
from core_server.domain.deps import Deps
from core_server.domain.payments.stars_renewal_recovery import StarsRenewalRecovery
from core_server.domain.rate_limits import limits_by_role
from core_server.domain.tenancy.bootstrap import BootstrapError, KeySource, announce, ensure_key
from core_server.logs import configure_logging
from core_server.metrics import serve_metrics
from core_server.providers.http import new_client
from core_server.providers.registry import fulfillment_adapters, payment_adapters
from core_server.providers.webhook_http import HttpWebhookSender, webhook_client
from core_server.store.db import Database, open_database
from core_server.store.fastpath_pg import PgFastPath
from core_server.store.key_files import write_private_file
from core_server.store.migrate import pending_revision
from core_server.store.secret_box import MasterKeyError, SecretBox, load_or_create_key_file, parse_master_key
from core_server.workers.loops import Workers, core_loops
from sdk.gc_tuning import tune_gc
from sdk.settings_errors import load_settings

log = structlog.get_logger("billinghub.core")


class StartupError(Exception):
    """The core cannot start as configured; the message says what to do."""


def load_secret_box(settings: Settings) -> SecretBox:
    """The master key from the environment, or (embedded default only) from the data folder."""
    if settings.master_key is not None:
        return SecretBox(parse_master_key(settings.master_key.get_secret_value()))
    if not settings.is_embedded:
        raise MasterKeyError("BILLING_HUB_MASTER_KEY is required when the database is not the embedded SQLite")
    return SecretBox(load_or_create_key_file(settings.data_dir / MASTER_KEY_FILE))


async def prepare(
    settings: Settings,
    db: Database,
    http: httpx.AsyncClient | None = None,
    webhooks_http: httpx.AsyncClient | None = None,
) -> Deps:
    """Check the schema, build the dependencies and make sure the bootstrap keys exist. `http` is
    the payment adapters' client (none: no provider can be reached, as in tests of startup);
    `webhooks_http` the outbound webhooks' (none: the dispatcher does not run)."""
    behind = await pending_revision(db)
    if behind is not None:
        raise StartupError(f"the database schema is not at {behind}: run `billing-hub migrate` first")
    fastpath = None
    if db.dialect == "postgresql":
        fastpath = await PgFastPath.connect(
            settings.effective_database_url,
            settings.fastpath_pool_size,
            settings.charge_batches_in_flight,
            settings.read_batches_in_flight,
        )
    deps = Deps(
        db=db,
        secrets=load_secret_box(settings),
        auth_cache=AuthCache(settings.auth_cache_seconds),
        fastpath=fastpath,
        payment_adapters=payment_adapters(http) if http is not None else {},
        fulfillment_adapters=fulfillment_adapters(http) if http is not None else {},
        public_url=settings.public_url,
        rate_limits=limits_by_role(settings.rate_limit_settings),
        webhook_sender=HttpWebhookSender(webhooks_http) if webhooks_http is not None else None,
        webhooks_allow_loopback_http=settings.webhooks_allow_loopback_http,
    )
    deps.renewal_recovery = StarsRenewalRecovery(deps).recover
    embedded = settings.is_embedded
    platform_file = settings.data_dir / PLATFORM_KEY_FILE if embedded else None
    env_platform = settings.platform_key.get_secret_value() if settings.platform_key else None
    created = await ensure_key(deps, KeySource(Role.PLATFORM, env_platform, platform_file, "platform owner"))
    if created:
        announce(created, Role.PLATFORM, platform_file)
    env_gateway = settings.gateway_key.get_secret_value() if settings.gateway_key else None
    if env_gateway or embedded:
        gateway_file = settings.data_dir / GATEWAY_KEY_FILE if embedded else None
        await ensure_key(deps, KeySource(Role.GATEWAY, env_gateway, gateway_file, "local gateways"))
    return deps


async def serve(settings: Settings) -> None:
    db = open_database(
        settings.effective_database_url,
        pool_size=settings.db_pool_size,
        write_wait_seconds=settings.db_write_wait_seconds,
    )
    http = new_client()
    webhooks_http = webhook_client(allow_loopback=settings.webhooks_allow_loopback_http)
    try:
        deps = await prepare(settings, db, http, webhooks_http)
        core = CoreServer(deps)
        port = core.bind(settings.grpc_listen)
        await core.start()
        workers = Workers(core_loops(deps))
        workers.start()
        metrics = serve_metrics(settings.metrics_listen, deps.metrics) if settings.metrics_listen else None
        log.info(
            "core serving", listen=settings.grpc_listen, port=port, database=db.dialect, metrics=settings.metrics_listen
        )
        if settings.ready_file is not None:
            write_private_file(settings.ready_file, json.dumps({"pid": os.getpid(), "port": port}))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down", grace_seconds=settings.shutdown_grace_seconds)
        await core.stop(settings.shutdown_grace_seconds)
        await workers.stop()
        if metrics is not None:
            metrics.close()
        if deps.fastpath is not None:
            await deps.fastpath.close()
        log.info("core stopped")
    finally:
        await http.aclose()
        await webhooks_http.aclose()
        await db.dispose()


def run(main_coroutine: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it is installed (Linux, macOS): the event loop's own overhead is a large
    share of a cheap call's CPU (bench/ledger.py), and uvloop roughly halves it."""
    if uvloop is None:
        asyncio.run(main_coroutine)
        return
    uvloop.run(main_coroutine)


def main() -> None:
    settings = load_settings(Settings)  # a refused setting: one line, exit 2
    configure_logging(settings.log_format, settings.log_level)
    tune_gc()  # a call allocates hundreds of objects: far fewer collections (sdk/gc_tuning.py)
    try:
        run(serve(settings))
    except (StartupError, MasterKeyError, BootstrapError) as error:
        log.error("cannot start", error=str(error))
        sys.exit(2)
