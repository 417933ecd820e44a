"""The load client of bench/ledger.py: keeps N ChargeUsage calls in flight against a core.

It is a separate process so that the core's CPU is the core's alone (the client shares the
machine, as a real gateway would). It talks to the core with the raw generated stub on a plain
grpc.aio channel (no client interceptors: the SDK's retry and error mapping would cost the client
CPU that the benchmark is not about), one fresh request_id per call, 1 TOKEN per call, a random
user per call.

Protocol with the orchestrator (stdout lines, in this order):
    START            the measured window begins now (after --warmup seconds of the same load)
    END              the window is over and every call in flight has finished
    {...}            one JSON line: the summary (calls, errors by code, duration, latencies, CPU)
The orchestrator samples the CPU of the core and of PostgreSQL when it reads START and END.

Run on its own (`make bench` runs every bench/*.py) it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter
from typing import Any

import grpc

from sdk.billinghub.v1 import common_pb2, wallet_service_pb2_grpc
from sdk.billinghub.v1 import wallet_service_pb2 as pb

CALL_TIMEOUT_SECONDS = 30.0


def user_uuid(n: int) -> str:
    """The id of bench user number n (1-based); bench/ledger.py seeds the same ids, and
    bench/ledger_pgbench.sql computes them the same way."""
    return f"00000000-0000-7000-8000-{n:012x}"


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(fraction * len(sorted_values) + 0.999999)))
    return sorted_values[rank - 1]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Load:
    """The shared state of the workers: the window, the counters, the latencies."""

    def __init__(self) -> None:
        self.stop = False
        self.window_start = float("inf")  # perf_counter time; calls finishing after it count
        self.ok_total = 0  # including the warm-up: what the transfers table must have gained
        self.ok_window = 0
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []  # seconds, of calls started inside the window


async def worker(load: Load, call: Any, metadata: tuple[tuple[str, str], ...], users: list[str]) -> None:
    amount = common_pb2.Money(asset="TOKEN", amount_minor=1)
    perf_counter = time.perf_counter
    choice = random.choice
    while not load.stop:
        request = pb.ChargeUsageRequest(
            request_id=uuid.uuid4().hex, user_id=choice(users), amount=amount, reference="bench"
        )
        started = perf_counter()
        try:
            await call(request, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as error:
            finished = perf_counter()
            if finished >= load.window_start:
                load.errors[error.code().name] += 1
            continue
        finished = perf_counter()
        load.ok_total += 1
        if finished >= load.window_start:
            load.ok_window += 1
            if started >= load.window_start:
                load.latencies.append(finished - started)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    users = [user_uuid(n) for n in range(1, args.users + 1)]
    metadata = (("authorization", f"Bearer {args.key}"),)
    options = [("grpc.keepalive_time_ms", 30_000)]
    load = Load()
    async with grpc.aio.insecure_channel(args.target, options) as channel:
        await asyncio.wait_for(channel.channel_ready(), 10)
        call = wallet_service_pb2_grpc.WalletServiceStub(channel).ChargeUsage
        tasks = [asyncio.create_task(worker(load, call, metadata, users)) for _ in range(args.concurrency)]
        try:
            await asyncio.sleep(args.warmup)
            cpu_start = time.process_time()
            load.window_start = time.perf_counter()
            say("START")
            await asyncio.sleep(args.seconds)
            load.stop = True
            # Each worker finishes the call it has in flight; bounded by the call timeout.
            await asyncio.wait_for(asyncio.gather(*tasks), CALL_TIMEOUT_SECONDS + 5)
            window_end = time.perf_counter()
            cpu_end = time.process_time()
            say("END")
        finally:
            for task in tasks:
                task.cancel()
    duration = window_end - load.window_start
    latencies = sorted(load.latencies)
    return {
        "calls": load.ok_window,
        "calls_total_incl_warmup": load.ok_total,
        "errors": dict(load.errors),
        "duration_s": round(duration, 4),
        "calls_per_s": round(load.ok_window / duration, 2) if duration > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "max_ms": round((latencies[-1] if latencies else 0.0) * 1000, 3),
        "latency_samples": len(latencies),
        "client_cpu_s": round(cpu_end - cpu_start, 4),
        "client_cpu_ms_per_call": round((cpu_end - cpu_start) * 1000 / load.ok_window, 4) if load.ok_window else None,
        "concurrency": args.concurrency,
        "users": args.users,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="host:port of the core (loopback)")
    parser.add_argument("--key", help="an API key that may call ChargeUsage (tenant_admin)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not args.target or not args.key:
        print("bench/ledger_client.py is the load client of bench/ledger.py; run that instead.")
        return
    if not 1 <= args.concurrency <= 10_000 or not 0 < args.seconds <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("concurrency 1..10000, seconds 0..3600, warmup 0..600")
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
