"""Webhook benchmark: signed CryptoBot deliveries per second through the HTTP gateway and the core on
PostgreSQL, 20 % of them duplicates, against the one-call purchase of the same run.

What it does, in one run:
1. creates a scratch database, starts the core on it (its own process, a free loopback port, modest
   pools: the PostgreSQL server is shared) and seeds the bench tenant as bench/purchase.py does
   (bench/_purchase_setup.py: users copied in, XTR and TOKEN wallets funded, a catalog);
2. the yardstick: the one-call purchase (PurchaseFromWallet, bench/purchase_client.py) against
   that core, same concurrency, warm-up and window;
3. seeds the webhooks: the asset USDT (scale 6), the tenant's `cryptobot` settings (a placeholder
   app token, a USDT limit, `base_url` at a name that never resolves: a signed CryptoBot
   delivery carries facts the core trusts, so nothing calls the provider) and pending top-up payments of
   5 USDT copied into `payments` (provider `cryptobot`, the invoice id as `provider_ref`, the next
   reconciliation check a month away so the worker stays quiet); creates a gateway key through the
   platform key and starts the HTTP gateway (`python -m http_gateway`, its own process, a free
   loopback port);
4. runs bench/webhooks_client.py in a second process: signed `invoice_paid` deliveries posted with
   httpx (HTTP/1.1 keep-alive), 64 in flight, every fifth one a repeat of an invoice already
   delivered; it samples the CPU of the core, the gateway and PostgreSQL over the measured window
   (`--profile`: py-spy records the core, the gateway and the load client);
5. checks: the top-up credits (transfers `payment:<id>`) equal the unique invoices delivered with
   200, each such payment succeeded with exactly one credit, duplicates credited nothing, the
   undelivered payments are still pending, and VerifyLedger is clean; stops everything and drops
   the database;
6. writes bench/results/webhooks.json (`value`: deliveries/s; `limit`: one-call purchases/s of the
   same run; `ratio`; `cpu_ratio`: core + gateway CPU over PostgreSQL CPU per delivery) and prints
   a table. The target: ratio >= 0.5.

`--orders`: each payment pays an order instead of topping up the wallet (a pending order of a token
pack priced 5 USDT, delivering 10 TOKEN, copied into `orders` beside its payment): a delivery
credits the wallet from `provider:cryptobot` and settles the order from it in the same transaction
(payment, delivery: `order.paid`, `order.fulfilled`). The checks then also count one order payment
and one fulfilled order per unique invoice delivered; the result goes to
bench/results/webhooks_orders.json.

Options: `--seconds` (10), `--warmup` (2), `--concurrency` (64), `--users` (10 000), `--payments`
(pending payments to deliver; 0 sizes them from the purchase rate), `--orders`, `--profile`, `--keep`.
Without PostgreSQL it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _harness as harness  # noqa: E402
from bench import _purchase_backends as backends  # noqa: E402
from bench import _purchase_setup as setup  # noqa: E402
from bench import _sampling as sampling  # noqa: E402
from bench._loadgen import user_uuid  # noqa: E402
from core_server.store.ids import new_id  # noqa: E402
from sdk.billinghub.v1 import (  # noqa: E402
    catalog_service_pb2,
    common_pb2,
    package_pb2,
    payment_pb2,
    payment_service_pb2,
    platform_service_pb2,
    tenant_pb2,
)
from sdk.client import BillingHubClient  # noqa: E402

RESULTS = harness.RESULTS
TARGET_RATIO = 0.5  # deliveries/s over one-call purchases/s of the same run
DB_POOL_SIZE = 10  # the core's pool (and as many overflow) on the shared server
FASTPATH_POOL_SIZE = 8
ASSET, SCALE = "USDT", 6
AMOUNT_MINOR = 5_000_000  # 5 USDT: each payment's amount, and what its delivery reports paid
API_TOKEN = "11111:AAbenchPlaceholderCryptoPayToken"  # noqa: S105  # made up: only signs the deliveries
# The provider's address, never called (signed deliveries carry facts the core trusts): a name that
# never resolves (.invalid), as a loopback address is no longer a base_url a tenant may set.
CLOSED_URL = "https://cryptobot.bench.invalid/api"
FIRST_INVOICE = 1_000_001
MIN_PAYMENTS = 2_000
PAYMENT_MARGIN = 2.0  # pending payments over first deliveries expected at the purchase rate
ORDER_TOKENS = 10  # TOKEN: what the order's token pack delivers (--orders)
ORDER_COLUMNS = [
    "tenant_id", "id", "user_id", "package_id", "package_kind", "quantity", "recipient", "asset", "subtotal",
    "discount", "total", "promo_code", "status", "paid_via", "refunded", "failure_reason", "delivery", "expires_at",
    "active_until", "created_at", "paid_at", "fulfilled_at", "closed_at",
]  # fmt: skip
PAYMENT_COLUMNS = [
    "tenant_id", "id", "user_id", "order_id", "provider", "provider_ref", "status", "asset", "amount", "pay_url",
    "provider_status", "failure_reason", "expires_at", "next_check_at", "checks", "created_at", "updated_at",
]  # fmt: skip


def core_env(database: str, port: int, platform_key: str) -> dict[str, str]:
    env = harness.pg_core_env(database, port, platform_key)
    env.update(BILLING_HUB_DB_POOL_SIZE=str(DB_POOL_SIZE), BILLING_HUB_FASTPATH_POOL_SIZE=str(FASTPATH_POOL_SIZE))
    return env


def gateway_env(core_target: str, key: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_HUB_")}
    env.update(
        BILLING_HUB_CORE_TARGET=core_target,
        BILLING_HUB_GATEWAY_KEY=key,
        BILLING_HUB_HTTP_LISTEN=f"127.0.0.1:{port}",
        BILLING_HUB_LOG_FORMAT="json",
        BILLING_HUB_LOG_LEVEL="warning",  # as the core's (bench/_harness.py): no line per request
        PYTHONPATH=str(ROOT),
    )
    return env


def payments_needed(purchases_per_s: float | None, args: argparse.Namespace) -> int:
    if args.payments:
        return int(args.payments)
    rate = purchases_per_s or backends.DEFAULT_WRITE_RATE
    firsts: float = rate * (args.warmup + args.seconds) * (1 - 1 / 5)
    return max(MIN_PAYMENTS, math.ceil(firsts * PAYMENT_MARGIN) + int(args.concurrency))


async def seed_cryptobot(target: str, key: str) -> None:
    """USDT and the tenant's cryptobot settings, through the core."""
    async with BillingHubClient(target, key) as admin:
        await admin.catalog.CreateAsset(catalog_service_pb2.CreateAssetRequest(code=ASSET, scale=SCALE))
        config = payment_pb2.ProviderConfig(
            provider="cryptobot",
            enabled=True,
            limits=[payment_pb2.PaymentLimit(asset=ASSET, min_minor=1, max_minor=1_000_000_000)],
            title={"en": "Crypto Bot"},
            base_url=CLOSED_URL,
        )
        await admin.payments.SetProviderConfig(
            payment_service_pb2.SetProviderConfigRequest(config=config, secrets={"api_token": API_TOKEN})
        )


