"""The load client of bench/webhooks.py: keeps N signed CryptoBot deliveries in flight against the
HTTP gateway's webhook route.

A separate process, as bench/purchase_client.py is (the gateway's and the core's CPU are theirs
alone). It posts with httpx (HTTP/1.1, keep-alive) to `<url>/webhooks/<tenant>/cryptobot`, one
connection per worker: each worker has a client with a pool of one, since httpcore's shared pool
scans every connection for every request and response (at 64 connections that scan was half of
this process's CPU, and the load generator, not the hub, set the pace). What it delivers comes
from the setup file bench/webhooks.py writes (`--setup`: the tenant, the app token the deliveries
are signed with, the pending payments and their CryptoBot invoice ids):

- every fifth delivery (20 %) repeats an invoice already delivered with 200: a duplicate, posted
  with the same bytes, as Crypto Pay retries; the others are first deliveries of the next invoice
  (`invoice_paid`, the Invoice paid in full, `payload` = the payment's id). When no invoice has
  been delivered yet, a duplicate's turn delivers a first one instead;
- a delivery counts when the gateway answers 200; any other status, or a transport error, is
  counted by kind (`first:http_503`, `duplicate:ReadTimeout`) and the invoice is not counted as
  delivered (bench/webhooks.py then checks that none of those was credited either);
- when every invoice has been delivered once the work has run out: the window ends early.

The window protocol with the orchestrator is bench/_loadgen.py's (START, END, one JSON line). The
invoices delivered with 200 (warm-up included) go to `--delivered`, one id a line, for the
orchestrator's check that exactly they were credited, once each.

Run on its own (`make bench` runs every bench/*.py) it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import importlib.util
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._loadgen import CALL_TIMEOUT_SECONDS, percentile, say

# httpcore runs `import sniffio` for every request and response; without sniffio installed each of
# those failed imports searches sys.path (a tenth of this process's CPU). A None entry fails it at
# once, and httpcore assumes asyncio, as it does after any failed import.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

DUPLICATE_EVERY = 5  # every fifth delivery repeats one already delivered: 20 % duplicates
SIGNATURE_HEADER = "crypto-pay-api-signature"


def sign(token: str, body: bytes) -> str:
    """Crypto Pay's `crypto-pay-api-signature`, written from its documentation (as the tests' fake
    does): hex HMAC-SHA-256 of the raw body keyed with the SHA-256 digest of the app token."""
    return hmac.new(hashlib.sha256(token.encode()).digest(), body, hashlib.sha256).hexdigest()


def delivery(token: str, invoice: dict[str, Any], update_id: int) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of the `invoice_paid` update CryptoBot posts for a paid invoice."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    invoice_hash = f"IVbench{invoice['invoice_id']}"
    paid = {
        "invoice_id": invoice["invoice_id"],
        "hash": invoice_hash,
        "currency_type": "crypto",
        "asset": invoice["asset"],
        "amount": invoice["amount"],
        "pay_url": f"https://t.me/CryptoBot?start={invoice_hash}",
        "bot_invoice_url": f"https://t.me/CryptoBot?start={invoice_hash}",
        "description": "Wallet top-up",
        "status": "paid",
        "created_at": now,
        "paid_at": now,
        "paid_usd_rate": "1.00",
        "fee_asset": invoice["asset"],
        "fee_amount": "0",
        "allow_comments": True,
        "allow_anonymous": True,
        "paid_anonymously": False,
        "payload": invoice["payment_id"],
    }
    update = {"update_id": update_id, "update_type": "invoice_paid", "request_date": now, "payload": paid}
    body = json.dumps(update, separators=(", ", ": ")).encode()
    return body, {"content-type": "application/json", SIGNATURE_HEADER: sign(token, body)}


@dataclass
class Deliveries:
    """What the workers share: the next invoice, what was delivered, and the window's figures."""

    invoices: list[dict[str, Any]]
    token: str
    next_first: int = 0
    turns: int = 0
    delivered: list[int] = field(default_factory=list)  # indexes of invoices answered 200 the first time
    failed_first: list[int] = field(default_factory=list)  # first deliveries not answered 200
    bodies: dict[int, tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    stop: bool = False
    ran_out_at: float | None = None
    ran_out: asyncio.Event = field(default_factory=asyncio.Event)
    window_start: float = float("inf")
    ok_window: Counter[str] = field(default_factory=Counter)  # by kind: first, duplicate
    ok_total: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    errors_total: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"first": [], "duplicate": []})

    def pick(self) -> tuple[str, int] | None:
        """(kind, invoice index) of the next delivery; None when every invoice was delivered once."""
        self.turns += 1
        if self.turns % DUPLICATE_EVERY == 0 and self.delivered:
            return "duplicate", random.choice(self.delivered)
        if self.next_first >= len(self.invoices):
            return None
        self.next_first += 1
        return "first", self.next_first - 1

    def body(self, index: int) -> tuple[bytes, dict[str, str]]:
        cached = self.bodies.get(index)
        if cached is None:
            cached = self.bodies[index] = delivery(self.token, self.invoices[index], update_id=index + 1)
        return cached


