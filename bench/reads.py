"""Read benchmark: the reads a bot makes on every screen, next to the gRPC health check.

What it does, in one run:
1. creates a scratch database on the local PostgreSQL (127.0.0.1:5432), migrates it and starts
   the core (`python -m core_server`) on it as its own process, as bench/ledger.py does;
2. seeds a tenant with a tenant_admin key, `--users` users (every tenth invited by another, three
   levels deep), TOKEN wallets for half of them, a few packages, a referral program with a tier and
   a running subscription for every fifth user;
3. for each method (the health check first: the transport's own cost, with no key, interceptor or
   database work) runs `bench/reads_client.py` in a second process with 64 calls in flight and
   samples the CPU time of the core and of PostgreSQL over the measured window;
4. prints one line per method (calls/s, core and PostgreSQL CPU ms per call, p50/p99, the ratio to
   the health check's calls/s), writes `bench/results/reads.json`, stops the core and drops the
   database.

Options: `--seconds`, `--warmup`, `--concurrency`, `--users`, `--methods` (comma-separated),
`--profile` (py-spy records the core during each method's window: bench/results/reads_<method>_*),
`--keep`. Without PostgreSQL it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger import (  # noqa: E402
    ADMIN_DSN,
    RESULTS,
    core_env,
    drop_database,
    free_port,
    sample,
    start_profile,
    top_functions,
    wait_serving,
)
from bench.ledger_client import user_uuid  # noqa: E402
from core_server.domain.actor import Role  # noqa: E402
from core_server.domain.tenancy.api_keys import format_key, new_secret  # noqa: E402
from sdk.billinghub.v1 import (  # noqa: E402
    catalog_service_pb2,
    common_pb2,
    package_pb2,
    platform_service_pb2,
    referral_pb2,
    referral_service_pb2,
    tenant_pb2,
    wallet_service_pb2,
)
from sdk.client import BillingHubClient  # noqa: E402

METHODS = ("Health", "GetBalances", "GetUser", "FindUser", "ListPackages", "ListEntitlements", "GetReferralStats")


def money(amount: int, asset: str) -> common_pb2.Money:
    return common_pb2.Money(asset=asset, amount_minor=amount)


async def create_database() -> str:
    name = f"bench_reads_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


def referrer_of(n: int) -> int | None:
    """Every tenth user was invited by user n // 10: a tree three levels deep from the first users."""
    return n // 10 if n % 10 == 0 and n >= 10 else None


async def seed(target: str, platform_key: str, database: str, users: int) -> tuple[str, str]:
    async with BillingHubClient(target, platform_key) as platform:
        tenant = (await platform.platform.CreateTenant(platform_service_pb2.CreateTenantRequest(name="Reads"))).tenant
        created = await platform.platform.CreateApiKey(
            platform_service_pb2.CreateApiKeyRequest(
                tenant_id=tenant.id, role=tenant_pb2.API_KEY_ROLE_TENANT_ADMIN, name="bench"
            )
        )
    tenant_id = uuid.UUID(tenant.id)
    now = dt.datetime.now(dt.UTC)
    columns = ["tenant_id", "id", "platform", "external_id", "username", "first_name", "last_name",
               "language_code", "search_text", "referral_code", "referrer_id", "blocked", "created_at",
               "updated_at"]  # fmt: skip
    records = []
    for n in range(1, users + 1):
        referrer = referrer_of(n)
        records.append(
            (tenant_id, uuid.UUID(user_uuid(n)), "telegram", str(n), f"user{n}", f"User {n}", "", "en",
             f"user{n} user {n}", f"R{n:08X}", uuid.UUID(user_uuid(referrer)) if referrer else None, False, now,
             now)
        )  # fmt: skip
    async with BillingHubClient(target, created.secret) as admin:
        catalog = admin.catalog
        await catalog.CreateAsset(catalog_service_pb2.CreateAssetRequest(code="RUB"))
        packages = []
        for index, (tokens, stars) in enumerate(((100, 10), (500, 45), (1000, 85), (5000, 400))):
            spec = package_pb2.Package(
                kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
                title={"en": f"{tokens} tokens", "ru": f"{tokens} токенов"},
                description={"en": "Tokens for the bot"},
                category="tokens",
                sort_order=index,
                active=True,
                price=money(stars, "XTR"),
                delivers=money(tokens, "TOKEN"),
            )
            packages.append(spec)
        packages.append(
            package_pb2.Package(
                kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION,
                title={"en": "Pro month"},
                category="plans",
                active=True,
                price=money(29900, "RUB"),
                plan_code="pro",
                period_days=30,
                features='{"limit": 100}',
            )
        )
        packages.append(
            package_pb2.Package(
                kind=package_pb2.PACKAGE_KIND_TELEGRAM_STARS,
                title={"en": "Stars"},
                category="stars",
                active=True,
                price=money(180, "RUB"),
                per_unit=True,
                min_quantity=50,
                max_quantity=1_000_000,
            )
        )
        plan_id = ""
        for spec in packages:
            made = (await catalog.CreatePackage(catalog_service_pb2.CreatePackageRequest(package=spec))).package
            if made.kind == package_pb2.PACKAGE_KIND_SUBSCRIPTION:
                plan_id = made.id
        program = referral_pb2.ReferralProgram(
            enabled=True, level_rates_bps=[1000, 500, 200], payout_asset="TOKEN", bot_username="reads_bench_bot",
            tiers=[referral_pb2.ReferralTier(name="silver", min_invited=5, bonus_rate_bps=100)],
        )  # fmt: skip
        await admin.referrals.UpdateReferralProgram(referral_service_pb2.UpdateReferralProgramRequest(program=program))
        connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
        try:
            await connection.copy_records_to_table("users", columns=columns, records=records)
            subscriptions = [
                (tenant_id, uuid.uuid4(), uuid.UUID(user_uuid(n)), "pro", uuid.UUID(plan_id), "active", now,
                 now + dt.timedelta(days=30), None, None, [], now, now)
                for n in range(5, users + 1, 5)
            ]  # fmt: skip
            await connection.copy_records_to_table(
                "subscriptions",
                columns=[
                    "tenant_id",
                    "id",
                    "user_id",
                    "plan_code",
                    "package_id",
                    "status",
                    "start_at",
                    "end_at",
                    "last_order_id",
                    "cancel_at",
                    "notices_sent",
                    "created_at",
                    "updated_at",
                ],
                records=[(*row[:10], json.dumps(row[10]), *row[11:]) for row in subscriptions],
            )
        finally:
            await connection.close()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(1, users + 1, 2):
            queue.put_nowait(n)

        async def fund() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                await admin.wallet.AdjustBalance(
                    wallet_service_pb2.AdjustBalanceRequest(
                        user_id=user_uuid(n), amount=money(10_000, "TOKEN"),
                        direction=wallet_service_pb2.TRANSFER_DIRECTION_CREDIT, reason="bench", actor="bench",
                    )
                )  # fmt: skip

        await asyncio.gather(*(fund() for _ in range(16)))
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
    try:  # statistics of the bulk-loaded tables now, not when autovacuum gets to them
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return tenant.id, created.secret


