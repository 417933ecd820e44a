"""`billing-hub up` keeps the hub running: core first, gateways once it serves, restarts, ordered stop.

The children are small stand-in scripts (a gRPC health server for the core, sleepers for the
gateways) that write what happens to them into one journal the test reads.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from billing_hub.supervisor import ChildSpec, Supervisor, Timing, connect_address

FAST = Timing(health_timeout=20, health_interval=0.2, grace=5, backoff_initial=0.1, backoff_max=1, stable_after=60)

FAKE_CORE = """
import asyncio, signal, sys
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

async def main() -> None:
    port, journal = sys.argv[1], sys.argv[2]
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
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


async def test_up_starts_in_order_restarts_a_dead_child_and_stops_gateways_before_core(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    port = free_port()
    core = ChildSpec("core", (sys.executable, script(tmp_path, "core", FAKE_CORE), str(port), str(journal)))
    supervisor = Supervisor(
        core,
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
