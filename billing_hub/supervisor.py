"""`billing-hub up`: the whole hub on one machine, as child processes kept alive.

Before anything starts, `up` checks that the addresses the core (`BILLING_HUB_GRPC_LISTEN`) and the
HTTP gateway (`BILLING_HUB_HTTP_LISTEN`) will listen on are free, and refuses with one line naming
the port and the variable otherwise: a port held by another process would otherwise answer for
our core. Then order matters: the schema is migrated first, the gateways start only once *our*
core is serving (see `Supervisor`), and on shutdown the gateways stop first so their in-flight
calls can still reach the core.

A child that dies unexpectedly is restarted with exponential backoff; one that has run for
`stable_after` seconds before dying starts over at the shortest delay. A child that keeps dying
young (more than `max_restarts` times in a row), or a core that cannot get started, is not
restarted forever: `up` stops everything and exits 1 with the reason. Children run in their own
session, so a Ctrl-C in the terminal reaches only this process, which then stops the children in
order (SIGTERM, then SIGKILL after the grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict

from sdk.client import BillingHubClient
from sdk.errors import BillingHubError
from sdk.interceptors import NO_RETRY
from sdk.logs import configure_logging
from sdk.settings_errors import load_settings

log = structlog.get_logger("billinghub.supervisor")

# the packages `billing-hub` starts, each as `python -m <module>`
CORE_MODULE = "core_server"
MIGRATE_MODULE = "core_server.store.migrate"
HTTP_MODULE = "http_gateway"
BOTS_MODULE = "bot_gateway"

# the core writes {"pid": ..., "port": ...} there once it serves (core_server.config.Settings.ready_file)
READY_FILE_VARIABLE = "BILLING_HUB_READY_FILE"
GRPC_LISTEN_VARIABLE = "BILLING_HUB_GRPC_LISTEN"
HTTP_LISTEN_VARIABLE = "BILLING_HUB_HTTP_LISTEN"

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


class PortInUse(Exception):
    """A port `up` would have a child listen on is not free; the message names the variable to change."""


def _split(listen: str) -> tuple[str, int | None]:
    host, _, port = listen.rpartition(":")
    try:
        return host.removeprefix("[").removesuffix("]"), int(port)
    except ValueError:
        return host, None  # malformed: the child that reads it reports that itself


def ensure_free(listen: str, variable: str) -> None:
    """Raise `PortInUse` when something already listens where `listen` ("host:port") would.

    Binds a probe socket to every address `listen` resolves to, as the child would. The probe sets
    SO_REUSEADDR (so connections of an earlier run lingering in TIME_WAIT do not count) but not
    SO_REUSEPORT, so any live listener on the port, another hub's included, makes the bind fail.
    Port 0 (any free port) is always free.
    """
    host, port = _split(listen)
    if not port:
        return
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return  # an unknown host: the child reports it
    for family, kind, protocol, _, address in addresses:
        try:
            probe = socket.socket(family, kind, protocol)
        except OSError:
            continue  # an address family this machine lacks; the child skips it as well
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
                probe.listen(1)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise PortInUse(
                        f"port {port} ({variable}={listen}) is already in use by another process; "
                        f"stop that process or set {variable} to a free address"
                    ) from None


def check_ports(settings: HubSettings) -> None:
    """The checks `up` makes before it starts anything: both listen ports free, and not the same one."""
    ensure_free(settings.grpc_listen, GRPC_LISTEN_VARIABLE)
    ensure_free(settings.http_listen, HTTP_LISTEN_VARIABLE)
    _, grpc_port = _split(settings.grpc_listen)
    _, http_port = _split(settings.http_listen)
    if grpc_port and grpc_port == http_port:
        raise PortInUse(
            f"{GRPC_LISTEN_VARIABLE} and {HTTP_LISTEN_VARIABLE} both use port {grpc_port}; "
            f"set {HTTP_LISTEN_VARIABLE} to another port"
        )


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """A child process: a name for the logs and its command line."""

    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Timing:
    """The supervisor's clocks, in seconds (tests shorten them), and its patience with dying children."""

    health_timeout: float = 30.0
    health_interval: float = 0.5
    grace: float = 15.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    stable_after: float = 60.0
    # restarts in a row of a child that died young (or of the core before it ever served) before giving up
    max_restarts: int = 5

    def backoff(self, failures: int) -> float:
        """The delay before the restart that follows the `failures`-th death in a row."""
        return min(self.backoff_max, self.backoff_initial * 2.0 ** (failures - 1))


def python_module(name: str, module: str, *args: str) -> ChildSpec:
    """A child running `python -m module args` with this interpreter."""
    return ChildSpec(name, (sys.executable, "-m", module, *args))


class Child:
    """One supervised process."""

    def __init__(self, spec: ChildSpec, env: Mapping[str, str]) -> None:
        self.spec = spec
        self.env = dict(env)
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(*self.spec.argv, env=self.env, start_new_session=True)
        self.started_at = asyncio.get_running_loop().time()
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


class CoreStart(StrEnum):
    """How one attempt to start the core ended."""

    SERVING = "serving"
    EXITED = "exited"
    TIMED_OUT = "timed_out"
    STOPPED = "stopped"


