"""The load client of bench/rest.py: keeps N one-call purchases in flight through the REST API
(`POST /api/v1/orders/purchase`), each with its own Idempotency-Key, as a website would send them.

A separate process, as bench/purchase_client.py is, so the gateway's and the core's CPU are theirs
alone. Each worker has its own keep-alive HTTP/1.1 connection (a pool of one: httpcore's shared
pool scans every connection per request, see bench/webhooks_client.py). A purchase counts when
the gateway answers 200; any other status is counted as `http_<status>:<code>`. The window
protocol with the orchestrator is bench/_loadgen.py's (START, END, one JSON line).

Run on its own (`make bench` runs every bench/*.py) it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._loadgen import CALL_TIMEOUT_SECONDS, StepFailed, drive, say

if importlib.util.find_spec("sniffio") is None:  # see bench/webhooks_client.py
    sys.modules["sniffio"] = None  # type: ignore[assignment]

PURCHASE_PATH = "/api/v1/orders/purchase"


def one_connection() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(CALL_TIMEOUT_SECONDS), http1=True, http2=False)


async def run(args: argparse.Namespace, setup: dict[str, Any]) -> dict[str, Any]:
    url = args.url.rstrip("/") + PURCHASE_PATH
    users = itertools.cycle(setup["users"])
    package = setup["package_id"]
    authorization = f"Bearer {args.key}"
    async with contextlib.AsyncExitStack() as stack:
        idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for _ in range(args.concurrency):
            idle.put_nowait(await stack.enter_async_context(one_connection()))

        async def purchase() -> object:
            client = idle.get_nowait()  # as many clients as workers: one is always free
            try:
                answer = await client.post(
                    url,
                    json={"user_id": next(users), "package_id": package},
                    headers={"Authorization": authorization, "Idempotency-Key": uuid.uuid4().hex},
                )
            except httpx.HTTPError as error:
                raise StepFailed(type(error).__name__) from None
            finally:
                idle.put_nowait(client)
            if answer.status_code != 200:
                code = answer.json().get("error", {}).get("code", "?") if answer.content else "?"
                raise StepFailed(f"http_{answer.status_code}:{code}")
            return answer

        return await drive(purchase, args.concurrency, args.warmup, args.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--setup", type=Path)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not args.url or args.setup is None:
        print("bench/rest_client.py is the load client of bench/rest.py; run that instead")
        return
    summary = asyncio.run(run(args, json.loads(args.setup.read_text())))
    say(json.dumps(summary))


if __name__ == "__main__":
    main()
