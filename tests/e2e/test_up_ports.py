"""Defect 23: `billing-hub up` where another process already holds a port it needs.

The real `billing-hub up` in an empty folder, with the core's gRPC port (or the HTTP gateway's
port) taken by a foreign server that answers gRPC health with SERVING. `up` must refuse at once,
with one line naming the port and the setting to change, before it migrates, starts the core,
prints a platform key or starts a gateway.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent import futures
from contextlib import suppress
from pathlib import Path

import grpc
import psutil  # type: ignore[import-untyped]
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

UP_TIMEOUT = 30.0
MARKER_VARIABLE = "BILLING_HUB_E2E_RUN"  # inherited by every child, ignored by the hub's settings


def billing_hub_command() -> list[str]:
    script = Path(sys.executable).with_name("billing-hub")
    return [str(script)] if script.exists() else [sys.executable, "-m", "billing_hub"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def foreign_core() -> Iterator[int]:
    """Someone else's gRPC server, healthy, on a port of its own."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port
    server.stop(None).wait(timeout=5)


def kill_marked(marker: str) -> None:
    """SIGKILL every process carrying this run's marker (`up` runs its children in sessions of their own)."""
    for process in psutil.process_iter():
        with suppress(psutil.Error):
            if process.environ().get(MARKER_VARIABLE) == marker:
                process.kill()


def run_up(workdir: Path, grpc_port: int, http_port: int) -> subprocess.CompletedProcess[str]:
    marker = uuid.uuid4().hex
    env = {name: value for name, value in os.environ.items() if not name.startswith("BILLING_HUB_")}
    env |= {
        "BILLING_HUB_GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
        "BILLING_HUB_HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "BILLING_HUB_LOG_FORMAT": "json",
        MARKER_VARIABLE: marker,
    }
    out_path, err_path = workdir.parent / f"{workdir.name}.stdout", workdir.parent / f"{workdir.name}.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [*billing_hub_command(), "up"], cwd=workdir, env=env, stdout=out, stderr=err, start_new_session=True
        )
    try:
        process.wait(timeout=UP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    finally:
        kill_marked(marker)
        process.wait(timeout=10)
    out_text, err_text = out_path.read_text(), err_path.read_text()
    if process.returncode < 0:
        pytest.fail(f"`billing-hub up` still running after {UP_TIMEOUT:.0f}s\n{out_text[-3000:]}\n{err_text[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out_text, err_text)


def assert_refused_before_starting(
    result: subprocess.CompletedProcess[str], workdir: Path, port: int, setting: str
) -> None:
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert str(port) in error_lines[0]
    assert setting in error_lines[0]
    assert "bh_platform_" not in result.stdout + result.stderr  # no key was made for a core that cannot serve
    assert not (workdir / "data").exists()  # nothing was migrated or started


def test_up_refuses_a_taken_grpc_port(tmp_path: Path, foreign_core: int) -> None:
    result = run_up(tmp_path, foreign_core, free_port())

    assert_refused_before_starting(result, tmp_path, foreign_core, "BILLING_HUB_GRPC_LISTEN")


def test_up_refuses_a_taken_http_port(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        http_port = other.getsockname()[1]

        result = run_up(tmp_path, free_port(), http_port)

    assert_refused_before_starting(result, tmp_path, http_port, "BILLING_HUB_HTTP_LISTEN")
