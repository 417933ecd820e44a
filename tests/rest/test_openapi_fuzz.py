"""schemathesis against the served OpenAPI document: the gateway in hypercorn on a loopback port in
front of the session's core, fuzzed with the document's own schemas (valid and invalid input).
No answer may be a 5xx, and every answer must match the documented status codes and schemas."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from tests.rest.site import Site

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"
MAX_EXAMPLES = "15"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def _served(app: Quart) -> AsyncIterator[str]:
    config = Config()
    port = _free_port()
    config.bind = [f"127.0.0.1:{port}"]
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await server


ROLE_BY_BACKEND = {"sqlite": "partner", "postgresql": "tenant_admin"}


async def test_no_input_makes_the_api_fail_or_leave_its_schema(site: Site, tmp_path: Path) -> None:
    """Fuzzed with each key the API serves, one per backend (a run takes half a minute; both keys
    on both backends made the fuzz the suite's longest test): a partner's key on SQLite reaches
    the core's role checks, a tenant admin's on PostgreSQL reaches the admin-only endpoints (the
    queues, decisions, tasks and stats) past them."""
    await site.register("fuzz-known")  # something for reads to find
    role = ROLE_BY_BACKEND[site.hub.backend]
    key = site.key if role == "partner" else site.tenant.admin_key
    async with _served(site.app) as base:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {key}",
            "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--seed", "7", "--no-color",
            "--workers", "1", "--request-timeout", "10", "--report-dir", str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"}, cwd=tmp_path,  # its example cache stays out of the repo
        )  # fmt: skip
        output, _ = await process.communicate()
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-12000:]
    assert "No issues found" in report or "passed" in report.lower(), report[-4000:]
