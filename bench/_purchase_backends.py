"""Steps 2 to 5 of bench/purchase.py: the variants through a core on PostgreSQL (and their pgbench
limits), and the one-call purchase through a core on the embedded SQLite.

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench import _harness as harness
from bench import _pgbench as pgbench
from bench import _purchase_setup as setup
from bench import _sampling as sampling
from bench.purchase_client import TRANSFERS_PER_OP
from bench.purchase_pgbench import purchase_pgbench_script

DEFAULT_WRITE_RATE = 1000.0  # calls/s assumed to size the prepared work when no write was measured yet
WORK_MARGIN = 1.5  # prepared work over what the window and warm-up are expected to use
RESPONSE_BYTES = 620  # the stored response of one purchase, when the capture could not say
SQLITE_SETUP_CONCURRENCY = 4  # SQLite writes one at a time: more setup calls at once only wait on its lock
SQLITE_USERS = 500  # users registered and funded through the core on SQLite (rows are copied in on PostgreSQL only)
BUCKETS = 8  # the buckets of a system account (the pgbench script picks one at random)


async def measure(
    variant: str,
    shop: setup.Shop,
    target: str,
    core: harness.Core,
    args: argparse.Namespace,
    folder: Path,
    count_transfers: Callable[[], Awaitable[int]],
    database: str | None,
    label: str = "",
) -> dict[str, Any]:
    """One variant's window through the load client, and the check of the transfers it posted.
    `label` names its profile (default: the variant's name)."""
    print(f"== {variant}: {len(shop.users)} users, {args.concurrency} in flight, {args.seconds:g} s after "
          f"{args.warmup:g} s warm-up")  # fmt: skip
    setup_file = folder / "setup.json"
    shop.write(setup_file)
    label = label or variant
    profile = harness.RESULTS / f"purchase_{label}_profile" if args.profile else None
    command = [
        sys.executable, str(harness.ROOT / "bench" / "purchase_client.py"), "--target", target, "--key", shop.key,
        "--setup", str(setup_file), "--variant", variant, "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--seconds", str(args.seconds),
    ]  # fmt: skip
    before = await count_transfers()
    process = psutil.Process(core.pid)
    summary, window = await asyncio.to_thread(harness.run_client, command, process, database, args.seconds, profile)
    gained = await count_transfers() - before
    if profile is not None:
        sampling.write_profile_top(profile, f"purchase_{label}")
    calls = summary["calls"]
    expected = TRANSFERS_PER_OP[variant] * summary["calls_total_incl_warmup"]

    def per_op(seconds: float) -> float | None:
        return round(seconds * 1000 / calls, 4) if calls else None

    figures = {
        "calls_per_s": summary["calls_per_s"],
        "calls": calls,
        "duration_s": summary["duration_s"],
        "core_cpu_ms_per_op": per_op(window.core_s),
        "postgres_cpu_ms_per_op": per_op(window.postgres_s),
        "postgres_own_cpu_ms_per_op": per_op(window.postgres_own_s),
        "client_cpu_ms_per_op": summary["client_cpu_ms_per_call"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "errors": summary["errors"],
        "ops_incl_warmup": summary["calls_total_incl_warmup"],
        "transfers_per_op": TRANSFERS_PER_OP[variant],
        "transfers_expected": expected,
        "transfers_gained": gained,
        "transfers_match": gained == expected,
        "work_ran_out": summary["work_ran_out"],
    }
    print(
        f"   {figures['calls_per_s']} ops/s, core {figures['core_cpu_ms_per_op']} ms/op, PostgreSQL "
        f"{figures['postgres_cpu_ms_per_op']} ms/op (own {figures['postgres_own_cpu_ms_per_op']}), "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"errors {figures['errors'] or 0}, transfers {gained} (expected {expected})"
    )
    return figures


def work_needed(figures: dict[str, Any], args: argparse.Namespace) -> int:
    """How many approvals (or redemptions) to prepare: a write rate already measured (AdjustBalance,
    else ChargeUsage) over the warm-up and the window, with a margin."""
    measured = figures.get("adjust_balance") or figures.get("charge_usage") or {}
    rate = float(measured.get("calls_per_s") or DEFAULT_WRITE_RATE)
    window = float(args.warmup + args.seconds)
    return math.ceil(rate * window * WORK_MARGIN) + int(args.concurrency)


async def prepare(
    variant: str, shop: setup.Shop, target: str, figures: dict[str, Any], args: argparse.Namespace, connection: Any
) -> dict[str, Any]:
    """The work a variant consumes, made before its window; what was made, for the details."""
    started = time.perf_counter()
    if variant == "approve_topup":
        count = work_needed(figures, args)
        shop.topup_requests = await setup.prepare_topups(target, shop.key, shop.users, count)
        made: dict[str, Any] = {"pending_topup_requests": count}
    elif variant == "redeem_promo":
        codes = max(args.concurrency, math.ceil(work_needed(figures, args) / len(shop.users)))
        shop.promo_codes = await setup.prepare_promo_codes(target, shop.key, codes)
        made = {
            "promo_codes": codes,
            "valid_redemptions": codes * len(shop.users),
            "note": "credit codes of 1 TOKEN, per-user limit 1; call n redeems code n % codes for user n // codes, "
            "so the calls in flight rarely wait on the same code's row lock",
        }
    elif variant == "purchase_subscription":
        shop.subscription_package_id = await setup.create_plan(target, shop.key)
        made = {"subscription_package": shop.subscription_package_id, "note": "30 days for 1 XTR, plan 'bench'"}
    elif variant == "purchase_referred":
        made = await setup.prepare_referred(target, shop)
    elif variant == "purchase_promo":
        made = await setup.prepare_discounts(target, shop)
    elif variant == "hold_capture":
        count = work_needed(figures, args)
        shop.holds = await setup.prepare_holds(target, shop.key, shop.users, count)
        made = {"pending_holds": count}
    elif variant == "refund":
        count = work_needed(figures, args)
        shop.orders = await setup.prepare_orders(target, shop.key, shop, count)
        made = {"paid_orders": count, "note": "bench pack orders bought from the wallet, each refunded whole once"}
    elif variant == "payout_request":
        rows = await setup.prepare_earnings(target, shop.key, shop, connection)
        made = {"commission_rows": rows, "note": f"{setup.EARNED} XTR earned per user (SQL rows); requests of 1"}
    else:
        return {}
    made["setup_s"] = round(time.perf_counter() - started, 1)
    print(f"   prepared for {variant}: {made}")
    return made


async def purchase_limit(
    shop: setup.Shop,
    database: str,
    connection: Any,
    args: argparse.Namespace,
    folder: Path,
    response_bytes: int | None,
) -> dict[str, Any]:
    """pgbench of purchase_pgbench_script() at 16 and 64 connections; the best TPS is the limit."""
    revenue = await setup.system_buckets(connection, "revenue", "XTR")
    issued = await setup.system_buckets(connection, "issued", "TOKEN")
    if len(revenue) != BUCKETS or len(issued) != BUCKETS:
        raise SystemExit(
            f"expected {BUCKETS} buckets of revenue XTR and issued TOKEN, found {len(revenue)}, {len(issued)}"
        )
    script = folder / "purchase_pgbench.sql"
    script.write_text(purchase_pgbench_script())
    defines = {
        "tenant": shop.tenant,
        "users": str(len(shop.users)),
        "package": shop.package_id,
        "price": str(setup.PRICE),
        "tokens": str(setup.TOKENS),
        "revenue": "{" + ",".join(revenue) + "}",
        "issued": "{" + ",".join(issued) + "}",
        "response_bytes": str(response_bytes or RESPONSE_BYTES),
    }
    print("== pgbench: the statements of one purchase (bench/purchase_pgbench.py)")
    runs, errors = await asyncio.to_thread(
        pgbench.pgbench_by_clients,
        lambda clients: pgbench.run_pgbench(script, defines, clients, args.seconds, database),
        [harness.FASTPATH_POOL, args.concurrency],
    )
    return limit_details(runs, errors, response_bytes=int(defines["response_bytes"]))


async def charge_limit(shop: setup.Shop, database: str, connection: Any, args: argparse.Namespace) -> dict[str, Any]:
    """pgbench of bench/ledger_pgbench.sql (ChargeUsage's statement) at 16 and 64 connections."""
    buckets = await setup.system_buckets(connection, "revenue", "TOKEN")
    print("== pgbench: the statement of one ChargeUsage (bench/ledger_pgbench.sql)")
    runs, errors = await asyncio.to_thread(
        pgbench.pgbench_by_clients,
        lambda clients: pgbench.charge_pgbench(shop.tenant, buckets, len(shop.users), clients, args.seconds, database),
        [harness.FASTPATH_POOL, args.concurrency],
    )
    return limit_details(runs, errors)


def limit_details(runs: dict[int, pgbench.PgbenchRun], errors: dict[int, str], **extra: Any) -> dict[str, Any]:
    best = max(runs, key=lambda clients: runs[clients].tps) if runs else None
    details = {
        "tps": round(runs[best].tps, 2) if best is not None else None,
        "clients_of_limit": best,
        "tps_by_clients": {str(c): round(r.tps, 2) for c, r in sorted(runs.items())},
        "postgres_cpu_ms_per_tx": runs[best].postgres_cpu_ms_per_tx if best is not None else None,
        "postgres_own_cpu_ms_per_tx": runs[best].postgres_own_cpu_ms_per_tx if best is not None else None,
        "errors": {str(c): e for c, e in errors.items()},
        **extra,
    }
    print(f"   limit {details['tps']} TPS ({details['tps_by_clients']})")
    return details


class Core:
    """A core process on one database, started and stopped around a block."""

    def __init__(self, env: dict[str, str], platform_key: str, port: int) -> None:
        self.env, self.platform_key, self.target = env, platform_key, f"127.0.0.1:{port}"
        self.process: harness.Core | None = None

    async def __aenter__(self) -> harness.Core:
        self.process = harness.start_core(self.env)
        await harness.wait_serving(self.target, self.platform_key, self.process)
        return self.process

    async def __aexit__(self, *exc: object) -> None:
        harness.stop_core(self.process)


async def verify(target: str, key: str) -> dict[str, Any]:
    ok, text = await harness.verify(target, key)
    print(f"   VerifyLedger: {'ok' if ok else 'DRIFT ' + text}")
    return {"ok": ok, "report": text}


async def analyze(connection: Any) -> None:
    """The planner's statistics of the rows just copied in or prepared. Until autovacuum comes by,
    PostgreSQL believes the tables tiny and may look a wallet up by (tenant, asset, user) through
    the system buckets' unique index, reading every wallet of the asset (a server in service has
    its statistics): each write then measured the missing ANALYZE more than itself."""
    await connection.execute("ANALYZE")


async def run_postgres(
    args: argparse.Namespace, variants: list[str], database: str, folder: Path, response_bytes: int | None
) -> dict[str, Any]:
    platform_key, port = harness.new_platform_key(), harness.free_port()
    core = Core(
        harness.pg_core_env(database, port, platform_key, args.charge_batches, args.read_batches), platform_key, port
    )
    figures: dict[str, Any] = {}
    prepared: dict[str, Any] = {}
    # One connection held for the whole run: on a shared server a new one may be refused for a
    # while ("too many clients") just when the transfers must be counted.
    connection = await harness.connect(harness.dsn(database))

    async def count() -> int:
        return int(await connection.fetchval("SELECT count(*) FROM ledger_transfers"))

    try:
        async with core as process:
            started = time.perf_counter()
            shop = await setup.seed_pg_shop(core.target, platform_key, database, args.users)
            await analyze(connection)
            seed_s = round(time.perf_counter() - started, 1)
            print(f"seeded {args.users} users, XTR and TOKEN wallets of {setup.FUNDS} each, in {seed_s} s")
            for variant in variants:
                if made := await prepare(variant, shop, core.target, figures, args, connection):
                    await analyze(connection)
                    prepared[variant] = made
                figures[variant] = await measure(variant, shop, core.target, process, args, folder, count, database)
            verified = await verify(core.target, shop.key)
        limits: dict[str, Any] = {}
        if "purchase_one_call" in variants:
            limits["purchase"] = await purchase_limit(shop, database, connection, args, folder, response_bytes)
        if "charge_usage" in variants:
            limits["charge_usage"] = await charge_limit(shop, database, connection, args)
    finally:
        await connection.close()
    result = {"seed_s": seed_s, "prepared": prepared, "variants": figures, "limits": limits, "verify": verified}
    if limits:
        try:
            async with core:  # the ledger again, after pgbench's own purchases and charges
                result["verify_after_pgbench"] = await verify(core.target, shop.key)
        except (Exception, SystemExit) as error:  # the figures are in: record it rather than lose them
            result["verify_after_pgbench"] = {"ok": False, "report": f"could not run: {error!r}"[:500]}
    return result


async def run_sqlite(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    data = folder / "sqlite"
    data.mkdir()
    path = data / "bench.db"
    platform_key, port = harness.new_platform_key(), harness.free_port()
    env = harness.core_env(f"sqlite+aiosqlite:///{path}", port, platform_key, BILLING_HUB_DATA_DIR=str(data))
    core = Core(env, platform_key, port)
    users = min(args.users, SQLITE_USERS)

    async def count() -> int:
        return await asyncio.to_thread(_count_sqlite_transfers, path)

    async with core as process:
        started = time.perf_counter()
        shop = await setup.seed_rpc_shop(core.target, platform_key, users, SQLITE_SETUP_CONCURRENCY)
        seed_s = round(time.perf_counter() - started, 1)
        print(f"seeded {users} users through the core on SQLite in {seed_s} s")
        figures = await measure(  # its own profile: the PostgreSQL run's is not overwritten
            "purchase_one_call", shop, core.target, process, args, folder, count, None, "sqlite_purchase_one_call"
        )
        verified = await verify(core.target, shop.key)
    del figures["postgres_cpu_ms_per_op"], figures["postgres_own_cpu_ms_per_op"]  # no PostgreSQL: the core is all
    return {
        **figures,
        "users": users,
        "users_note": (
            f"{users} users (the PostgreSQL run has {args.users}), registered and funded through the core "
            "(RegisterUser, AdjustBalance: slow on a busy machine); the PostgreSQL run copies its users in"
        ),
        "seed_s": seed_s,
        "verify": verified,
    }


def _count_sqlite_transfers(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("SELECT count(*) FROM ledger_transfers").fetchone()[0])
