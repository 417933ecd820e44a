"""Ledger benchmark: ChargeUsage through the real core on PostgreSQL, against pgbench's limit.

What it does, in one run:
1. creates a scratch database on the local PostgreSQL (127.0.0.1:5432) and migrates it;
2. starts the core (`python -m core_server`) on it, as its own process on a free loopback port;
3. creates a tenant and a tenant_admin key, inserts the bench users (ids that the load client and
   the pgbench script compute the same way) and funds every wallet through `AdjustBalance`;
4. for each variant (`ledger`: 10 000 users; `ledger_hot`: 10 users, so the same wallet rows are
   hit all the time), runs `bench/ledger_client.py` in a second process with 64 calls in flight,
   samples the CPU time of the core process and of every PostgreSQL process at the start and end
   of the measured window, then runs `bench/ledger_pgbench.sql` — the same statement the core
   runs for a charge — with pgbench at 16 (the core's pool) and 64 connections, and writes
   `bench/results/<variant>.json`;
5. checks the ledger (`VerifyLedger`) and that the transfers gained match the successful calls,
   stops the core and drops the database.

`cpu_ratio` is the core's CPU time per call divided by PostgreSQL's CPU time per call, both over
the same measured window: what the Python layer costs next to the database work of the purchase.

Options: `--seconds`, `--warmup`, `--concurrency`, `--variant ledger|ledger_hot|all`,
`--keep` (leave the scratch database), `--users`, `--profile` (py-spy records the core during the
window of each variant; collapsed stacks and the top functions go to bench/results/). Without
PostgreSQL or pgbench it says so and exits 0 (CI does not run benchmarks; `make bench` does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import asyncpg
import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _harness as harness  # noqa: E402
from bench import _pgbench as pgbench  # noqa: E402
from bench import _sampling as sampling  # noqa: E402
from bench._loadgen import user_uuid  # noqa: E402
from sdk.billinghub.v1 import common_pb2, wallet_service_pb2  # noqa: E402
from sdk.client import BillingHubClient  # noqa: E402

RESULTS = harness.RESULTS
FUNDS = 10_000_000  # TOKEN per wallet: no call runs short in any variant
VARIANTS = {"ledger": 10_000, "ledger_hot": 10}
FASTPATH_POOL = harness.FASTPATH_POOL


async def seed(target: str, platform_key: str, database: str, users: int) -> tuple[str, str]:
    """A tenant, its admin key, `users` users and their funded TOKEN wallets."""
    tenant, key = await harness.create_tenant(target, platform_key)
    await harness.insert_users(database, tenant, users)
    await harness.fund_users(target, key, [user_uuid(n) for n in range(1, users + 1)], "TOKEN", FUNDS)
    async with BillingHubClient(target, key) as admin:
        # One charge through the slow path creates the revenue buckets the fast path credits.
        await admin.wallet.ChargeUsage(
            wallet_service_pb2.ChargeUsageRequest(
                user_id=user_uuid(1), amount=common_pb2.Money(asset="TOKEN", amount_minor=1), reference="warm"
            )
        )
    return tenant, key


def main_with(args: argparse.Namespace) -> int:
    if pgbench.pgbench_missing():
        return 0
    try:
        database = asyncio.run(harness.create_database("bench_ledger"))
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL on 127.0.0.1:5432 is not reachable ({error}): skipped")
        return 0
    platform_key = harness.new_platform_key()
    port = harness.free_port()
    core_process = None
    try:
        core_process = harness.start_core(harness.pg_core_env(database, port, platform_key, args.charge_batches))
        return asyncio.run(measure(args, f"127.0.0.1:{port}", platform_key, database, core_process))
    finally:
        harness.stop_core(core_process)
        if args.keep:
            print(f"kept the database {database} (drop it with: dropdb -h 127.0.0.1 -U postgres {database})")
        else:
            asyncio.run(harness.drop_database(database))


async def measure(
    args: argparse.Namespace, target: str, platform_key: str, database: str, core_process: harness.Core
) -> int:
    await harness.wait_serving(target, platform_key, core_process)
    core = psutil.Process(core_process.pid)
    VARIANTS["ledger"] = args.users
    users = max(VARIANTS.values())
    started = time.perf_counter()
    tenant, key = await seed(target, platform_key, database, users)
    # statistics, as autovacuum would gather them after this bulk load (this server runs without
    # it): unanalyzed, about half the runs kept a foreign-key check planned on the small table,
    # reading half the tenant's wallets per transfer (core_server/store/charge_batches_pg.py)
    await harness.analyze(database)
    print(f"seeded {users} users with {FUNDS} TOKEN each in {time.perf_counter() - started:.1f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    for variant in variants:
        await run_variant(variant, VARIANTS[variant], target, key, tenant, database, core, args)
    ok, report = await harness.verify(target, key)
    print(f"VerifyLedger after every variant: {'ok' if ok else 'DRIFT ' + report}")
    return 0 if ok else 1


async def run_variant(
    variant: str,
    users: int,
    target: str,
    key: str,
    tenant: str,
    database: str,
    core: psutil.Process,
    args: argparse.Namespace,
) -> None:
    print(
        f"== {variant}: {users} users, {args.concurrency} in flight, {args.seconds:g} s after {args.warmup:g} s warm-up"
    )
    transfers_before = await harness.count_transfers(database)
    profile = RESULTS / f"{variant}_profile" if args.profile else None
    command = [
        sys.executable, str(ROOT / "bench" / "ledger_client.py"), "--target", target, "--key", key,
        "--users", str(users), "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--seconds", str(args.seconds),
    ]  # fmt: skip
    summary, window = await asyncio.to_thread(harness.run_client, command, core, database, args.seconds, profile)
    transfers_after = await harness.count_transfers(database)
    gained = transfers_after - transfers_before
    if gained != summary["calls_total_incl_warmup"]:
        raise SystemExit(f"{summary['calls_total_incl_warmup']} successful calls but {gained} new transfers")
    calls = summary["calls"]
    core_cpu_ms = window.core_s * 1000 / calls
    pg_cpu_ms = window.postgres_s * 1000 / calls
    buckets = await harness.revenue_buckets(database)
    # The core keeps `concurrency` calls in flight over FASTPATH_POOL connections; pgbench runs the
    # statement at both figures and the better one is the limit (64 connections fighting over the
    # same rows on 2 cores do less than 16).
    by_clients, failures = await asyncio.to_thread(
        pgbench.pgbench_by_clients,
        lambda clients: pgbench.charge_pgbench(tenant, buckets, users, clients, args.seconds, database),
        [FASTPATH_POOL, args.concurrency],
    )
    if not by_clients:
        raise SystemExit(f"pgbench failed at every client count: {failures}")
    best = max(by_clients, key=lambda clients: by_clients[clients].tps)
    limit = by_clients[best]
    result = {
        "metric": f"{variant}_charge_usage_calls_per_s",
        "value": summary["calls_per_s"],
        "unit": "calls/s",
        "limit": round(limit.tps, 2),
        "ratio": round(summary["calls_per_s"] / limit.tps, 3),
        "cpu_ratio": round(core_cpu_ms / pg_cpu_ms, 3),
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "details": {
            "users": users,
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "calls": calls,
            "errors": summary["errors"],
            "core_cpu_ms_per_call": round(core_cpu_ms, 4),
            "postgres_cpu_ms_per_call": round(pg_cpu_ms, 4),
            "client_cpu_ms_per_call": summary["client_cpu_ms_per_call"],
            "pgbench_tps_by_clients": {
                **{str(c): None for c in failures},
                **{str(c): round(r.tps, 2) for c, r in by_clients.items()},
            },
            "pgbench_clients_of_limit": best,
            "pgbench_postgres_cpu_ms_per_tx": limit.postgres_cpu_ms_per_tx,
            "cores": os.cpu_count(),
        },
    }
    (RESULTS / f"{variant}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if profile is not None:
        sampling.write_profile_top(profile, variant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--variant", choices=[*VARIANTS, "all"], default="all")
    parser.add_argument("--profile", action="store_true", help="record the core with py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database to inspect it")
    parser.add_argument("--users", type=int, default=10_000, help="users of the main variant")
    harness.add_charge_batches_option(parser)
    args = parser.parse_args()
    sys.exit(main_with(args))


if __name__ == "__main__":
    main()
