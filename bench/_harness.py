"""What the benchmarks that drive a real core share (bench/ledger.py, bench/purchase.py).

A scratch PostgreSQL database, the core as its own process on a free loopback port, the bench
tenant and its users, and the load client as a second process, with the CPU time of the core and
of PostgreSQL from its START to its END line (bench/_sampling.py; pgbench is bench/_pgbench.py).
`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import functools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import asyncpg
import psutil  # type: ignore[import-untyped]

from bench._loadgen import user_uuid
from bench._sampling import CpuSampler, CpuWindow, start_profile
from core_server.domain.actor import Role
from core_server.domain.tenancy.api_keys import format_key, new_secret
from sdk.billinghub.v1 import common_pb2, platform_service_pb2, tenant_pb2, wallet_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import DeadlineExceeded, InternalError, Unavailable

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_HOST = "127.0.0.1:5432"
ADMIN_DSN = f"postgresql://postgres@{PG_HOST}/test"
FASTPATH_POOL = 16  # BILLING_HUB_FASTPATH_POOL_SIZE's default: the core's connections for charges
USER_COLUMNS = [
    "tenant_id", "id", "platform", "external_id", "username", "first_name", "last_name", "language_code",
    "search_text", "referral_code", "blocked", "created_at", "updated_at",
]  # fmt: skip


Core: TypeAlias = "subprocess.Popen[bytes]"  # the core's process, as start_core returns it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def dsn(database: str) -> str:
    return f"postgresql://postgres@{PG_HOST}/{database}"


async def create_database(prefix: str) -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = await connect(ADMIN_DSN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def connect(target: str, attempts: int = 20) -> Any:
    """An asyncpg connection; on a shared server whose connections are all taken for a moment
    ("too many clients"), try again for a minute rather than lose the run."""
    for attempt in range(1, attempts + 1):
        try:
            return await asyncpg.connect(target)
        except asyncpg.TooManyConnectionsError:
            if attempt == attempts:
                raise
            await asyncio.sleep(3)
    raise AssertionError("unreachable")


async def drop_database(name: str) -> None:
    connection = await connect(ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def new_platform_key() -> str:
    return format_key(Role.PLATFORM, uuid.uuid4(), new_secret())


def core_env(database_url: str, port: int, platform_key: str, **extra: str) -> dict[str, str]:
    """The environment of a core on `database_url`, and of its `billing-hub migrate`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_HUB_")}
    env.update(
        BILLING_HUB_DATABASE_URL=database_url,
        BILLING_HUB_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        BILLING_HUB_PLATFORM_KEY=platform_key,
        BILLING_HUB_GRPC_LISTEN=f"127.0.0.1:{port}",
        BILLING_HUB_LOG_FORMAT="json",
        BILLING_HUB_LOG_LEVEL="warning",
        # the benches drive thousands of calls a second through one tenant_admin key: a limit far
        # above that keeps the rate limiter's per-call work in what they measure, never refusing
        BILLING_HUB_RATE_LIMIT_TENANT_ADMIN_PER_SECOND="1000000",
        BILLING_HUB_RATE_LIMIT_TENANT_ADMIN_BURST="1000000",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def pg_core_env(
    database: str, port: int, platform_key: str, charge_batches: int | None = None, read_batches: int | None = None
) -> dict[str, str]:
    """`charge_batches`: BILLING_HUB_CHARGE_BATCHES_IN_FLIGHT of the core (None: its default; 0
    writes every usage charge as its own statement), for a before/after of the group commit;
    `read_batches` the same for BILLING_HUB_READ_BATCHES_IN_FLIGHT (0: every screen read alone)."""
    extra = {} if charge_batches is None else {"BILLING_HUB_CHARGE_BATCHES_IN_FLIGHT": str(charge_batches)}
    if read_batches is not None:
        extra["BILLING_HUB_READ_BATCHES_IN_FLIGHT"] = str(read_batches)
    return core_env(f"postgresql+asyncpg://postgres@{PG_HOST}/{database}", port, platform_key, **extra)


def add_charge_batches_option(parser: argparse.ArgumentParser, reads: bool = False) -> None:
    """--charge-batches, and with `reads` --read-batches."""
    options = [("--charge-batches", "CHARGE", "no group commit")]
    if reads:
        options.append(("--read-batches", "READ", "every read alone"))
    for flag, kind, off in options:
        parser.add_argument(
            flag,
            type=int,
            choices=range(65),
            metavar="0..64",
            help=f"the core's BILLING_HUB_{kind}_BATCHES_IN_FLIGHT (default: the core's own; 0: {off})",
        )


def start_core(env: dict[str, str]) -> Core:
    """Migrate the database of `env`, then start the core on it."""
    subprocess.run([sys.executable, "-m", "billing_hub", "migrate"], env=env, check=True, cwd=ROOT)
    return subprocess.Popen([sys.executable, "-m", "core_server"], env=env, cwd=ROOT)


def stop_core(core: Core | None) -> None:
    if core is None or core.poll() is not None:
        return
    core.send_signal(signal.SIGTERM)
    try:
        core.wait(30)
    except subprocess.TimeoutExpired:
        core.kill()
        core.wait()


async def wait_serving(target: str, key: str, core: Core) -> None:
    deadline = time.monotonic() + 60
    last_error: Exception | None = None
    async with BillingHubClient(target, key) as client:
        while time.monotonic() < deadline:
            if core.poll() is not None:
                raise SystemExit(f"the core exited with {core.returncode}")
            try:
                if await client.health(timeout=2) == "SERVING":
                    return
            except Exception as error:  # not up yet: say why only if it never comes up
                last_error = error
            await asyncio.sleep(0.2)
    raise SystemExit(f"the core did not become SERVING within 60 s ({last_error!r})")


async def create_tenant(target: str, platform_key: str, name: str = "Bench") -> tuple[str, str]:
    """A tenant and a tenant_admin key of it: (tenant id, key)."""
    async with BillingHubClient(target, platform_key) as platform:
        tenant = (await platform.platform.CreateTenant(platform_service_pb2.CreateTenantRequest(name=name))).tenant
        created = await platform.platform.CreateApiKey(
            platform_service_pb2.CreateApiKeyRequest(
                tenant_id=tenant.id, role=tenant_pb2.API_KEY_ROLE_TENANT_ADMIN, name="bench"
            )
        )
    return tenant.id, created.secret


async def insert_users(database: str, tenant: str, users: int) -> None:
    """Bench users 1..users (Telegram ids "1".."users"), copied straight into the users table:
    registering 10 000 users through the core would take longer than the benchmark."""
    tenant_id = uuid.UUID(tenant)
    now = dt.datetime.now(dt.UTC)
    records = [
        (tenant_id, uuid.UUID(user_uuid(n)), "telegram", str(n), "", f"User {n}", "", "en", f"user {n}",
         f"B{n:08X}", False, now, now)
        for n in range(1, users + 1)
    ]  # fmt: skip
    connection = await connect(dsn(database))
    try:
        await connection.copy_records_to_table("users", columns=USER_COLUMNS, records=records)
    finally:
        await connection.close()


SETUP_ATTEMPTS = 8  # about half a minute in all: a shared server may lack a free connection that long
T = TypeVar("T")


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """A setup call, made again when the core answers INTERNAL, UNAVAILABLE or DEADLINE_EXCEEDED
    (on a busy machine SQLite's "database is locked" comes back as INTERNAL). `call` must send the
    same request, with the same request_id, each time: a retry then never applies a change twice.
    A benchmark's setup should not die of one transient error."""
    for attempt in range(1, SETUP_ATTEMPTS + 1):
        try:
            return await call()
        except (InternalError, Unavailable, DeadlineExceeded):
            if attempt == SETUP_ATTEMPTS:
                raise
            await asyncio.sleep(attempt)
    raise AssertionError("unreachable")


async def fund_users(
    target: str, key: str, user_ids: Sequence[str], asset: str, amount: int, concurrency: int = 32
) -> None:
    """Credit every wallet through AdjustBalance, `concurrency` calls at a time."""
    async with BillingHubClient(target, key) as admin:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for user_id in user_ids:
            queue.put_nowait(user_id)

        async def fund() -> None:
            while not queue.empty():
                request = wallet_service_pb2.AdjustBalanceRequest(
                    request_id=uuid.uuid4().hex,  # the same on a retry: credited once
                    user_id=queue.get_nowait(),
                    amount=common_pb2.Money(asset=asset, amount_minor=amount),
                    direction=wallet_service_pb2.TRANSFER_DIRECTION_CREDIT,
                    reason="bench funds",
                    actor="bench",
                )
                await with_retries(functools.partial(admin.wallet.AdjustBalance, request))

        await asyncio.gather(*(fund() for _ in range(concurrency)))


_FUND_WALLETS = """
WITH wallets AS (
    INSERT INTO ledger_accounts (tenant_id, id, asset, user_id, system_name, bucket, balance, held, created_at)
    SELECT $1, gen_random_uuid(), $2, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, NULL, 0, $3, 0,
        now()
    FROM generate_series(2, $4::bigint) AS n
    RETURNING id
)
INSERT INTO ledger_transfers (tenant_id, id, asset, kind, amount, debit_account_id, credit_account_id,
    debit_balance_after, credit_balance_after, reference, link_id, reason, actor, created_at)
SELECT $1, gen_random_uuid(), $2, 'adjustment', $3, $5, wallets.id, NULL, $3, '', NULL, 'bench funds', 'bench', now()
FROM wallets
"""


async def fund_wallets_sql(
    target: str, key: str, database: str, tenant: str, users: int, asset: str, amount: int
) -> None:
    """Credit the wallets of bench users 1..users with `amount` of `asset`, posted as AdjustBalance
    posts it (a transfer from the `adjustments` account), but in SQL: user 1's through the core
    (which creates the adjustments account), the others' in one statement, so that the ledger
    invariants (VerifyLedger) hold. Thousands of AdjustBalance calls would take longer than the
    benchmark on a busy machine; the users' wallets of `asset` must not exist yet."""
    await fund_users(target, key, [user_uuid(1)], asset, amount)
    tenant_id = uuid.UUID(tenant)
    connection = await connect(dsn(database))
    try:
        async with connection.transaction():
            bucket = await connection.fetchval(
                "SELECT id FROM ledger_accounts WHERE tenant_id = $1 AND system_name = 'adjustments' AND asset = $2 "
                "ORDER BY bucket LIMIT 1",
                tenant_id,
                asset,
            )
            await connection.execute(_FUND_WALLETS, tenant_id, asset, amount, users, bucket)
            await connection.execute(
                "UPDATE ledger_accounts SET balance = balance - $1 WHERE tenant_id = $2 AND id = $3",
                amount * (users - 1),
                tenant_id,
                bucket,
            )
    finally:
        await connection.close()


async def analyze(database: str) -> None:
    """Statistics of every table, as autovacuum gathers them after a bulk load on a server where it
    runs. The bench seeds thousands of rows by SQL in a moment, and on a server without autovacuum
    (like this one) the planner would otherwise plan the reads on empty-table guesses (GetBalances
    cost 0.95 ms of PostgreSQL CPU per call unanalyzed, 0.10 ms after ANALYZE)."""
    connection = await connect(dsn(database))
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def fetch_rows(database: str, query: str, *args: Any) -> list[Any]:
    connection = await connect(dsn(database))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def count_transfers(database: str) -> int:
    return int((await fetch_rows(database, "SELECT count(*) FROM ledger_transfers"))[0][0])


async def revenue_buckets(database: str, asset: str = "TOKEN") -> list[str]:
    """The ids of the revenue account's buckets of `asset`, in bucket order."""
    query = "SELECT id FROM ledger_accounts WHERE system_name = 'revenue' AND asset = $1 ORDER BY bucket"
    return [str(row["id"]) for row in await fetch_rows(database, query, asset)]


async def verify(target: str, key: str) -> tuple[bool, str]:
    """VerifyLedger of the key's tenant: (ok, the report in one line)."""
    async with BillingHubClient(target, key) as admin:
        reply = await admin.wallet.VerifyLedger(wallet_service_pb2.VerifyLedgerRequest())
    return reply.ok, str(reply).replace("\n", " ")[:300]


def run_client(
    command: list[str], core: psutil.Process, database: str | None, seconds: float, profile: Path | None
) -> tuple[dict[str, Any], CpuWindow]:
    """Run a load client (bench/_loadgen.py's protocol) and measure the CPU time of the core and of
    PostgreSQL (`database`: the bench's) from its START to its END: (its summary, the window)."""
    client = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert client.stdout is not None
    spy: subprocess.Popen[bytes] | None = None
    sampler: CpuSampler | None = None
    window: CpuWindow | None = None
    summary: dict[str, Any] = {}
    for line in client.stdout:
        line = line.strip()
        if line == "START":
            sampler = CpuSampler(core, database)
            sampler.start()
            if profile is not None:
                spy = start_profile(core.pid, profile, seconds)
        elif line == "END" and sampler is not None:
            window = sampler.stop()
        elif line.startswith("{"):
            summary = json.loads(line)
    if client.wait() != 0 or window is None or not summary:
        raise SystemExit("the load client failed")
    if spy is not None:
        spy.wait()
    return summary, window


def on_scratch_database(
    prefix: str, name: str, keep: bool, run: Callable[[str], Coroutine[Any, Any, dict[str, Any]]]
) -> dict[str, Any] | None:
    """Run a benchmark on a new scratch database: `run(database)`'s result goes to
    bench/results/<name>.json, then the database is dropped (unless `keep`). None, said so, when
    PostgreSQL is not reachable: a benchmark then skips rather than fails."""
    try:
        database = asyncio.run(create_database(prefix))
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL on {PG_HOST} is not reachable ({error}): skipped")
        return None
    try:
        result = asyncio.run(run(database))
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"== wrote bench/results/{name}.json")
    finally:
        if keep:
            print(f"kept the database {database} (drop it with: dropdb -h 127.0.0.1 -U postgres {database})")
        else:
            asyncio.run(drop_database(database))
    return result
