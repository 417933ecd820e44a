"""Ledger writes and reads on the embedded SQLite default, 64 calls in flight.

What it does, in one run:
1. starts the core (bench/_harness.py) on a SQLite file in a temporary folder;
2. registers `--users` users and funds every TOKEN wallet through `AdjustBalance`;
3. for each workload (`charge`: ChargeUsage of 1 TOKEN; `adjust`: AdjustBalance credits of 1
   TOKEN; `balances`: GetBalances; `mixed`: half ChargeUsage, half GetBalances), runs a load
   client in a second process (this script with `--client`, bench/_loadgen.py's protocol) that
   keeps `--concurrency` calls in flight for `--seconds` after `--warmup`, and prints calls/s,
   p50/p99/max latency, errors by code and the core's CPU per call over the measured window;
4. checks the ledger (`VerifyLedger`), stops the core and removes the folder.

What it shows is the database layer (store/db.py): one writer connection whose turns are taken
first come first served, and reads that never wait for a write. Nothing goes to bench/results.
Options: `--seconds`, `--warmup`, `--concurrency`, `--users`, `--workload ...|all`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._harness import (  # noqa: E402
    core_env,
    create_tenant,
    free_port,
    fund_users,
    new_platform_key,
    run_client,
    start_core,
    stop_core,
    verify,
    wait_serving,
    with_retries,
)
from bench._loadgen import channel, drive  # noqa: E402
from sdk.billinghub.v1 import common_pb2, user_service_pb2, wallet_service_pb2_grpc  # noqa: E402
from sdk.billinghub.v1 import wallet_service_pb2 as pb  # noqa: E402
from sdk.client import BillingHubClient  # noqa: E402

FUNDS = 10_000_000  # TOKEN per wallet: no charge runs short
WORKLOADS = ["charge", "adjust", "balances", "mixed"]


async def register(target: str, key: str, users: int) -> list[str]:
    async with BillingHubClient(target, key) as admin:
        numbers = iter(range(1, users + 1))
        ids: list[str] = []

        async def one_at_a_time() -> None:
            for n in numbers:
                request = user_service_pb2.RegisterUserRequest(
                    request_id=f"bench-user-{n}", platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(n)
                )
                ids.append((await with_retries(functools.partial(admin.users.RegisterUser, request))).user.id)

        await asyncio.gather(*(one_at_a_time() for _ in range(16)))
    return ids


# ---- the load client (a second process) ----------------------------------------------------


async def client(args: argparse.Namespace, users: list[str]) -> dict[str, Any]:
    metadata = (("authorization", f"Bearer {args.key}"),)
    token = common_pb2.Money(asset="TOKEN", amount_minor=1)
    async with channel(args.target) as grpc_channel:
        await asyncio.wait_for(grpc_channel.channel_ready(), 10)
        stub = wallet_service_pb2_grpc.WalletServiceStub(grpc_channel)

        async def operation() -> object:
            workload = random.choice(["charge", "balances"]) if args.workload == "mixed" else args.workload
            user = random.choice(users)
            if workload == "charge":
                request: Any = pb.ChargeUsageRequest(
                    request_id=uuid.uuid4().hex, user_id=user, amount=token, reference="bench"
                )
                return await stub.ChargeUsage(request, metadata=metadata)
            if workload == "adjust":
                request = pb.AdjustBalanceRequest(
                    request_id=uuid.uuid4().hex,
                    user_id=user,
                    amount=token,
                    direction=pb.TRANSFER_DIRECTION_CREDIT,
                    reason="bench",
                    actor="bench",
                )
                return await stub.AdjustBalance(request, metadata=metadata)
            return await stub.GetBalances(pb.GetBalancesRequest(user_id=user), metadata=metadata)

        return await drive(operation, args.concurrency, args.warmup, args.seconds)


# ---- the orchestrator ----------------------------------------------------------------------


def run_workload(
    workload: str, target: str, key: str, users_file: Path, core: psutil.Process, args: argparse.Namespace
) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--client", "--target", target, "--key", key, "--users-file", str(users_file),
        "--workload", workload, "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--seconds", str(args.seconds),
    ]  # fmt: skip
    summary, window = run_client(command, core, None, args.seconds, None)
    calls = summary["calls"]
    return {
        "workload": workload,
        "calls_per_s": round(summary["calls_per_s"], 1),
        "p50_ms": round(summary["p50_ms"], 1),
        "p99_ms": round(summary["p99_ms"], 1),
        "max_ms": round(summary["max_ms"], 1),
        "errors": summary["errors"],
        "core_cpu_ms_per_call": round(window.core_s * 1000 / calls, 2) if calls else None,
        "calls": calls,
    }


async def measure(args: argparse.Namespace, target: str, platform_key: str, core_process: Any, folder: Path) -> int:
    await wait_serving(target, platform_key, core_process)
    core = psutil.Process(core_process.pid)
    started = time.perf_counter()
    _tenant, key = await create_tenant(target, platform_key)
    users = await register(target, key, args.users)
    await fund_users(target, key, users, "TOKEN", FUNDS, concurrency=16)
    print(f"registered and funded {len(users)} users in {time.perf_counter() - started:.1f} s", flush=True)
    users_file = folder / "users.txt"
    users_file.write_text("\n".join(users))
    for workload in WORKLOADS if args.workload == "all" else [args.workload]:
        result = await asyncio.to_thread(run_workload, workload, target, key, users_file, core, args)
        print(json.dumps(result), flush=True)
    ok, report = await verify(target, key)
    print(f"VerifyLedger: {'ok' if ok else 'DRIFT ' + report}")
    return 0 if ok else 1


def orchestrate(args: argparse.Namespace) -> int:
    platform_key = new_platform_key()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
        env = core_env(f"sqlite+aiosqlite:///{Path(folder) / 'hub.db'}", port, platform_key)
        core_process = start_core(env)
        try:
            return asyncio.run(measure(args, f"127.0.0.1:{port}", platform_key, core_process, Path(folder)))
        finally:
            stop_core(core_process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--users-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        users = Path(args.users_file).read_text().split()
        print(json.dumps(asyncio.run(client(args, users))), flush=True)
        return
    sys.exit(orchestrate(args))


if __name__ == "__main__":
    main()