async def create_order_pack(target: str, key: str) -> str:
    """The token pack the orders of `--orders` buy: 5 USDT for ORDER_TOKENS TOKEN."""
    async with BillingHubClient(target, key) as admin:
        package = package_pb2.Package(
            kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
            title={"en": f"{ORDER_TOKENS} tokens for USDT"},
            active=True,
            price=common_pb2.Money(asset=ASSET, amount_minor=AMOUNT_MINOR),
            delivers=common_pb2.Money(asset="TOKEN", amount_minor=ORDER_TOKENS),
        )
        created = await admin.catalog.CreatePackage(catalog_service_pb2.CreatePackageRequest(package=package))
    return str(created.package.id)


async def insert_orders(connection: Any, tenant: str, package: str, users: list[uuid.UUID]) -> list[uuid.UUID]:
    """A pending order of `package` for each of `users`, copied in as CreateOrder leaves it."""
    tenant_id, package_id, now = uuid.UUID(tenant), uuid.UUID(package), dt.datetime.now(dt.UTC)
    ids = [new_id() for _ in users]
    records = [
        (tenant_id, order, user, package_id, "token_pack", 1, "", ASSET, AMOUNT_MINOR, 0, AMOUNT_MINOR, None,
         "pending", "", 0, "", "{}", now + dt.timedelta(days=1), None, now, None, None, None)
        for order, user in zip(ids, users, strict=True)
    ]  # fmt: skip
    await connection.copy_records_to_table("orders", columns=ORDER_COLUMNS, records=records)
    return ids


