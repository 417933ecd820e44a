"""`billing-hub up` keeps the hub running: core first, gateways once it serves, restarts, ordered stop.

The children are small stand-in scripts (a gRPC health server for the core, sleepers for the
gateways) that write what happens to them into one journal the test reads. The stand-in core
reports readiness as the real one does: it writes its pid into the file `up` names in
`BILLING_HUB_READY_FILE`.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from billing_hub.supervisor import (
    ChildSpec,
    HubSettings,
    PortInUse,
    Supervisor,
    Timing,
    check_ports,
    connect_address,
)

FAST = Timing(
    health_timeout=20,
    health_interval=0.2,
    grace=5,
    backoff_initial=0.1,
    backoff_max=1,
    stable_after=60,
    max_restarts=3,
)

FAKE_CORE = """
import asyncio, json, os, signal, sys
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

async def main() -> None:
    port, journal = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "steady"
    with open(journal, "a") as out:
        out.write("core started\\n")
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    ready = os.environ.get("BILLING_HUB_READY_FILE")
    if ready:
        with open(ready + ".part", "w") as out:
            json.dump({"pid": os.getpid(), "port": int(port)}, out)
        os.replace(ready + ".part", ready)
    if mode == "crash-soon":
        await asyncio.sleep(0.3)
        sys.exit(3)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(journal, "a") as out:
        out.write("core stopped\\n")
    await server.stop(None)

asyncio.run(main())
"""

FAKE_GATEWAY = """
import pathlib, signal, sys, time

name, journal, mode = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
earlier = journal.read_text().splitlines().count(f"{name} started") if journal.exists() else 0
with journal.open("a") as out:
    out.write(f"{name} started\\n")
if mode == "crash-once" and earlier == 0:
    sys.exit(3)

def on_term(*_: object) -> None:
    with journal.open("a") as out:
        out.write(f"{name} stopped\\n")
    sys.exit(0)

