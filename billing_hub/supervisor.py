"""`billing-hub up`: the whole hub on one machine, as child processes kept alive.

Order matters: the schema is migrated first, the gateways start only once the core answers
SERVING (they would only log connection errors before), and on shutdown the gateways stop first
so their in-flight calls can still reach the core. A child that dies unexpectedly is restarted
with exponential backoff; one that has run for a while before dying starts over at the shortest
delay. Children run in their own session, so a Ctrl-C in the terminal reaches only this process,
which then stops the children in order (SIGTERM, then SIGKILL after the grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict

from sdk.client import BillingHubClient
from sdk.errors import BillingHubError
from sdk.interceptors import NO_RETRY
from sdk.logs import configure_logging

log = structlog.get_logger("billinghub.supervisor")

# the packages `billing-hub` starts, each as `python -m <module>`
CORE_MODULE = "core_server"
MIGRATE_MODULE = "core_server.store.migrate"
HTTP_MODULE = "http_gateway"
BOTS_MODULE = "bot_gateway"

# health is open to any caller; the SDK client still wants a key to send
HEALTH_PROBE_KEY = "health-probe"


class HubSettings(BaseSettings):
    """What `up` reads of the hub's configuration: where the core and the HTTP gateway will listen,
    and how to log.

    The variables and defaults are those of the core's and the HTTP gateway's own settings (a test
    keeps them equal); `up` reads them itself because it starts those packages as processes and
    imports none of them.
    """

    model_config = SettingsConfigDict(env_prefix="BILLING_HUB_", env_file=".env", extra="ignore")

    grpc_listen: str = "127.0.0.1:50051"
    http_listen: str = "127.0.0.1:8080"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "info"


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """A child process: a name for the logs and its command line."""

    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Timing:
    """The supervisor's clocks, in seconds (tests shorten them)."""

    health_timeout: float = 30.0
    health_interval: float = 0.5
    grace: float = 15.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    stable_after: float = 60.0


def python_module(name: str, module: str, *args: str) -> ChildSpec:
    """A child running `python -m module args` with this interpreter."""
    return ChildSpec(name, (sys.executable, "-m", module, *args))


class Child:
    """One supervised process."""

    def __init__(self, spec: ChildSpec, env: Mapping[str, str]) -> None:
        self.spec = spec
        self._env = dict(env)
        self.process: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(*self.spec.argv, env=self._env, start_new_session=True)
        log.info("started", child=self.spec.name, pid=self.process.pid)

    def send(self, signum: signal.Signals) -> None:
        if self.process is not None and self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    async def wait(self, within: float) -> bool:
        """True when the process has exited within `within` seconds."""
        if self.process is None:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), timeout=max(within, 0.0))
        return not self.running


class Supervisor:
    """Starts the children in order, keeps them alive and stops them in reverse order."""

    def __init__(
        self,
        core: ChildSpec,
        gateways: Sequence[ChildSpec],
        *,
        target: str,
        migrate: ChildSpec | None = None,
        env: Mapping[str, str] | None = None,
        timing: Timing | None = None,
    ) -> None:
        env = dict(os.environ if env is None else env)
        self._core = Child(core, env)
        self._gateways = [Child(spec, env) for spec in gateways]
        self._migrate = Child(migrate, env) if migrate else None
        self._target = target
        self._timing = timing or Timing()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask `run` to shut everything down (safe to call from a signal handler)."""
        self._stop.set()

    async def run(self) -> int:
        """0 after a requested stop; non-zero when migration or the core's start failed."""
        if self._migrate is not None:
            await self._migrate.start()
            code = await self._migrate.process.wait() if self._migrate.process else 1
            if code != 0:
                log.error("migration failed, not starting", returncode=code)
                return code
        if self._stop.is_set():
            return 0
        await self._core.start()
        if not await self._core_serving():
            await self._shutdown()
            return 0 if self._stop.is_set() else 1
        for child in self._gateways:
            await child.start()
        watchers = [asyncio.create_task(self._keep_alive(child)) for child in (self._core, *self._gateways)]
        await self._stop.wait()
        await asyncio.gather(*watchers)
        await self._shutdown()
        return 0

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        return self._stop.is_set()

    async def _core_serving(self) -> bool:
        timing = self._timing
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timing.health_timeout
        async with BillingHubClient(self._target, HEALTH_PROBE_KEY, retry=NO_RETRY) as client:
            while loop.time() < deadline:
                if not self._core.running:
                    code = self._core.process.returncode if self._core.process else None
                    log.error("core exited while starting", returncode=code)
                    return False
                with contextlib.suppress(BillingHubError):
                    if await client.health(timeout=timing.health_interval) == "SERVING":
                        log.info("core serving", target=self._target)
                        return True
                if await self._stopped_within(timing.health_interval):
                    return False
        log.error("core not serving in time", target=self._target, timeout_seconds=timing.health_timeout)
        return False

    async def _keep_alive(self, child: Child) -> None:
        """Restart `child` whenever it exits, until stop; backoff grows with quick deaths."""
        timing = self._timing
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stop.is_set():
            started = loop.time()
            assert child.process is not None  # started before its watcher
            exited = asyncio.create_task(child.process.wait())
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            exited.cancel()
            stopping.cancel()
            if self._stop.is_set():
                return
            failures = 1 if loop.time() - started >= timing.stable_after else failures + 1
            delay = min(timing.backoff_max, timing.backoff_initial * 2 ** (failures - 1))
            log.warning(
                "child exited, restarting", child=child.spec.name, returncode=child.process.returncode, restart_in=delay
            )
            if await self._stopped_within(delay):
                return
            await child.start()

    async def _shutdown(self) -> None:
        """SIGTERM the gateways, then the core, sharing one grace period; SIGKILL what remains."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timing.grace
        for group in (self._gateways, [self._core]):
            for child in group:
                child.send(signal.SIGTERM)
            for child in group:
                await child.wait(deadline - loop.time())
        for child in (*self._gateways, self._core):
            if child.running:
                log.warning("killing child after the grace period", child=child.spec.name)
                child.send(signal.SIGKILL)
                await child.wait(5.0)
        log.info("all children stopped")


def connect_address(listen: str) -> str:
    """Where to reach a server listening on `listen`: a wildcard host becomes loopback."""
    host, _, port = listen.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):  # noqa: S104  # we only compare, we do not bind
        host = "[::1]" if host == "[::]" else "127.0.0.1"
    return f"{host}:{port}"


def run_supervisor(target: str | None) -> int:
    """Run the hub from the configured settings until SIGTERM/SIGINT; the process exit code."""
    settings = HubSettings()
    configure_logging(settings.log_format, settings.log_level, "billing-hub")
    target = target or os.environ.get("BILLING_HUB_CORE_TARGET") or connect_address(settings.grpc_listen)
    # the gateways reach the core where the supervisor does
    env = {**os.environ, "BILLING_HUB_CORE_TARGET": target}
    supervisor = Supervisor(
        python_module("core", CORE_MODULE),
        [python_module("http", HTTP_MODULE), python_module("bots", BOTS_MODULE)],
        target=target,
        migrate=python_module("migrate", MIGRATE_MODULE),
        env=env,
    )

    async def main() -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, supervisor.stop)
        return await supervisor.run()

    return asyncio.run(main())
