"""Bot benchmark: 1 000 tenant bots in one gateway process, a menu click per update, the real core.

What it does, in one run:
1. creates a scratch PostgreSQL database and starts the core on it (its own process, a free
   loopback port; bench/_harness.py), and the load fake Bot API (bench/_bot_api.py, its own process);
2. creates `--bots` tenants through the platform key, each with a bot token, an asset (RUB) and its
   bot in webhook mode (UpdateBotSettings), and one gateway key that serves them all;
3. memory: in this process (the gateway), builds the dispatcher and the webhook registry, reads the
   resident set size, registers every bot as the HTTP gateway does (`BotRunner` in webhook mode:
   ListBotTenants, each bot's GetBotSettings, setWebhook), and reads it again: the difference over
   the number of bots is the memory of an idle registered bot;
4. throughput: `--users` Telegram users per bot press the Balance button; each update is the JSON
   Telegram would POST, handed to `WebhookBots.handle` (secret check, parsing, the dispatcher's
   middlewares: tenant, anti-flood, registration, locale), whose handler calls the core (GetBalances;
   the asset scales are kept per tenant, read once) and edits the message (editMessageText on the
   fake Bot API); the screen's editMessageText travels in the webhook reply, as Telegram allows
   (Telegram makes it; the fake records nothing of it), and the press's answerCallbackQuery is the
   request the fake Bot API sees.
   A warm-up pass registers every (bot, user) once; then `--concurrency` updates are in flight for
   `--seconds`, with the CPU of this process, the core and PostgreSQL sampled over the window;
5. checks every update was answered 200 with the edit in the reply, and the fake Bot API saw an
   answerCallbackQuery per update; writes
   bench/results/bots.json (`value`: updates/s, `limit`: the 1 000 updates/s target, `ratio`;
   `cpu_ratio`: gateway + core CPU over PostgreSQL CPU; `details.rss_per_bot_kb` against its
   100 KB target) and prints a table.

With `--broadcast N` it measures a broadcast instead (bench/_broadcast.py): one bot sends to N
Telegram users (100 000 by default) with the rate limit lifted — recipients/s and the core's share of
CPU — then at the default 25/s over `--pace-seconds` against the 4 000 s the budget implies for
100 000; it writes bench/results/bots_broadcast.json.

Options: `--bots` (1 000), `--users` (3 per bot), `--seconds` (10), `--warmup-seconds` (cap on the
warm-up), `--concurrency` (64), `--keep` (keep the database), `--no-notifications` (no notifier per
bot: the Balance path without the core's event streams). Without PostgreSQL it says so and
exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
import uvloop
from google.protobuf import field_mask_pb2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _harness as harness  # noqa: E402
from bench import _sampling as sampling  # noqa: E402
from bench._broadcast import measure_broadcast  # noqa: E402
from bot_gateway.callbacks import MenuCallback, Screen  # noqa: E402
from bot_gateway.dispatcher import build_dispatcher  # noqa: E402
from bot_gateway.i18n import SUPPORTED_LOCALES  # noqa: E402
from bot_gateway.modes import read_deliveries  # noqa: E402
from bot_gateway.runner import BotRunner  # noqa: E402
from bot_gateway.webhooks import WebhookAnswer, WebhookBots  # noqa: E402
from sdk.billinghub.v1 import (  # noqa: E402
    bot_settings_pb2,
    bot_settings_service_pb2,
    catalog_service_pb2,
    platform_service_pb2,
    tenant_pb2,
)
from sdk.client import BillingHubClient  # noqa: E402
from sdk.gc_tuning import tune_gc  # noqa: E402
from sdk.logs import configure_logging  # noqa: E402

TARGET_UPDATES_PER_S = 1000.0
TARGET_KB_PER_BOT = 100.0
FIRST_BOT_ID = 900_000_000
FIRST_USER_ID = 5_000_000
EPOCH = 1_700_000_000


def rss_bytes() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


async def create_tenants(platform: BillingHubClient, bots: int, concurrency: int = 16) -> list[str]:
    """`bots` tenants, each with a bot token, the RUB asset and its bot in webhook mode."""
    ids: list[str] = [""] * bots
    gate = asyncio.Semaphore(concurrency)
    webhook = bot_settings_service_pb2.UpdateBotSettingsRequest(
        bot_settings=bot_settings_pb2.BotSettings(mode=bot_settings_pb2.BOT_MODE_WEBHOOK),
        update_mask=field_mask_pb2.FieldMask(paths=["mode"]),
    )

    async def create(n: int) -> None:
        async with gate:
            request = platform_service_pb2.CreateTenantRequest(
                name=f"Bench bot {n}", bot_token=f"{FIRST_BOT_ID + n}:BENCH-{n:032d}"
            )
            tenant = (await platform.platform.CreateTenant(request)).tenant
            inside = platform.for_tenant(tenant.id)
            await inside.catalog.CreateAsset(catalog_service_pb2.CreateAssetRequest(code="RUB"))
            await inside.bot_settings.UpdateBotSettings(webhook)
            ids[n] = tenant.id

    await asyncio.gather(*(create(n) for n in range(bots)))
    return ids


def balance_click(update_id: int, bot_id: int, user_id: int) -> bytes:
    """The JSON Telegram posts when a user presses Balance under the bot's menu message."""
    user = {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}
    chat = {"id": user_id, "type": "private", "first_name": "Bench"}
    message = {"message_id": 1, "date": EPOCH, "chat": chat, "from": {"id": bot_id, "is_bot": True, "first_name": "B"}}
    callback = {
        "id": str(update_id),
        "from": user,
        "chat_instance": str(user_id),
        "message": message,
        "data": MenuCallback(screen=Screen.BALANCE).pack(),
    }
    return json.dumps({"update_id": update_id, "callback_query": callback}).encode()


