"""The load client of bench/reads.py: keeps N calls of one read RPC in flight against a core.

Like bench/ledger_client.py it is a separate process with the raw generated stubs on a plain
grpc.aio channel, so the core's CPU is the core's alone. `--method` picks the call: one of the
reads a bot makes on every screen, or the gRPC health check (the transport's own cost: no key,
no interceptor work, no database). Every call picks a random bench user.

Protocol with the orchestrator (stdout lines, in this order): START, END, then one JSON summary
line (see bench/ledger_client.py).

Run on its own (`make bench` runs every bench/*.py) it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger_client import Load, percentile, say, user_uuid
from sdk.billinghub.v1 import (
    catalog_service_pb2,
    catalog_service_pb2_grpc,
    common_pb2,
    referral_service_pb2,
    referral_service_pb2_grpc,
    subscription_service_pb2,
    subscription_service_pb2_grpc,
    user_service_pb2,
    user_service_pb2_grpc,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)

CALL_TIMEOUT_SECONDS = 30.0
Build = Callable[[int], Any]  # bench user number -> the request


def methods(channel: grpc.aio.Channel) -> dict[str, tuple[Any, Build]]:
    """Method name -> (the stub's callable, how to build a request for user n)."""
    users = user_service_pb2_grpc.UserServiceStub(channel)
    wallet = wallet_service_pb2_grpc.WalletServiceStub(channel)
    catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)
    subscriptions = subscription_service_pb2_grpc.SubscriptionServiceStub(channel)
    referrals = referral_service_pb2_grpc.ReferralServiceStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    return {
        "Health": (health.Check, lambda n: health_pb2.HealthCheckRequest()),
        "GetBalances": (wallet.GetBalances, lambda n: wallet_service_pb2.GetBalancesRequest(user_id=user_uuid(n))),
        "GetUser": (users.GetUser, lambda n: user_service_pb2.GetUserRequest(user_id=user_uuid(n))),
        "FindUser": (
            users.FindUser,
            lambda n: user_service_pb2.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(n)),
        ),
        "ListPackages": (
            catalog.ListPackages,
            lambda n: catalog_service_pb2.ListPackagesRequest(active_only=True),
        ),
        "ListEntitlements": (
            subscriptions.ListEntitlements,
            lambda n: subscription_service_pb2.ListEntitlementsRequest(user_id=user_uuid(n)),
        ),
        "GetReferralStats": (
            referrals.GetReferralStats,
            lambda n: referral_service_pb2.GetReferralStatsRequest(user_id=user_uuid(n)),
        ),
    }


async def worker(load: Load, call: Any, build: Build, metadata: tuple[tuple[str, str], ...], users: int) -> None:
    perf_counter = time.perf_counter
    randint = random.randint
    while not load.stop:
        request = build(randint(1, users))
        started = perf_counter()
        try:
            await call(request, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as error:
            if perf_counter() >= load.window_start:
                load.errors[error.code().name] += 1
            continue
        finished = perf_counter()
        load.ok_total += 1
        if finished >= load.window_start:
            load.ok_window += 1
            if started >= load.window_start:
                load.latencies.append(finished - started)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {args.key}"),)
    if args.tenant:
        metadata += (("x-tenant-id", args.tenant),)
    load = Load()
    async with grpc.aio.insecure_channel(args.target, [("grpc.keepalive_time_ms", 30_000)]) as channel:
        await asyncio.wait_for(channel.channel_ready(), 10)
        call, build = methods(channel)[args.method]
        tasks = [asyncio.create_task(worker(load, call, build, metadata, args.users)) for _ in range(args.concurrency)]
        try:
            await asyncio.sleep(args.warmup)
            cpu_start = time.process_time()
            load.window_start = time.perf_counter()
            say("START")
            await asyncio.sleep(args.seconds)
            load.stop = True
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
        "method": args.method,
        "calls": load.ok_window,
        "errors": dict(load.errors),
        "duration_s": round(duration, 4),
        "calls_per_s": round(load.ok_window / duration, 2) if duration > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "client_cpu_ms_per_call": round((cpu_end - cpu_start) * 1000 / load.ok_window, 4) if load.ok_window else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="host:port of the core (loopback)")
    parser.add_argument("--key", help="an API key that may make the reads")
    parser.add_argument("--tenant", default="", help="x-tenant-id (gateway keys)")
    parser.add_argument("--method", default="Health")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not args.target or not args.key:
        print("bench/reads_client.py is the load client of bench/reads.py; run that instead.")
        return
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