def run_client(
    method: str, target: str, key: str, args: argparse.Namespace, core: psutil.Process, profile: Path | None
) -> tuple[dict[str, Any], Any, Any]:
    command = [
        sys.executable, str(ROOT / "bench" / "reads_client.py"), "--target", target, "--key", key,
        "--method", method, "--users", str(args.users), "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--seconds", str(args.seconds),
    ]  # fmt: skip
    client = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    start = end = None
    spy = None
    summary: dict[str, Any] = {}
    for line in client.stdout:
        line = line.strip()
        if line == "START":
            start = sample(core)
            if profile is not None:
                spy = start_profile(core.pid, profile, args.seconds)
        elif line == "END":
            end = sample(core)
        elif line.startswith("{"):
            summary = json.loads(line)
    if client.wait() != 0 or start is None or end is None or not summary:
        raise SystemExit(f"the load client failed ({method})")
    if spy is not None:
        spy.wait()
    return summary, start, end


async def measure(args: argparse.Namespace, target: str, platform_key: str, database: str, process: Any) -> None:
    await wait_serving(target, platform_key, process)
    core = psutil.Process(process.pid)
    started = time.perf_counter()
    _tenant, key = await seed(target, platform_key, database, args.users)
    print(f"seeded {args.users} users in {time.perf_counter() - started:.1f} s")
    results: dict[str, Any] = {}
    health = None
    print(
        f"{'method':<18} {'calls/s':>9} {'x health':>8} {'core ms':>8} {'pg ms':>7} {'p50 ms':>8} {'p99 ms':>8}  errors"
    )
    for method in args.methods.split(","):
        profile = RESULTS / f"reads_{method}_profile" if args.profile else None
        summary, start, end = await asyncio.to_thread(run_client, method, target, key, args, core, profile)
        calls = summary["calls"] or 1
        core_ms = (end.core - start.core) * 1000 / calls
        pg_ms = (end.postgres - start.postgres) * 1000 / calls
        if method == "Health":
            health = summary["calls_per_s"]
        ratio = summary["calls_per_s"] / health if health else None
        results[method] = {
            **summary,
            "core_cpu_ms_per_call": round(core_ms, 4),
            "postgres_cpu_ms_per_call": round(pg_ms, 4),
            "ratio_to_health": round(ratio, 3) if ratio else None,
        }
        print(
            f"{method:<18} {summary['calls_per_s']:>9.1f} {ratio or 0:>8.2f} {core_ms:>8.3f} {pg_ms:>7.3f} "
            f"{summary['p50_ms']:>8.2f} {summary['p99_ms']:>8.2f}  {summary['errors'] or ''}"
        )
        if profile is not None and profile.with_suffix(".txt").exists():
            lines = [
                f"{own:5.1f}% self {whole:5.1f}% total  {name}"
                for name, own, whole in top_functions(profile.with_suffix(".txt"), 40)
            ]
            (RESULTS / f"reads_{method}_profile_top.txt").write_text("\n".join(lines) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reads.json").write_text(json.dumps(results, indent=2) + "\n")


def main_with(args: argparse.Namespace) -> int:
    try:
        database = asyncio.run(create_database())
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL on 127.0.0.1:5432 is not reachable ({error}): skipped")
        return 0
    platform_key = format_key(Role.PLATFORM, uuid.uuid4(), new_secret())
    port = free_port()
    env = core_env(database, port, platform_key)
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([sys.executable, "-m", "billing_hub", "migrate"], env=env, check=True, cwd=ROOT)
        process = subprocess.Popen([sys.executable, "-m", "core_server"], env=env, cwd=ROOT)
        asyncio.run(measure(args, f"127.0.0.1:{port}", platform_key, database, process))
        return 0
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if args.keep:
            print(f"kept the database {database}")
        else:
            asyncio.run(drop_database(database))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--profile", action="store_true", help="record the core with py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database to inspect it")
    args = parser.parse_args()
    unknown = set(args.methods.split(",")) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    sys.exit(main_with(args))


if __name__ == "__main__":
    main()
