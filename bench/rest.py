"""REST benchmark: the one-call purchase through the HTTP gateway's REST API against the same
purchase over gRPC in the same run, and outbound webhook deliveries per second to a local receiver.

What it does, in one run:
1. creates a scratch database, starts the core on it (its own process, a free loopback port, the
   modest pools of bench/webhooks.py, outbound webhooks allowed to plain http on loopback) and seeds
   the bench tenant as bench/purchase.py does (bench/_purchase_setup.py);
2. the yardstick: the one-call purchase over gRPC (PurchaseFromWallet, bench/purchase_client.py),
   64 in flight;
3. starts the HTTP gateway (`python -m http_gateway`, its own process) and runs bench/rest_client.py:
   `POST /api/v1/orders/purchase` with the tenant admin's key and a fresh Idempotency-Key each,
   64 in flight, sampling the CPU of the core, the gateway and PostgreSQL; the transfers gained
   must equal two per purchase made (the payment and the delivery);
4. outbound webhooks: starts a receiver on loopback (aiohttp, in this process; it checks every
   signature with sdk.verify_webhook), creates an endpoint for `order.paid` through the core, runs
   a burst of gRPC purchases (`--burst-seconds`) and waits until every `order.paid` event written
   after the endpoint was created has arrived. Figures: deliveries/s from the first arrival to the
   last, and the drain rate once the burst has ended (what the dispatcher does alone);
5. checks the ledger (VerifyLedger), stops everything and drops the database;
6. writes bench/results/rest.json (`value`: REST purchases/s; `limit`: gRPC purchases/s of the
   same run; `ratio`; `cpu_ratio`: core + gateway CPU over PostgreSQL CPU per REST purchase;
   `details.outbound`) and prints a table. The target: ratio >= 0.5.

Options: `--seconds` (8), `--warmup` (2), `--concurrency` (64), `--users` (10 000),
`--burst-seconds` (4), `--keep`. Without PostgreSQL it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _harness as harness  # noqa: E402
from bench import _purchase_backends as backends  # noqa: E402
from bench import _purchase_setup as setup  # noqa: E402
from bench import webhooks  # noqa: E402
from sdk.billinghub.v1 import webhook_service_pb2  # noqa: E402
from sdk.client import BillingHubClient  # noqa: E402
from sdk.webhooks import WebhookSignatureError, verify_webhook  # noqa: E402

RESULTS = harness.RESULTS
TARGET_RATIO = 0.5  # REST purchases/s over gRPC purchases/s of the same run
TRANSFERS_PER_PURCHASE = 2
EVENT_TYPE = "order.paid"
DRAIN_TIMEOUT_SECONDS = 300.0


class Receiver:
    """A tenant's webhook endpoint: verifies each delivery and notes when each event first came."""

    def __init__(self) -> None:
        self.secret = ""
        self.first_seen: dict[str, float] = {}
        self.deliveries = 0
        self.bad_signatures = 0
        self.runner: web.AppRunner | None = None
        self.url = ""
        self._waiting_for: set[str] = set()
        self._all_came = asyncio.Event()

    async def all_of(self, events: set[str]) -> None:
        """Return once each of `events` has arrived."""
        self._waiting_for = events - set(self.first_seen)
        if self._waiting_for:
            await self._all_came.wait()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = verify_webhook(self.secret, dict(request.headers), body)
        except WebhookSignatureError:
            self.bad_signatures += 1
            return web.Response(status=400)
        self.deliveries += 1
        event_id = str(event["id"])
        self.first_seen.setdefault(event_id, time.perf_counter())
        if event_id in self._waiting_for:
            self._waiting_for.discard(event_id)
            if not self._waiting_for:
                self._all_came.set()
        return web.Response(status=200)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = harness.free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def core_env(database: str, port: int, platform_key: str) -> dict[str, str]:
    env = webhooks.core_env(database, port, platform_key)
    env["BILLING_HUB_WEBHOOKS_ALLOW_LOOPBACK_HTTP"] = "true"
    return env