async def insert_payments(
    connection: Any, tenant: str, users: int, count: int, order_package: str | None = None
) -> list[dict[str, Any]]:
    """`count` pending payments of 5 USDT (users in turn), copied in as CreatePayment leaves them once
    CryptoBot has opened the invoice: top-ups, or with `order_package` each paying a pending order
    of it; returns what the load client needs of each."""
    tenant_id, now = uuid.UUID(tenant), dt.datetime.now(dt.UTC)
    buyers = [uuid.UUID(user_uuid(n % users + 1)) for n in range(count)]
    orders: list[uuid.UUID | None] = [None] * count
    if order_package is not None:
        orders = list(await insert_orders(connection, tenant, order_package, buyers))
    records, invoices = [], []
    for n in range(count):
        payment, invoice_id = new_id(), FIRST_INVOICE + n
        records.append(
            (tenant_id, payment, buyers[n], orders[n], "cryptobot", str(invoice_id), "pending",
             ASSET, AMOUNT_MINOR, f"https://t.me/CryptoBot?start=IVbench{invoice_id}", "active", "",
             now + dt.timedelta(days=1), now + dt.timedelta(days=30), 0, now, now)
        )  # fmt: skip
        invoices.append({"invoice_id": invoice_id, "payment_id": str(payment), "asset": ASSET, "amount": "5"})
    await connection.copy_records_to_table("payments", columns=PAYMENT_COLUMNS, records=records)
    return invoices


async def gateway_key(target: str, platform_key: str) -> str:
    async with BillingHubClient(target, platform_key) as platform:
        created = await platform.platform.CreateApiKey(
            platform_service_pb2.CreateApiKeyRequest(role=tenant_pb2.API_KEY_ROLE_GATEWAY, name="bench http gateway")
        )
    return str(created.secret)


def start_gateway(env: dict[str, str]) -> harness.Core:
    return subprocess.Popen([sys.executable, "-m", "http_gateway"], env=env, cwd=ROOT)


async def wait_gateway(url: str, gateway: harness.Core) -> None:
    deadline = time.monotonic() + 60
    last: object = None
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if gateway.poll() is not None:
                raise SystemExit(f"the HTTP gateway exited with {gateway.returncode}")
            try:
                answer = await client.get(f"{url}/healthz")
                if answer.status_code == 200:
                    return
                last = answer.status_code
            except httpx.HTTPError as error:
                last = error
            await asyncio.sleep(0.2)
    raise SystemExit(f"the HTTP gateway did not answer /healthz with 200 within 60 s ({last!r})")


def run_client(
    command: list[str], core: psutil.Process, gateway: psutil.Process, database: str, seconds: float, profile: bool
) -> tuple[dict[str, Any], sampling.CpuWindow, float]:
    """bench/_harness.py's run_client, with the gateway's CPU beside the core's and PostgreSQL's, and
    py-spy on the core, the gateway and the client: (the client's summary, the window, the gateway's CPU seconds)."""
    client = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert client.stdout is not None
    spies: list[subprocess.Popen[bytes]] = []
    sampler: sampling.CpuSampler | None = None
    window: sampling.CpuWindow | None = None
    gateway_start = gateway_s = 0.0
    summary: dict[str, Any] = {}
    for line in client.stdout:
        line = line.strip()
        if line == "START":
            sampler = sampling.CpuSampler(core, database)
            gateway_start = sampling.cpu_seconds(gateway)
            sampler.start()
            if profile:
                for pid, name in ((core.pid, "core"), (gateway.pid, "gateway"), (client.pid, "client")):
                    spy = sampling.start_profile(pid, RESULTS / f"webhooks_{name}_profile", seconds)
                    if spy is not None:
                        spies.append(spy)
        elif line == "END" and sampler is not None:
            window = sampler.stop()
            gateway_s = sampling.cpu_seconds(gateway) - gateway_start
        elif line.startswith("{"):
            summary = json.loads(line)
    if client.wait() != 0 or window is None or not summary:
        raise SystemExit("the webhook load client failed")
    for spy in spies:
        spy.wait()
    return summary, window, gateway_s