class Load:
    """Balance clicks spread over every (bot, user), `concurrency` in flight."""

    def __init__(self, webhooks: WebhookBots, bots: list[tuple[str, int, str]], users: int) -> None:
        self._webhooks = webhooks
        self._bots = bots  # (tenant id, bot id, secret)
        self._users = users
        self._next = 0
        self.latencies_ms: list[float] = []
        self.answers: dict[int, int] = {}
        self.edits = 0  # replies carrying the screen's editMessageText

    def _click(self) -> tuple[str, int, str, bytes]:
        n = self._next
        self._next += 1
        tenant_id, bot_id, secret = self._bots[n % len(self._bots)]
        user_id = FIRST_USER_ID + (n // len(self._bots)) % self._users
        return tenant_id, bot_id, secret, balance_click(n + 1, bot_id, user_id)

    async def run(self, concurrency: int, *, until: float | None = None, count: int | None = None) -> int:
        """Send clicks until `until` (monotonic) or `count` sent; the number sent."""
        start = self._next
        stop_at = start + count if count is not None else None

        async def worker() -> None:
            while (until is None or time.monotonic() < until) and (stop_at is None or self._next < stop_at):
                tenant_id, bot_id, secret, body = self._click()
                began = time.perf_counter()
                answer = await self._webhooks.handle(tenant_id, bot_id, secret, body)
                self.latencies_ms.append((time.perf_counter() - began) * 1000)
                self.answers[int(answer.status)] = self.answers.get(int(answer.status), 0) + 1
                if answer.body is not None and json.loads(answer.body).get("method") == "editMessageText":
                    self.edits += 1  # Telegram makes the call the reply names

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return self._next - start


def start_bot_api() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._bot_api"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if line[:1] != ["READY"]:
        raise SystemExit("the fake Bot API did not start")
    return process, f"http://127.0.0.1:{line[1]}"


async def bot_api_calls(url: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        calls: dict[str, int] = (await client.get(f"{url}/stats")).json()
    return calls


async def webhooks_set(url: str, bots: int) -> None:
    """Return once the fake Bot API has seen a setWebhook of every bot and its command lists (one
    per locale and a default: the runner's tasks call them as each bot starts)."""
    while True:
        calls = await bot_api_calls(url)
        if calls.get("setwebhook", 0) >= bots and calls.get("setmycommands", 0) >= bots * (len(SUPPORTED_LOCALES) + 1):
            return
        await asyncio.sleep(0.1)


async def measure(args: argparse.Namespace, target: str, platform_key: str, core: Any, database: str) -> dict[str, Any]:
    api_process, api_url = start_bot_api()
    try:
        async with BillingHubClient(target, platform_key) as platform:
            began = time.monotonic()
            tenant_ids = await create_tenants(platform, args.bots)
            print(f"{args.bots} tenants with bots in webhook mode in {time.monotonic() - began:.1f} s")
            gateway_key = (
                await platform.platform.CreateApiKey(
                    platform_service_pb2.CreateApiKeyRequest(role=tenant_pb2.API_KEY_ROLE_GATEWAY, name="bench bots")
                )
            ).secret
        async with BillingHubClient(target, gateway_key) as gateway:
            webhooks = WebhookBots(build_dispatcher())
            runner = BotRunner(
                gateway,
                webhooks.dispatcher,
                telegram_api_url=api_url,
                webhooks=webhooks,
                public_url="https://bots.bench.invalid",
                notifications=args.notifications,
            )
            rss_before = rss_bytes()
            began = time.monotonic()
            await runner.sync()
            await webhooks_set(api_url, args.bots)
            registered_s = time.monotonic() - began
            rss_after = rss_bytes()
            if len(webhooks) != args.bots:
                raise SystemExit(f"{len(webhooks)} bots registered, {args.bots} expected")
            per_bot_kb = (rss_after - rss_before) / args.bots / 1024
            print(f"registered {args.bots} bots in {registered_s:.1f} s: {per_bot_kb:.1f} KB of RSS each")

            deliveries = await read_deliveries(gateway, tenant_ids)
            bots = [(tid, FIRST_BOT_ID + n, deliveries[tid].secret) for n, tid in enumerate(tenant_ids)]
            load = Load(webhooks, bots, args.users)
            warm = args.bots * args.users
            began = time.monotonic()
            await load.run(args.concurrency, count=warm, until=began + args.warmup_seconds)
            print(f"warm-up: {warm} first clicks (a registration each) in {time.monotonic() - began:.1f} s")
            load.latencies_ms.clear()
            load.answers.clear()
            load.edits = 0
            spinners_before = (await bot_api_calls(api_url)).get("answercallbackquery", 0)

            load_average = [round(x, 2) for x in os.getloadavg()]
            gateway_process = psutil.Process()
            sampler = sampling.CpuSampler(core, database)
            sampler.start()
            gateway_cpu = sampling.cpu_seconds(gateway_process)
            began = time.monotonic()
            sent = await load.run(args.concurrency, until=began + args.seconds)
            elapsed = time.monotonic() - began
            gateway_cpu = sampling.cpu_seconds(gateway_process) - gateway_cpu
            window = sampler.stop()

            spinners = (await bot_api_calls(api_url)).get("answercallbackquery", 0) - spinners_before
            await runner.stop_all()
    finally:
        api_process.terminate()
        api_process.wait(10)
    handled = load.answers.get(int(WebhookAnswer.HANDLED), 0)
    if handled != sent or spinners != sent or load.edits != sent:
        raise SystemExit(
            f"{sent} clicks sent, {handled} answered 200, {spinners} spinners answered, "
            f"{load.edits} edits in the replies: {load.answers}"
        )
    cuts = statistics.quantiles(load.latencies_ms, n=100)
    rate = sent / elapsed
    return {
        "metric": "bot_updates_per_second",
        "value": round(rate, 2),
        "unit": "updates/s",
        "limit": TARGET_UPDATES_PER_S,
        "ratio": round(rate / TARGET_UPDATES_PER_S, 2),
        "cpu_ratio": round((gateway_cpu + window.core_s) / window.postgres_own_s, 2) if window.postgres_own_s else None,
        "p50_ms": round(cuts[49], 3),
        "p99_ms": round(cuts[98], 3),
        "details": {
            "bots": args.bots,
            "users_per_bot": args.users,
            "concurrency": args.concurrency,
            "notifications": args.notifications,
            "seconds": round(elapsed, 2),
            "updates": sent,
            "spinners_answered": spinners,
            "edits_in_replies": load.edits,
            "cores": os.cpu_count(),
            "load_average_at_start": load_average,
            "rss_per_bot_kb": round(per_bot_kb, 1),
            "rss_per_bot_limit_kb": TARGET_KB_PER_BOT,
            "rss_before_mb": round(rss_before / 2**20, 1),
            "rss_after_mb": round(rss_after / 2**20, 1),
            "register_seconds": round(registered_s, 2),
            "cpu_s": {
                "gateway": round(gateway_cpu, 2),
                "core": round(window.core_s, 2),
                "postgres_bench": round(window.postgres_own_s, 2),
            },
            "per_update": "Balance pressed: GetBalances in the core (asset scales kept per tenant), answerCallbackQuery"
            " on the fake Bot API, editMessageText in the webhook reply, through WebhookBots.handle (secret, parse, "
            "dispatcher)",
        },
    }


async def main(args: argparse.Namespace) -> int:
    try:
        database = await harness.create_database("bench_bots")
    except OSError as error:
        print(f"PostgreSQL is unreachable ({error}): no bot benchmark")
        return 0
    port = harness.free_port()
    platform_key = harness.new_platform_key()
    core = None
    try:
        core = harness.start_core(harness.pg_core_env(database, port, platform_key))
        target = f"127.0.0.1:{port}"
        await harness.wait_serving(target, platform_key, core)
        if args.broadcast:
            return await broadcast(args, target, platform_key, psutil.Process(core.pid), database)
        result = await measure(args, target, platform_key, psutil.Process(core.pid), database)
    finally:
        harness.stop_core(core)
        if not args.keep:
            await harness.drop_database(database)
    harness.RESULTS.mkdir(exist_ok=True)
    (harness.RESULTS / "bots.json").write_text(json.dumps(result, indent=2) + "\n")
    details = result["details"]
    print(
        f"\n{'updates/s':>12} {'target':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} {'KB/bot':>7} {'cpu ratio':>9}\n"
        f"{result['value']:>12} {result['limit']:>8} {result['ratio']:>6} {result['p50_ms']:>8} "
        f"{result['p99_ms']:>8} {details['rss_per_bot_kb']:>7} {result['cpu_ratio']!s:>9}"
    )
    return 0


async def broadcast(args: argparse.Namespace, target: str, platform_key: str, core: Any, database: str) -> int:
    """The broadcast variant: measure, write bots_broadcast.json, print the figures."""
    api_process, api_url = start_bot_api()
    try:
        result = await measure_broadcast(
            args.broadcast, args.pace_seconds, target, platform_key, api_url, core, database
        )
    finally:
        api_process.terminate()
        api_process.wait(10)
    harness.RESULTS.mkdir(exist_ok=True)
    (harness.RESULTS / "bots_broadcast.json").write_text(json.dumps(result, indent=2) + "\n")
    details, paced = result["details"], result["details"]["paced"]
    print(
        f"\n{'recipients':>10} {'recipients/s':>12} {'core share':>10} {'25/s: measured/s':>16} "
        f"{'max in 1 s':>10} {'100k at budget s':>16} {'100k measured s':>15}\n"
        f"{details['recipients']:>10} {result['value']:>12} {details['core_cpu_share']!s:>10} "
        f"{paced['measured_per_s']:>16} {paced['most_in_any_second']:>10} {paced['budget_seconds_for_100000']:>16} "
        f"{paced['measured_seconds_for_100000']!s:>15}"
    )
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bots", type=int, default=1000)
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup-seconds", type=float, default=120.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--broadcast", type=int, nargs="?", const=100_000, default=0, metavar="N",
        help="measure a broadcast to N recipients (100 000 when N is left out) instead of menu clicks",
    )  # fmt: skip
    parser.add_argument("--pace-seconds", type=float, default=10.0, help="the window of the 25/s run (--broadcast)")
    parser.add_argument(
        "--no-notifications", dest="notifications", action="store_false",
        help="run no notifier (a WatchEvents stream per bot, polled by the core each second): the Balance path alone",
    )  # fmt: skip
    return parser.parse_args()


if __name__ == "__main__":
    configure_logging("console", "warning", "bench_bots")  # the gateway logs as in production, not debug
    tune_gc()  # as bot_gateway/__main__ and http_gateway/__main__ run the gateway
    sys.exit(uvloop.run(main(parse_args())))