async def rest_window(
    args: argparse.Namespace, shop: setup.Shop, url: str, core: harness.Core, gateway: harness.Core, database: str,
    folder: Path,
) -> dict[str, Any]:  # fmt: skip
    setup_file = folder / "rest_setup.json"
    shop.write(setup_file)
    print(f"== rest purchase: {args.concurrency} in flight, {args.seconds:g} s after {args.warmup:g} s warm-up")
    command = [
        sys.executable, str(ROOT / "bench" / "rest_client.py"), "--url", url, "--key", shop.key,
        "--setup", str(setup_file), "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--seconds", str(args.seconds),
    ]  # fmt: skip
    summary, window, gateway_s = await asyncio.to_thread(
        webhooks.run_client, command, psutil.Process(core.pid), psutil.Process(gateway.pid), database,
        args.seconds, False,
    )  # fmt: skip
    calls = summary["calls"]

    def per_op(seconds: float) -> float | None:
        return round(seconds * 1000 / calls, 4) if calls else None

    figures = {
        "calls_per_s": summary["calls_per_s"],
        "calls": calls,
        "duration_s": summary["duration_s"],
        "core_cpu_ms_per_op": per_op(window.core_s),
        "gateway_cpu_ms_per_op": per_op(gateway_s),
        "postgres_cpu_ms_per_op": per_op(window.postgres_s),
        "client_cpu_ms_per_op": summary["client_cpu_ms_per_call"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "errors": summary["errors"],
        "ops_incl_warmup": summary["calls_total_incl_warmup"],
    }
    print(
        f"   {figures['calls_per_s']} purchases/s, core {figures['core_cpu_ms_per_op']} ms/op, gateway "
        f"{figures['gateway_cpu_ms_per_op']} ms/op, PostgreSQL {figures['postgres_cpu_ms_per_op']} ms/op, "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {figures['errors'] or 0}"
    )
    return figures


async def outbound(
    args: argparse.Namespace, shop: setup.Shop, core: backends.Core, process: harness.Core, connection: Any,
    folder: Path,
) -> dict[str, Any]:  # fmt: skip
    receiver = Receiver()
    await receiver.start()
    try:
        before = int(await connection.fetchval("SELECT coalesce(max(id), 0) FROM events WHERE tenant_id = $1",
                                               uuid.UUID(shop.tenant)))  # fmt: skip
        async with BillingHubClient(core.target, shop.key) as admin:
            created = await admin.webhooks.CreateWebhookEndpoint(
                webhook_service_pb2.CreateWebhookEndpointRequest(url=receiver.url, event_types=[EVENT_TYPE])
            )
        receiver.secret = created.secret
        burst = argparse.Namespace(**{**vars(args), "seconds": args.burst_seconds, "warmup": 0.5, "profile": False})
        print(f"== outbound: a {args.burst_seconds:g} s burst of purchases, each `{EVENT_TYPE}` to {receiver.url}")

        async def count() -> int:
            return int(await connection.fetchval("SELECT count(*) FROM ledger_transfers"))

        burst_started = time.perf_counter()
        await backends.measure("purchase_one_call", shop, core.target, process, burst, folder, count, None)
        burst_ended = time.perf_counter()
        rows = await connection.fetch(
            "SELECT id FROM events WHERE tenant_id = $1 AND type = $2 AND id > $3", uuid.UUID(shop.tenant), EVENT_TYPE,
            before,
        )  # fmt: skip
        expected = {str(row["id"]) for row in rows}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receiver.all_of(expected), DRAIN_TIMEOUT_SECONDS)
        arrived = [receiver.first_seen[e] for e in expected if e in receiver.first_seen]
    finally:
        await receiver.stop()
    missing = len(expected) - len(arrived)
    first, last = (min(arrived), max(arrived)) if arrived else (burst_started, burst_started)
    after_burst = [t for t in arrived if t > burst_ended]
    span = last - first
    drain = last - burst_ended
    figures = {
        "events": len(expected),
        "delivered": len(arrived),
        "missing": missing,
        "deliveries_received": receiver.deliveries,
        "repeats": receiver.deliveries - len(arrived),
        "bad_signatures": receiver.bad_signatures,
        "burst_s": round(burst_ended - burst_started, 3),
        "first_to_last_s": round(span, 3),
        "deliveries_per_s": round(len(arrived) / span, 2) if span > 0 else None,
        "delivered_after_burst": len(after_burst),
        "drain_s": round(drain, 3),
        "drain_deliveries_per_s": round(len(after_burst) / drain, 2) if drain > 0 and after_burst else None,
        "first_delivery_after_burst_start_s": round(first - burst_started, 3) if arrived else None,
    }
    print(
        f"   {figures['delivered']}/{figures['events']} events delivered, {figures['deliveries_per_s']}/s first to "
        f"last, drain {figures['drain_deliveries_per_s']}/s after the burst, repeats {figures['repeats']}, "
        f"bad signatures {figures['bad_signatures']}"
    )
    return figures