async def check_orders(connection: Any, tenant: str, unique: int) -> dict[str, Any]:
    """With --orders: one order payment and one fulfilled order per unique invoice delivered."""
    tenant_id = uuid.UUID(tenant)
    payments = await connection.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE tenant_id = $1 AND kind = 'order_payment' AND asset = $2",
        tenant_id,
        ASSET,
    )
    fulfilled = await connection.fetchval(
        "SELECT count(*) FROM orders WHERE tenant_id = $1 AND asset = $2 AND status = 'fulfilled'"
        " AND paid_via = 'provider:cryptobot'",
        tenant_id,
        ASSET,
    )
    settled = await connection.fetchval(
        "SELECT count(*) FROM payments WHERE tenant_id = $1 AND provider = 'cryptobot' AND order_settled", tenant_id
    )
    return {
        "order_payments_equal_unique": int(payments) == unique,
        "fulfilled_orders_equal_unique": int(fulfilled) == unique,
        "settled_payments_equal_unique": int(settled) == unique,
    }


async def check_credits(
    connection: Any, tenant: str, delivered: set[str], failed_first: list[int], *, orders: bool = False
) -> dict[str, Any]:
    """What the database says was credited, against what the client saw delivered."""
    tenant_id = uuid.UUID(tenant)
    credits = await connection.fetchrow(
        "SELECT count(*) AS transfers, count(DISTINCT reference) AS payments, coalesce(sum(amount), 0) AS amount "
        "FROM ledger_transfers WHERE tenant_id = $1 AND kind = 'topup' AND reference LIKE 'payment:%'",
        tenant_id,
    )
    rows = await connection.fetch(
        "SELECT provider_ref, status, credit_transfer_id IS NOT NULL AS credited FROM payments "
        "WHERE tenant_id = $1 AND provider = 'cryptobot'",
        tenant_id,
    )
    statuses: dict[str, int] = {}
    succeeded: set[str] = set()
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        if row["status"] == "succeeded" and row["credited"]:
            succeeded.add(row["provider_ref"])
    failed = {str(invoice) for invoice in failed_first}
    unexpected = succeeded - delivered
    unique = len(delivered)
    checks = {
        "credits_equal_unique": credits["transfers"] == unique,
        "one_credit_per_payment": credits["transfers"] == credits["payments"],
        "delivered_all_succeeded": delivered <= succeeded,
        "nothing_else_credited": not unexpected,
        "credited_amount_matches": int(credits["amount"]) == unique * AMOUNT_MINOR,
    }
    if orders:
        checks.update(await check_orders(connection, tenant, unique))
    return {
        "credits": int(credits["transfers"]),
        "credited_payments": int(credits["payments"]),
        "credited_minor": int(credits["amount"]),
        "unique_delivered": unique,
        "payment_statuses": statuses,
        "credited_but_not_answered_200": len(unexpected),
        "credited_of_failed_first_deliveries": len(unexpected & failed),
        "checks": checks,
        "ok": all(checks.values()),
    }