def one_connection() -> httpx.AsyncClient:
    """A client with a pool of one keep-alive HTTP/1.1 connection (a worker's own)."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(CALL_TIMEOUT_SECONDS), http1=True, http2=False)


async def worker(state: Deliveries, client: httpx.AsyncClient, url: str) -> None:
    perf_counter = time.perf_counter
    while not state.stop:
        picked = state.pick()
        if picked is None:
            if state.ran_out_at is None:
                state.ran_out_at = perf_counter()
            state.stop = True
            state.ran_out.set()
            return
        kind, index = picked
        body, headers = state.body(index)
        started = perf_counter()
        try:
            answer = await client.post(url, content=body, headers=headers)
            failure = None if answer.status_code == 200 else f"{kind}:http_{answer.status_code}"
        except httpx.HTTPError as error:
            failure = f"{kind}:{type(error).__name__}"
        finished = perf_counter()
        if failure is not None:
            state.errors_total[failure] += 1
            if finished >= state.window_start:
                state.errors[failure] += 1
            if kind == "first":
                state.failed_first.append(index)
            continue
        if kind == "first":
            state.delivered.append(index)
        state.ok_total[kind] += 1
        if finished >= state.window_start:
            state.ok_window[kind] += 1
            if started >= state.window_start:
                state.latencies[kind].append(finished - started)


async def wait_or_run_out(state: Deliveries, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.ran_out.wait(), seconds)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


async def run(args: argparse.Namespace, setup: dict[str, Any]) -> dict[str, Any]:
    state = Deliveries(invoices=setup["invoices"], token=setup["api_token"])
    url = f"{args.url.rstrip('/')}/webhooks/{setup['tenant']}/cryptobot"
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(one_connection()) for _ in range(args.concurrency)]
        tasks = [asyncio.create_task(worker(state, client, url)) for client in clients]
        try:
            await wait_or_run_out(state, args.warmup)
            if state.stop:
                raise SystemExit("the invoices ran out during the warm-up: seed more (--payments)")
            cpu_start = time.process_time()
            state.window_start = time.perf_counter()
            say("START")
            await wait_or_run_out(state, args.seconds)
            state.stop = True
            await asyncio.wait_for(asyncio.gather(*tasks), CALL_TIMEOUT_SECONDS + 5)
            window_end = time.perf_counter()
            cpu_end = time.process_time()
            say("END")
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
    duration = window_end - state.window_start
    deliveries = state.ok_window["first"] + state.ok_window["duplicate"]
    every = sorted(state.latencies["first"] + state.latencies["duplicate"])
    first, duplicate = sorted(state.latencies["first"]), sorted(state.latencies["duplicate"])
    client_cpu = cpu_end - cpu_start
    return {
        "deliveries": deliveries,
        "first_deliveries": state.ok_window["first"],
        "duplicates": state.ok_window["duplicate"],
        "duration_s": round(duration, 4),
        "deliveries_per_s": round(deliveries / duration, 2) if duration > 0 else 0.0,
        "errors": dict(state.errors),
        "p50_ms": ms(percentile(every, 0.50)),
        "p99_ms": ms(percentile(every, 0.99)),
        "max_ms": ms(every[-1] if every else 0.0),
        "first_p50_ms": ms(percentile(first, 0.50)),
        "first_p99_ms": ms(percentile(first, 0.99)),
        "duplicate_p50_ms": ms(percentile(duplicate, 0.50)),
        "duplicate_p99_ms": ms(percentile(duplicate, 0.99)),
        "latency_samples": len(every),
        "client_cpu_s": round(client_cpu, 4),
        "client_cpu_ms_per_delivery": round(client_cpu * 1000 / deliveries, 4) if deliveries else None,
        "totals_incl_warmup": {
            "first_ok": state.ok_total["first"],
            "duplicate_ok": state.ok_total["duplicate"],
            "unique_delivered": len(state.delivered),
            "first_not_ok": len(state.failed_first),
            "errors": dict(state.errors_total),
        },
        "failed_first_invoices": [state.invoices[i]["invoice_id"] for i in state.failed_first][:1000],
        "delivered_invoices": [state.invoices[i]["invoice_id"] for i in state.delivered],
        "invoices_seeded": len(state.invoices),
        "work_ran_out": state.ran_out_at is not None,
        "concurrency": args.concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="http://127.0.0.1:<port> of the HTTP gateway (loopback)")
    parser.add_argument("--setup", help="the JSON file bench/webhooks.py wrote (tenant, token, invoices)")
    parser.add_argument("--delivered", help="where to write the invoice ids delivered with 200")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not args.url or not args.setup or not args.delivered:
        print("bench/webhooks_client.py is the load client of bench/webhooks.py; run that instead.")
        return
    if not args.url.startswith(("http://127.0.0.1:", "http://[::1]:", "http://localhost:")):
        parser.error("--url must be a loopback address")
    if not 1 <= args.concurrency <= 10_000 or not 0 < args.seconds <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("concurrency 1..10000, seconds 0..3600, warmup 0..600")
    setup = json.loads(Path(args.setup).read_text())
    summary = asyncio.run(run(args, setup))
    delivered = summary.pop("delivered_invoices")
    Path(args.delivered).write_text("".join(f"{invoice}\n" for invoice in delivered))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