async def run(args: argparse.Namespace, database: str, folder: Path) -> dict[str, Any]:
    platform_key, core_port, http_port = harness.new_platform_key(), harness.free_port(), harness.free_port()
    core = backends.Core(core_env(database, core_port, platform_key), platform_key, core_port)
    url = f"http://127.0.0.1:{http_port}"
    details: dict[str, Any] = {
        "users": args.users,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    connection = await harness.connect(harness.dsn(database))

    async def count() -> int:
        return int(await connection.fetchval("SELECT count(*) FROM ledger_transfers"))

    gateway: harness.Core | None = None
    try:
        async with core as process:
            shop = await setup.seed_pg_shop(core.target, platform_key, database, args.users)
            await backends.analyze(connection)
            grpc_figures = await backends.measure(
                "purchase_one_call", shop, core.target, process, args, folder, count, database
            )
            key = await webhooks.gateway_key(core.target, platform_key)
            gateway = webhooks.start_gateway(webhooks.gateway_env(core.target, key, http_port))
            await webhooks.wait_gateway(url, gateway)
            before = await count()
            rest = await rest_window(args, shop, url, process, gateway, database, folder)
            gained = await count() - before
            rest.update(
                transfers_gained=gained,
                transfers_expected=TRANSFERS_PER_PURCHASE * rest["ops_incl_warmup"],
                transfers_match=gained == TRANSFERS_PER_PURCHASE * rest["ops_incl_warmup"],
            )
            harness.stop_core(gateway)
            gateway = None
            sent = await outbound(args, shop, core, process, connection, folder)
            verified = await backends.verify(core.target, shop.key)
    finally:
        harness.stop_core(gateway)
        await connection.close()
    value, limit = rest["calls_per_s"], grpc_figures["calls_per_s"]
    ratio = round(value / limit, 3) if limit else None
    hub = (rest["core_cpu_ms_per_op"] or 0) + (rest["gateway_cpu_ms_per_op"] or 0)
    pg = rest["postgres_cpu_ms_per_op"]
    details.update(
        rest_purchase=rest,
        grpc_purchase=grpc_figures,
        outbound=sent,
        verify=verified,
        target={"rule": "REST purchases/s >= 0.5 x gRPC purchases/s", "ratio_min": TARGET_RATIO, "ratio": ratio,
                "met": ratio >= TARGET_RATIO if ratio is not None else None},
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )  # fmt: skip
    return {
        "metric": "rest_one_call_purchases_per_second",
        "value": value,
        "unit": "purchases/s",
        "limit": limit,
        "ratio": ratio,
        "cpu_ratio": round(hub / pg, 3) if pg else None,
        "p50_ms": rest["p50_ms"],
        "p99_ms": rest["p99_ms"],
        "details": details,
    }


def table(result: dict[str, Any]) -> str:
    d = result["details"]
    rest, grpc, out = d["rest_purchase"], d["grpc_purchase"], d["outbound"]
    lines = [
        "| load | per second | core ms/op | gateway ms/op | PostgreSQL ms/op | p50 / p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
        f"| gRPC purchase (PurchaseFromWallet) | {grpc['calls_per_s']} | {grpc['core_cpu_ms_per_op']} | - | "
        f"{grpc['postgres_cpu_ms_per_op']} | {grpc['p50_ms']} / {grpc['p99_ms']} | {grpc['errors'] or 0} |",
        f"| REST purchase (POST /api/v1/orders/purchase) | {rest['calls_per_s']} | {rest['core_cpu_ms_per_op']} | "
        f"{rest['gateway_cpu_ms_per_op']} | {rest['postgres_cpu_ms_per_op']} | {rest['p50_ms']} / {rest['p99_ms']} | "
        f"{rest['errors'] or 0} |",
        "",
        f"ratio REST / gRPC: {result['ratio']} (target >= {TARGET_RATIO}: "
        f"{'met' if d['target']['met'] else 'missed'}); transfers match: {rest['transfers_match']}",
        f"outbound `{EVENT_TYPE}`: {out['delivered']}/{out['events']} delivered, {out['deliveries_per_s']}/s first to "
        f"last, drain {out['drain_deliveries_per_s']}/s after the burst ({out['delivered_after_burst']} in "
        f"{out['drain_s']} s), repeats {out['repeats']}, bad signatures {out['bad_signatures']}",
        f"VerifyLedger: {'ok' if d['verify']['ok'] else 'DRIFT'}",
    ]
    return "\n".join(lines)


def main_with(args: argparse.Namespace) -> int:
    async def scratch(database: str) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench_rest_") as folder:
            return await run(args, database, Path(folder))

    result = harness.on_scratch_database("bench_rest", "rest", args.keep, scratch)
    if result is None:
        return 0
    print(table(result))
    details = result["details"]
    checks = [
        details["verify"]["ok"],
        details["rest_purchase"]["transfers_match"],
        details["grpc_purchase"]["transfers_match"],
        details["outbound"]["missing"] == 0 and details["outbound"]["bad_signatures"] == 0,
    ]
    if not all(checks):
        print("the run's own checks failed (VerifyLedger, transfers, or outbound deliveries): see the details")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="each measured window (REST and gRPC)")
    parser.add_argument("--warmup", type=float, default=2.0, help="the same load before each window")
    parser.add_argument("--concurrency", type=int, default=64, help="purchases in flight")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--burst-seconds", type=float, default=4.0, help="purchases whose events are delivered")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database to inspect it")
    parser.set_defaults(profile=False)  # bench/_purchase_backends.py's measure reads it
    sys.exit(main_with(parser.parse_args()))


if __name__ == "__main__":
    main()
