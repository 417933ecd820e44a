"""Fixtures of the CLI tests: the fake PlatformService on a real gRPC server (port 0), and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from sdk.billinghub.v1 import platform_service_pb2_grpc
from tests.cli.fakes import FakePlatform


@pytest.fixture
def platform() -> Iterator[FakePlatform]:
    fake = FakePlatform()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    platform_service_pb2_grpc.add_PlatformServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake.target = f"127.0.0.1:{port}"
    yield fake
    server.stop(None).wait(timeout=5)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No BILLING_HUB_* variable and no .env or data folder of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("BILLING_HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