class Supervisor:
    """Starts the children in order, keeps them alive and stops them in reverse order.

    Readiness of the core cannot be answered by another process. For each run `up` makes a private
    folder (mode 0700) and passes a file in it to the core child in `BILLING_HUB_READY_FILE`; the
    core writes its pid there once its gRPC server has bound its port (it binds without
    SO_REUSEPORT, so it cannot share a port with anyone) and serves. The core counts as serving
    only when that file names the pid of the child this supervisor started, that child is still
    alive, and, after that, gRPC health at the gateways' target answers SERVING. A foreign server
    on the port can answer health, but it cannot write into the folder and does not have our
    child's pid; and `check_ports` has already refused a taken port before anything started.

    A core that exits before it serves is started again with backoff, at most `max_restarts`
    times; then `run` gives up. `failure` holds the reason whenever `run` returns 1.
    """

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
        self._ready_file: Path | None = None
        self.failure: str | None = None

    def stop(self) -> None:
        """Ask `run` to shut everything down (safe to call from a signal handler)."""
        self._stop.set()

    def _give_up(self, reason: str) -> None:
        """Record why `up` ends on its own and shut everything down."""
        log.error("giving up", reason=reason)
        self.failure = self.failure or reason
        self._stop.set()

    async def run(self) -> int:
        """0 after a requested stop; non-zero when migration failed or `up` gave up (`failure` says why)."""
        if self._migrate is not None:
            await self._migrate.start()
            code = await self._migrate.process.wait() if self._migrate.process else 1
            if code != 0:
                log.error("migration failed, not starting", returncode=code)
                return code
        if self._stop.is_set():
            return 0
        with tempfile.TemporaryDirectory(prefix="billing-hub-up-") as folder:
            self._ready_file = Path(folder) / "core.ready"
            self._core.env[READY_FILE_VARIABLE] = str(self._ready_file)
            return await self._run_children()

    async def _run_children(self) -> int:
        if not await self._start_core():
            await self._shutdown()
            return 1 if self.failure else 0
        for child in self._gateways:
            await child.start()
        watchers = [asyncio.create_task(self._keep_alive(child)) for child in (self._core, *self._gateways)]
        await self._stop.wait()
        await asyncio.gather(*watchers)
        await self._shutdown()
        return 1 if self.failure else 0

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        return self._stop.is_set()

    async def _start_core(self) -> bool:
        """Start the core until it serves; False on a stop, a timeout, or too many failed starts."""
        timing = self._timing
        failures = 0
        while True:
            assert self._ready_file is not None  # set by run
            self._ready_file.unlink(missing_ok=True)
            await self._core.start()
            outcome = await self._core_serving()
            if outcome is CoreStart.SERVING:
                return True
            if outcome is not CoreStart.EXITED:
                return False
            failures += 1
            code = self._core.returncode
            if failures > timing.max_restarts:
                self._give_up(
                    f"the core exited {failures} times while starting (last exit code {code}); see its log lines above"
                )
                return False
            delay = timing.backoff(failures)
            log.warning("core exited while starting, restarting", returncode=code, restart_in=delay)
            if await self._stopped_within(delay):
                return False

    def _ready_pid(self) -> int | None:
        """The pid in the ready file, or None while there is no (complete) file."""
        assert self._ready_file is not None
        try:
            pid = json.loads(self._ready_file.read_text(encoding="utf-8"))["pid"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return pid if isinstance(pid, int) else None

    async def _core_serving(self) -> CoreStart:
        """Wait until our core child reports ready and health answers at the target (see the class)."""
        timing = self._timing
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timing.health_timeout
        core = self._core
        ready = False
        async with BillingHubClient(self._target, HEALTH_PROBE_KEY, retry=NO_RETRY) as client:
            while loop.time() < deadline:
                if not core.running:
                    log.error("core exited while starting", returncode=core.returncode)
                    return CoreStart.EXITED
                assert core.process is not None  # it is running
                pid = core.process.pid
                ready = ready or self._ready_pid() == pid
                if ready:
                    with contextlib.suppress(BillingHubError):
                        status = await client.health(timeout=timing.health_interval)
                        if status == "SERVING" and core.running:
                            log.info("core serving", target=self._target, pid=pid)
                            return CoreStart.SERVING
                if await self._stopped_within(timing.health_interval):
                    return CoreStart.STOPPED
        if ready:
            self._give_up(
                f"the core is ready but does not answer health at {self._target}, where the gateways would "
                f"call it, within {timing.health_timeout:g}s; check BILLING_HUB_CORE_TARGET"
            )
        else:
            self._give_up(f"the core did not report ready within {timing.health_timeout:g}s")
        return CoreStart.TIMED_OUT

    async def _keep_alive(self, child: Child) -> None:
        """Restart `child` whenever it exits, until stop; backoff grows with quick deaths, which are bounded."""
        timing = self._timing
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stop.is_set():
            assert child.process is not None  # started before its watcher
            exited = asyncio.create_task(child.process.wait())
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            exited.cancel()
            stopping.cancel()
            if self._stop.is_set():
                return
            name, code = child.spec.name, child.returncode
            failures = 1 if loop.time() - child.started_at >= timing.stable_after else failures + 1
            if failures > timing.max_restarts:
                self._give_up(
                    f"the {name} process exited {failures} times in a row, each within "
                    f"{timing.stable_after:g}s of its start (last exit code {code})"
                )
                return
            delay = timing.backoff(failures)
            log.warning("child exited, restarting", child=name, returncode=code, restart_in=delay)
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
    settings = load_settings(HubSettings)  # a refused setting: one line, exit 2
    configure_logging(settings.log_format, settings.log_level, "billing-hub")
    try:
        check_ports(settings)
    except PortInUse as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
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

    code = asyncio.run(main())
    if supervisor.failure:
        print(f"error: {supervisor.failure}", file=sys.stderr)
    return code
