"""What the load clients share (bench/ledger_client.py, bench/purchase_client.py): N workers that
each repeat one operation against the core, the measured window and its summary.

Protocol with the orchestrator (stdout lines, in this order):
    START            the measured window begins now (after the warm-up of the same load)
    END              the window is over and every call in flight has finished
    {...}            one JSON line: the summary (calls, errors by code, duration, latencies, CPU)
The orchestrator (bench/_harness.py, run_client) samples the CPU of the core and of PostgreSQL
when it reads START and END.

Kept light (grpc and the standard library): it runs in the client process, whose CPU per call is
one of the figures. `make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

CALL_TIMEOUT_SECONDS = 30.0
CHANNEL_OPTIONS = [("grpc.keepalive_time_ms", 30_000)]

Operation = Callable[[], Awaitable[object]]


def user_uuid(n: int) -> str:
    """The id of bench user number n (1-based); bench/_harness.py seeds the same ids, and the
    pgbench scripts compute them the same way."""
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


class StepFailed(Exception):
    """An operation of several calls failed at one of them: counted under `label` (e.g.
    "PayOrderFromWallet:FAILED_PRECONDITION") instead of the bare status code."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


class Exhausted(Exception):
    """The operation has no work left (every prepared top-up request approved, say): the worker
    stops, and the window ends early rather than counting failures."""


class Load:
    """The shared state of the workers: the window, the counters, the latencies."""

    def __init__(self) -> None:
        self.stop = False
        self.window_start = float("inf")  # perf_counter time; calls finishing after it count
        self.ok_total = 0  # including the warm-up: what the database must have gained
        self.ok_window = 0
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []  # seconds, of calls started inside the window
        self.exhausted_at: float | None = None
        self.done = asyncio.Event()  # set when the work ran out

    def run_out(self) -> None:
        if self.exhausted_at is None:
            self.exhausted_at = time.perf_counter()
        self.stop = True
        self.done.set()


async def worker(load: Load, operation: Operation) -> None:
    perf_counter = time.perf_counter
    while not load.stop:
        started = perf_counter()
        try:
            await operation()
        except grpc.aio.AioRpcError as error:
            if perf_counter() >= load.window_start:
                load.errors[error.code().name] += 1
            continue
        except StepFailed as error:
            if perf_counter() >= load.window_start:
                load.errors[error.label] += 1
            continue
        except Exhausted:
            load.run_out()
            return
        finished = perf_counter()
        load.ok_total += 1
        if finished >= load.window_start:
            load.ok_window += 1
            if started >= load.window_start:
                load.latencies.append(finished - started)


async def _sleep_unless_done(load: Load, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(load.done.wait(), seconds)


async def drive(operation: Operation, concurrency: int, warmup: float, seconds: float) -> dict[str, Any]:
    """Keep `concurrency` operations in flight for `warmup` + `seconds` and summarize the window."""
    load = Load()
    tasks = [asyncio.create_task(worker(load, operation)) for _ in range(concurrency)]
    try:
        await _sleep_unless_done(load, warmup)
        if load.stop:
            raise SystemExit("the work ran out during the warm-up")
        cpu_start = time.process_time()
        load.window_start = time.perf_counter()
        say("START")
        await _sleep_unless_done(load, seconds)
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
    client_cpu = cpu_end - cpu_start
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
        "client_cpu_s": round(client_cpu, 4),
        "client_cpu_ms_per_call": round(client_cpu * 1000 / load.ok_window, 4) if load.ok_window else None,
        "work_ran_out": load.exhausted_at is not None,
        "concurrency": concurrency,
    }


def channel(target: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(target, CHANNEL_OPTIONS)
