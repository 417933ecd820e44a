"""`make run` as a test: the real `billing-hub up` in a fresh folder, used the way a person would.

One hub (migrate, core, HTTP gateway, bot gateway) is started for the module in an empty working
directory, so `./data/` is created from nothing. The tests then talk to it through gRPC health and
reflection, the HTTP gateway, the `billing-hub` CLI and the SDK, and the last one stops it with
SIGTERM. The tests run in file order and `test_sigterm_stops_every_process` must stay last.
Whatever happens, the fixture kills every process it started (recognised by a marker variable in
their environment, since `up` runs its children in sessions of their own).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import psutil  # type: ignore[import-untyped]
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from sdk.billinghub.v1 import common_pb2, platform_service_pb2, user_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError, InvalidArgument, NotFound, Unauthenticated
from sdk.interceptors import NO_RETRY

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
CLI_TIMEOUT = 30.0
MARKER_VARIABLE = "BILLING_HUB_E2E_RUN"  # ignored by the hub's settings (extra="ignore"), inherited by every child
SERVICES = [
    f"billinghub.v1.{name}"
    for name in (
        "PlatformService",
        "UserService",
        "GatewayService",
        "CatalogService",
        "WalletService",
        "EventService",
        "AuditService",
    )
]


def billing_hub_command() -> list[str]:
    """The console script next to this interpreter, as a user's shell would find it in the venv."""
    script = Path(sys.executable).with_name("billing-hub")
    return [str(script)] if script.exists() else [sys.executable, "-m", "billing_hub"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class RunningHub:
    """A `billing-hub up` process and how to reach what it runs."""

    workdir: Path
    process: subprocess.Popen[bytes]
    grpc_target: str
    http_url: str
    env: dict[str, str]
    marker: str
    # the tenant and key the CLI test creates, for the tests after it
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    def logs(self) -> str:
        """What `up` and its children printed so far (for failure messages)."""
        parts = []
        for name in ("up.stdout", "up.stderr"):
            path = self.workdir / name
            parts.append(f"--- {name}\n{path.read_text(errors='replace') if path.exists() else ''}")
        return "\n".join(parts)[-6000:]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `billing-hub ARGS` in the hub's folder, as a user in a second terminal would."""
        env = {**self.env, "BILLING_HUB_CORE_TARGET": self.grpc_target}
        return subprocess.run(
            [*billing_hub_command(), *args],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    def our_processes(self) -> list[psutil.Process]:
        """Every live process carrying this run's marker (`up`, its children, stray grandchildren)."""
        found = []
        for process in psutil.process_iter():
            with suppress(psutil.Error):
                if process.environ().get(MARKER_VARIABLE) == self.marker and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
        return found

    def kill_everything(self) -> None:
        """SIGKILL `up`'s process group and every process with the marker; reap `up`."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for process in self.our_processes():
            with suppress(psutil.Error):
                process.kill()
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def start_up(workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `billing-hub up` in its own session, its output in files of the folder."""
    with (workdir / "up.stdout").open("wb") as out, (workdir / "up.stderr").open("wb") as err:
        return subprocess.Popen(
            [*billing_hub_command(), "up"], cwd=workdir, env=env, stdout=out, stderr=err, start_new_session=True
        )


async def wait_until_serving(hub: RunningHub) -> None:
    """Poll gRPC health through the SDK until SERVING; fail early if `up` dies."""
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer yet"
    async with BillingHubClient(hub.grpc_target, "", retry=NO_RETRY) as client:  # health needs no key
        while time.monotonic() < deadline:
            if hub.process.poll() is not None:
                pytest.fail(f"`billing-hub up` exited with {hub.process.returncode} while starting\n{hub.logs()}")
            try:
                last = await client.health(timeout=1.0)
            except BillingHubError as error:
                last = error.code.name
            if last == "SERVING":
                return
            await asyncio.sleep(0.2)
    pytest.fail(f"the core was not SERVING within {START_TIMEOUT:.0f}s (last: {last})\n{hub.logs()}")


@pytest.fixture(scope="module")
async def hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningHub]:
    workdir = tmp_path_factory.mktemp("hub-up")
    grpc_port, http_port = free_port(), free_port()
    while http_port == grpc_port:
        http_port = free_port()
    marker = uuid.uuid4().hex
    # nothing of the developer's configuration leaks in: no BILLING_HUB_* variable, no .env (fresh folder)
    env = {name: value for name, value in os.environ.items() if not name.startswith("BILLING_HUB_")}
    env |= {
        "BILLING_HUB_GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
        "BILLING_HUB_HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "BILLING_HUB_LOG_FORMAT": "json",
        MARKER_VARIABLE: marker,
    }
    running = RunningHub(
        workdir=workdir,
        process=start_up(workdir, env),
        grpc_target=f"127.0.0.1:{grpc_port}",
        http_url=f"http://127.0.0.1:{http_port}",
        env=env,
        marker=marker,
    )
    try:
        await wait_until_serving(running)
        yield running
    finally:
        running.kill_everything()


def list_services_by_reflection(target: str) -> list[str]:
    with grpc.insecure_channel(target) as channel:
        services: list[str] = ProtoReflectionDescriptorDatabase(channel).get_services()
    return services


async def test_core_reports_serving_and_lists_services_by_reflection(hub: RunningHub) -> None:
    async with BillingHubClient(hub.grpc_target, "", retry=NO_RETRY) as client:
        assert await client.health() == "SERVING"

    services = await asyncio.to_thread(list_services_by_reflection, hub.grpc_target)

    assert set(SERVICES) <= set(services), services
    assert "grpc.health.v1.Health" in services


async def test_http_gateway_is_healthy(hub: RunningHub) -> None:
    # the gateway starts once the core serves; give it a few seconds to bind
    deadline = time.monotonic() + 15
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            try:
                response = await http.get(f"{hub.http_url}/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "core": "SERVING"}


def test_key_files_are_private(hub: RunningHub) -> None:
    for name in ("platform.key", "gateway.key", "master.key"):
        mode = stat.S_IMODE((hub.data / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {mode:o}"


def test_platform_key_is_shown_once_and_saved(hub: RunningHub) -> None:
    key = (hub.data / "platform.key").read_text().strip()
    printed = (hub.workdir / "up.stdout").read_text() + (hub.workdir / "up.stderr").read_text()

    assert key.startswith("bh_platform_")
    assert printed.count(key) == 1


def test_cli_creates_and_lists_tenants_and_keys(hub: RunningHub) -> None:
    created = hub.cli("tenant", "create", "Acme")
    assert created.returncode == 0, created.stderr
    match = re.search(r"^id:\s+(\S+)$", created.stdout, re.MULTILINE)
    assert match, created.stdout
    tenant_id = match[1]

    listed = hub.cli("--json", "tenant", "list")
    assert listed.returncode == 0, listed.stderr
    tenants = json.loads(listed.stdout)["tenants"]
    assert {"id": tenant_id, "name": "Acme"}.items() <= next(t for t in tenants if t["id"] == tenant_id).items()

    key = hub.cli("key", "create", "--tenant", tenant_id, "--role", "tenant_admin")
    assert key.returncode == 0, key.stderr
    secret = re.search(r"^secret: (\S+)$", key.stdout, re.MULTILINE)
    assert secret, key.stdout
    assert secret[1].startswith("bh_tenant_admin_")
    assert "shown" in key.stderr  # the once-only warning goes to stderr, not into piped output

    hub.facts |= {"tenant_id": tenant_id, "admin_key": secret[1]}


async def test_sdk_with_the_tenant_key(hub: RunningHub) -> None:
    if "admin_key" not in hub.facts:
        pytest.skip("needs the tenant and key made by test_cli_creates_and_lists_tenants_and_keys")
    platform_key = (hub.data / "platform.key").read_text().strip()
    register = user_service_pb2.RegisterUserRequest
    async with (
        BillingHubClient(hub.grpc_target, platform_key) as platform,
        BillingHubClient(hub.grpc_target, hub.facts["admin_key"]) as admin,
        BillingHubClient(hub.grpc_target, "", retry=NO_RETRY) as anonymous,
    ):
        other = await platform.platform.CreateTenant(platform_service_pb2.CreateTenantRequest(name="Other"))
        stranger = await platform.for_tenant(other.tenant.id).users.RegisterUser(
            register(platform=common_pb2.PLATFORM_TELEGRAM, external_id="1001")
        )
        own = await admin.users.RegisterUser(register(platform=common_pb2.PLATFORM_TELEGRAM, external_id="1001"))
        assert own.user.id != stranger.user.id
        fetched = await admin.users.GetUser(user_service_pb2.GetUserRequest(user_id=own.user.id))
        assert fetched.user.id == own.user.id

        with pytest.raises(NotFound):
            await admin.users.GetUser(user_service_pb2.GetUserRequest(user_id=stranger.user.id))

        with pytest.raises(Unauthenticated):
            await anonymous.users.GetUser(user_service_pb2.GetUserRequest(user_id=own.user.id))

        with pytest.raises(InvalidArgument) as invalid:
            await admin.users.RegisterUser(register(platform=common_pb2.PLATFORM_TELEGRAM, external_id=""))
        assert "external_id" in [violation.field for violation in invalid.value.field_violations]


def test_sigterm_stops_every_process(hub: RunningHub) -> None:
    children = psutil.Process(hub.process.pid).children(recursive=True)
    assert {" ".join(child.cmdline()[-1:]) for child in children} >= {"core_server", "http_gateway", "bot_gateway"}

    hub.process.send_signal(signal.SIGTERM)
    try:
        code = hub.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`billing-hub up` still running {STOP_TIMEOUT:.0f}s after SIGTERM\n{hub.logs()}")

    assert code == 0, hub.logs()
    alive = [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], alive
    assert hub.our_processes() == []