signal.signal(signal.SIGTERM, on_term)
while True:
    time.sleep(0.1)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def script(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return str(path)


def read_lines(journal: Path) -> list[str]:
    return journal.read_text().splitlines() if journal.exists() else []


async def eventually_lines(journal: Path, wanted: list[str], within: float = 20.0) -> list[str]:
    async with asyncio.timeout(within):
        while True:
            lines = read_lines(journal)
            if all(lines.count(line) >= wanted.count(line) for line in wanted):
                return lines
            await asyncio.sleep(0.05)


def gateway(tmp_path: Path, journal: Path, name: str, mode: str = "steady") -> ChildSpec:
    return ChildSpec(name, (sys.executable, script(tmp_path, "gateway", FAKE_GATEWAY), name, str(journal), mode))


def fake_core(tmp_path: Path, journal: Path, port: int, mode: str = "steady") -> ChildSpec:
    return ChildSpec("core", (sys.executable, script(tmp_path, "core", FAKE_CORE), str(port), str(journal), mode))


@pytest.fixture
def foreign_core() -> Iterator[int]:
    """Another process's gRPC server on a port, answering health checks with SERVING (what `up` must not trust)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port
    server.stop(None).wait(timeout=5)


async def test_up_starts_in_order_restarts_a_dead_child_and_stops_gateways_before_core(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    port = free_port()
    supervisor = Supervisor(
        fake_core(tmp_path, journal, port),
        [gateway(tmp_path, journal, "flaky", "crash-once"), gateway(tmp_path, journal, "steady")],
        target=f"127.0.0.1:{port}",
        timing=FAST,
    )
    running = asyncio.create_task(supervisor.run())

    await eventually_lines(journal, ["flaky started", "flaky started", "steady started"])
    supervisor.stop()
    code = await asyncio.wait_for(running, timeout=20)

    lines = read_lines(journal)
    assert code == 0
    assert lines.count("flaky started") == 2  # crashed once, restarted once
    assert lines.index("core stopped") > lines.index("flaky stopped")
    assert lines.index("core stopped") > lines.index("steady stopped")


async def test_up_fails_when_the_core_cannot_start(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    core = ChildSpec("core", (sys.executable, "-c", "import sys; sys.exit(2)"))
    supervisor = Supervisor(
        core, [gateway(tmp_path, journal, "steady")], target=f"127.0.0.1:{free_port()}", timing=FAST
    )

    code = await asyncio.wait_for(supervisor.run(), timeout=20)

    assert code == 1
    assert not journal.exists()  # no gateway was started
    assert supervisor.failure is not None and "exit code 2" in supervisor.failure


async def test_up_stops_when_migration_fails(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    supervisor = Supervisor(
        ChildSpec("core", (sys.executable, "-c", f"open({str(journal)!r}, 'a').write('core started')")),
        [],
        target=f"127.0.0.1:{free_port()}",
        migrate=ChildSpec("migrate", (sys.executable, "-c", "import sys; sys.exit(4)")),
        timing=FAST,
    )

    code = await asyncio.wait_for(supervisor.run(), timeout=20)

    assert code == 4
    assert not journal.exists()


async def test_gateways_never_start_against_a_foreign_core(tmp_path: Path, foreign_core: int) -> None:
    """Defect 23: another process answering health on the target is not our core being ready."""
    journal = tmp_path / "journal"
    never_ready = ChildSpec("core", (sys.executable, "-c", "import time; time.sleep(60)"))
    timing = Timing(health_timeout=2, health_interval=0.2, grace=2, backoff_initial=0.1, backoff_max=1)
    supervisor = Supervisor(
        never_ready, [gateway(tmp_path, journal, "steady")], target=f"127.0.0.1:{foreign_core}", timing=timing
    )

    code = await asyncio.wait_for(supervisor.run(), timeout=20)

    assert code == 1
    assert not journal.exists()  # no gateway was started
    assert supervisor.failure is not None and "ready" in supervisor.failure


async def test_a_core_crashing_at_start_is_restarted_a_bounded_number_of_times(
    tmp_path: Path, foreign_core: int
) -> None:
    """Defect 23: our core cannot bind the port the foreign one holds; `up` gives up instead of looping."""
    journal = tmp_path / "journal"
    supervisor = Supervisor(
        fake_core(tmp_path, journal, foreign_core),  # its bind fails: the port is taken
        [gateway(tmp_path, journal, "steady")],
        target=f"127.0.0.1:{foreign_core}",
        timing=FAST,
    )

    code = await asyncio.wait_for(supervisor.run(), timeout=20)

    lines = read_lines(journal)
    assert code == 1
    assert lines.count("core started") == 1 + FAST.max_restarts
    assert "steady started" not in lines
    assert supervisor.failure is not None and "core" in supervisor.failure


async def test_a_core_crashing_soon_after_start_is_given_up_and_everything_stops(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    port = free_port()
    supervisor = Supervisor(
        fake_core(tmp_path, journal, port, "crash-soon"),
        [gateway(tmp_path, journal, "steady")],
        target=f"127.0.0.1:{port}",
        timing=FAST,
    )

    code = await asyncio.wait_for(supervisor.run(), timeout=30)

    lines = read_lines(journal)
    assert code == 1
    assert lines.count("core started") == 1 + FAST.max_restarts
    assert "steady stopped" in lines  # the gateways were stopped when `up` gave up
    assert supervisor.failure is not None and "exit code 3" in supervisor.failure


@pytest.mark.parametrize("listen", ["127.0.0.1:{port}", "0.0.0.0:{port}", ":{port}"])
def test_a_taken_port_is_named_with_the_setting_to_change(listen: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        settings = HubSettings(grpc_listen=listen.format(port=port), http_listen=f"127.0.0.1:{free_port()}")

        with pytest.raises(PortInUse) as taken:
            check_ports(settings)

    message = str(taken.value)
    assert str(port) in message
    assert "BILLING_HUB_GRPC_LISTEN" in message
    assert "\n" not in message


def test_a_taken_http_port_names_its_setting() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        settings = HubSettings(grpc_listen=f"127.0.0.1:{free_port()}", http_listen=f"127.0.0.1:{port}")

        with pytest.raises(PortInUse, match=f"port {port} .*BILLING_HUB_HTTP_LISTEN"):
            check_ports(settings)


def test_free_ports_and_port_0_pass_the_check() -> None:
    check_ports(HubSettings(grpc_listen=f"127.0.0.1:{free_port()}", http_listen="127.0.0.1:0"))


def test_the_same_port_for_both_is_refused() -> None:
    port = free_port()
    with pytest.raises(PortInUse, match="BILLING_HUB_HTTP_LISTEN"):
        check_ports(HubSettings(grpc_listen=f"127.0.0.1:{port}", http_listen=f"0.0.0.0:{port}"))


@pytest.mark.parametrize(
    ("listen", "target"),
    [
        ("0.0.0.0:50051", "127.0.0.1:50051"),
        ("[::]:50051", "[::1]:50051"),
        (":7000", "127.0.0.1:7000"),
        ("10.1.2.3:50051", "10.1.2.3:50051"),
    ],
)
def test_gateways_reach_a_wildcard_listener_on_loopback(listen: str, target: str) -> None:
    assert connect_address(listen) == target