async def run(args: argparse.Namespace, database: str, folder: Path) -> dict[str, Any]:
    platform_key, core_port, http_port = harness.new_platform_key(), harness.free_port(), harness.free_port()
    core = backends.Core(core_env(database, core_port, platform_key), platform_key, core_port)
    url = f"http://127.0.0.1:{http_port}"
    details: dict[str, Any] = {
        "users": args.users,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "duplicate_share": 0.2,
        "pays_orders": args.orders,
        "cores": os.cpu_count(),
        "core_pools": {"db_pool_size": DB_POOL_SIZE, "fastpath_pool_size": FASTPATH_POOL_SIZE},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    connection = await harness.connect(harness.dsn(database))

    async def count() -> int:
        return int(await connection.fetchval("SELECT count(*) FROM ledger_transfers"))

    gateway: harness.Core | None = None
    try:
        async with core as core_process:
            started = time.perf_counter()
            shop = await setup.seed_pg_shop(core.target, platform_key, database, args.users)
            took = time.perf_counter() - started
            print(f"seeded {args.users} users with funded XTR and TOKEN wallets in {took:.1f} s")
            purchase_args = argparse.Namespace(**{**vars(args), "profile": False})
            purchase = await backends.measure(
                "purchase_one_call", shop, core.target, core_process, purchase_args, folder, count, database
            )
            payments = payments_needed(purchase["calls_per_s"], args)
            started = time.perf_counter()
            await seed_cryptobot(core.target, shop.key)
            order_package = await create_order_pack(core.target, shop.key) if args.orders else None
            invoices = await insert_payments(connection, shop.tenant, args.users, payments, order_package)
            key = await gateway_key(core.target, platform_key)
            print(f"seeded {payments} pending CryptoBot payments in {time.perf_counter() - started:.1f} s")
            gateway = start_gateway(gateway_env(core.target, key, http_port))
            await wait_gateway(url, gateway)
            setup_file, delivered_file = folder / "webhooks_setup.json", folder / "delivered.txt"
            setup_file.write_text(json.dumps({"tenant": shop.tenant, "api_token": API_TOKEN, "invoices": invoices}))
            print(f"== webhooks: {args.concurrency} in flight, {args.seconds:g} s after {args.warmup:g} s warm-up")
            command = [
                sys.executable, str(ROOT / "bench" / "webhooks_client.py"), "--url", url, "--setup", str(setup_file),
                "--delivered", str(delivered_file), "--concurrency", str(args.concurrency),
                "--warmup", str(args.warmup), "--seconds", str(args.seconds),
            ]  # fmt: skip
            summary, window, gateway_s = await asyncio.to_thread(
                run_client,
                command,
                psutil.Process(core_process.pid),
                psutil.Process(gateway.pid),
                database,
                args.seconds,
                args.profile,
            )
            harness.stop_core(gateway)
            gateway = None
            if args.profile:
                for name in ("core", "gateway", "client"):
                    sampling.write_profile_top(RESULTS / f"webhooks_{name}_profile", f"webhooks_{name}")
            delivered = set(delivered_file.read_text().split())
            credits = await check_credits(
                connection, shop.tenant, delivered, summary["failed_first_invoices"], orders=args.orders
            )
            verified = await backends.verify(core.target, shop.key)
    finally:
        harness.stop_core(gateway)
        await connection.close()
    deliveries = summary["deliveries"]

    def per_delivery(seconds: float) -> float | None:
        return round(seconds * 1000 / deliveries, 4) if deliveries else None

    figures = {
        **{k: v for k, v in summary.items() if k not in ("failed_first_invoices", "concurrency")},
        "core_cpu_ms_per_delivery": per_delivery(window.core_s),
        "gateway_cpu_ms_per_delivery": per_delivery(gateway_s),
        "postgres_cpu_ms_per_delivery": per_delivery(window.postgres_s),
        "postgres_own_cpu_ms_per_delivery": per_delivery(window.postgres_own_s),
        "payments_seeded": payments,
    }
    value, limit = summary["deliveries_per_s"], purchase["calls_per_s"]
    ratio = round(value / limit, 3) if limit else None
    hub_cpu = (window.core_s + gateway_s) / deliveries if deliveries else None
    pg_cpu = window.postgres_s / deliveries if deliveries else None
    details.update(
        deliveries=deliveries,
        duplicates=summary["duplicates"],
        unique=credits["unique_delivered"],
        credits=credits["credits"],
        errors=summary["errors"],
        webhooks=figures,
        credit_check=credits,
        verify=verified,
        purchase_one_call=purchase,
        target={"rule": "deliveries/s >= 0.5 x one-call purchases/s", "ratio_min": TARGET_RATIO,
                "ratio": ratio, "met": ratio >= TARGET_RATIO if ratio is not None else None},
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )  # fmt: skip
    return {
        "metric": "webhook_order_deliveries_per_second" if args.orders else "webhook_deliveries_per_second",
        "value": value,
        "unit": "deliveries/s",
        "limit": limit,
        "ratio": ratio,
        "cpu_ratio": round(hub_cpu / pg_cpu, 3) if hub_cpu is not None and pg_cpu else None,
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "details": details,
    }


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(result: dict[str, Any]) -> str:
    details = result["details"]
    hooks, purchase = details["webhooks"], details["purchase_one_call"]
    header = ("run", "ops/s", "core ms/op", "gateway ms/op", "pg ms/op", "client ms/op", "p50 ms", "p99 ms", "errors")
    rows = [
        header,
        (
            "webhooks paying orders (20 % duplicates)" if details["pays_orders"] else "webhooks (20 % duplicates)",
            _cell(hooks["deliveries_per_s"], 1),
            _cell(hooks["core_cpu_ms_per_delivery"], 3),
            _cell(hooks["gateway_cpu_ms_per_delivery"], 3),
            _cell(hooks["postgres_cpu_ms_per_delivery"], 3),
            _cell(hooks["client_cpu_ms_per_delivery"], 3),
            _cell(hooks["p50_ms"], 1),
            _cell(hooks["p99_ms"], 1),
            ",".join(f"{kind}:{n}" for kind, n in hooks["errors"].items()) or "0",
        ),
        (
            "purchase_one_call",
            _cell(purchase["calls_per_s"], 1),
            _cell(purchase["core_cpu_ms_per_op"], 3),
            "-",
            _cell(purchase["postgres_cpu_ms_per_op"], 3),
            _cell(purchase["client_cpu_ms_per_op"], 3),
            _cell(purchase["p50_ms"], 1),
            _cell(purchase["p99_ms"], 1),
            ",".join(f"{code}:{n}" for code, n in purchase["errors"].items()) or "0",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    credit = details["credit_check"]
    target = details["target"]
    verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
    lines += [
        "",
        f"deliveries {details['deliveries']} in the window ({details['duplicates']} duplicates); since the start "
        f"{credit['unique_delivered']} unique invoices delivered with 200, {credit['credits']} credits "
        f"({'ok' if credit['ok'] else 'MISMATCH: ' + str(credit['checks'])}); VerifyLedger "
        f"{'ok' if details['verify']['ok'] else 'DRIFT'}",
        f"webhooks: {_cell(result['value'], 1)} deliveries/s, one-call purchases {_cell(result['limit'], 1)}/s, "
        f"ratio {_cell(result['ratio'], 3)} (target >= {TARGET_RATIO}: {verdict}), cpu_ratio "
        f"{_cell(result['cpu_ratio'], 3)}",
    ]
    return "\n".join(lines)


def main_with(args: argparse.Namespace) -> int:
    async def scratch(database: str) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench_webhooks_") as folder:
            return await run(args, database, Path(folder))

    name = "webhooks_orders" if args.orders else "webhooks"
    result = harness.on_scratch_database("bench_webhooks", name, args.keep, scratch)
    if result is None:
        return 0
    print(table(result))
    details = result["details"]
    checks = [details["credit_check"]["ok"], details["verify"]["ok"], details["purchase_one_call"]["transfers_match"]]
    if not all(checks):
        print("the run's own checks failed (credits, VerifyLedger or purchase transfers): see the details")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="the measured window (webhooks and purchases)")
    parser.add_argument("--warmup", type=float, default=2.0, help="the same load before each window")
    parser.add_argument("--concurrency", type=int, default=64, help="deliveries (and purchases) in flight")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--payments", type=int, default=0, help="pending payments (0: sized from the purchase rate)")
    parser.add_argument("--orders", action="store_true", help="each payment pays a pending order (a token pack)")
    parser.add_argument("--profile", action="store_true", help="py-spy the core, the gateway, the client")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database to inspect it")
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 1000 or not 0 < args.seconds <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("concurrency 1..1000, seconds 0..3600, warmup 0..600")
    if args.users < 2 or args.payments < 0:
        parser.error("at least 2 users, payments >= 0")
    sys.exit(main_with(args))


if __name__ == "__main__":
    main()
