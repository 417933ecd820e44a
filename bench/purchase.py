"""Purchase benchmark: PurchaseFromWallet through the real core on PostgreSQL, against pgbench running
the statements one purchase runs, with the other writes and the bot's reads beside it.

What it does, in one run:
1. captures the statements one purchase runs: a small scratch database with `log_statement = 'all'`
   (that database only), a core on it, three purchases, each read back from the server log
   (bench/_statements.py); they go into the result's details with whether
   bench/purchase_pgbench.py's script still matches them;
2. creates the main scratch database, starts the core on it (its own process, a free loopback
   port), creates the tenant, its admin key, 10 000 users with funded XTR and TOKEN wallets and a
   catalog of token packs (bench/_purchase_setup.py);
3. runs each variant with bench/purchase_client.py in a second process, 64 operations in flight,
   sampling the CPU time of the core and of every PostgreSQL process over the measured window:
   charge_usage (the write yardstick), adjust_balance, approve_topup (pending requests created
   before, through CreateTopupRequest; only the approval is timed), redeem_promo (credit codes,
   once per user, enough codes x users), purchase_one_call (PurchaseFromWallet), purchase_two_calls
   (CreateOrder + PayOrderFromWallet), purchase_subscription (PurchaseFromWallet of a 30-day plan:
   started by a user's first purchase, extended by the next), purchase_referred (buyers under a
   two-level referrer chain: the payment, two commissions, the delivery), purchase_promo (with a
   10 % discount code), the reads a bot makes on every screen (get_balances, get_user, find_user,
   list_packages, list_entitlements, get_referral_stats), the debits: hold_create (CreateHold of 1
   TOKEN), hold_capture (holds created before; only the whole capture is timed), refund (bench
   pack orders bought before; only the whole RefundOrder is timed), payout_request
   (CreatePayoutRequest of 1 XTR; every user earned XTR through commission rows inserted before),
   health (no database: the transport yardstick) and health_keyed (the same with the authorization
   header every other call carries: no target, it shows what the header costs); after each, the transfers gained must
   equal what the successful operations post;
4. checks the ledger (VerifyLedger), stops the core (pgbench needs its connections), runs the
   purchase's statements (bench/purchase_pgbench.py) and ChargeUsage's (bench/ledger_pgbench.sql)
   with pgbench at 16 and 64 connections: the best TPS is the limit; starts the core again to check
   the ledger after pgbench's writes too, and drops the database;
5. measures purchase_one_call on the embedded SQLite (a second core on a scratch file);
6. writes bench/results/purchase.json (`--variant all`; a selection writes
   bench/results/purchase_<variant>[+<variant>...].json) and prints a table with the targets.

Options: `--seconds`, `--warmup`, `--concurrency`, `--users`, `--variant all|NAME[,NAME...]` (run in
the order given; `reads` names the six screen reads: `--variant reads,health` measures them against
the transport in one run; ChargeUsage first measures the yardstick the writes are compared with;
the embedded SQLite runs when purchase_one_call is among them), `--keep` (leave the main scratch
database), `--profile` (py-spy records the core during each window; the top functions go to
bench/results/purchase_<variant>_profile_top.txt; the SQLite run's to
purchase_sqlite_purchase_one_call_profile_top.txt). Without PostgreSQL or pgbench it says so and
exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _harness as harness  # noqa: E402
from bench import _pgbench as pgbench  # noqa: E402
from bench import _purchase_report as report  # noqa: E402
from bench._purchase_backends import run_postgres, run_sqlite  # noqa: E402
from bench._purchase_capture import capture_purchase_statements  # noqa: E402
from bench.purchase_client import VARIANTS  # noqa: E402

RESULTS = harness.RESULTS
ORDER = (
    "charge_usage", "adjust_balance", "approve_topup", "redeem_promo", "purchase_one_call", "purchase_two_calls",
    "purchase_subscription", "purchase_referred", "purchase_promo", *report.READS, "register_new",
    "register_returning", "hold_create", "hold_capture", "refund", "payout_request", "health", "health_keyed",
)  # fmt: skip
assert sorted(ORDER) == sorted(VARIANTS)


def headline(variants: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    """The result's top-level figures, from the one-call purchase and the purchase pgbench limit."""
    one = variants.get("purchase_one_call")
    limit = limits.get("purchase", {}).get("tps")
    value = one["calls_per_s"] if one else None
    cpu_ratio = None
    if one and one["core_cpu_ms_per_op"] is not None and one["postgres_cpu_ms_per_op"]:
        cpu_ratio = round(one["core_cpu_ms_per_op"] / one["postgres_cpu_ms_per_op"], 3)
    return {
        "metric": "purchase_one_call_per_s",
        "value": value,
        "unit": "purchases/s",
        "limit": limit,
        "ratio": round(value / limit, 3) if value is not None and limit else None,
        "cpu_ratio": cpu_ratio,
        "p50_ms": one["p50_ms"] if one else None,
        "p99_ms": one["p99_ms"] if one else None,
    }


async def not_fatal(step: Coroutine[Any, Any, dict[str, Any]], what: str) -> dict[str, Any]:
    """A step whose failure is recorded in the details rather than losing the whole run's figures."""
    try:
        return await step
    except (Exception, SystemExit) as error:  # recorded, and the run's own checks then fail
        print(f"{what} failed: {error!r}")
        return {"error": f"{what} failed: {error!r}"[:1000]}


async def run_all(args: argparse.Namespace, variants: list[str], database: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "users": args.users,
        "charge_batches_in_flight": args.charge_batches,  # None: the core's default
        "read_batches_in_flight": args.read_batches,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    captured: dict[str, Any] = {}
    if "purchase_one_call" in variants:
        print("== the statements of one purchase, from the server log")
        captured = await not_fatal(capture_purchase_statements(), "the capture of the statements")
        print(f"   {captured.get('count')} statements: {captured.get('summary') or captured.get('why') or captured}")
    with tempfile.TemporaryDirectory(prefix="bench_purchase_") as folder:
        postgres = await run_postgres(args, variants, database, Path(folder), captured.get("response_bytes"))
        sqlite: dict[str, Any] = {}
        if "purchase_one_call" in variants:
            print("== the embedded SQLite")
            sqlite = await not_fatal(run_sqlite(args, Path(folder)), "the SQLite run")
    figures, limits = postgres.pop("variants"), postgres.pop("limits")
    result = headline(figures, limits)
    one = figures.get("purchase_one_call") or {}
    if one.get("core_cpu_ms_per_op") is not None and one.get("postgres_own_cpu_ms_per_op"):
        details["cpu_ratio_own"] = round(one["core_cpu_ms_per_op"] / one["postgres_own_cpu_ms_per_op"], 3)
    details["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    charge, charge_limit = figures.get("charge_usage"), limits.get("charge_usage", {}).get("tps")
    charge_ratio = round(charge["calls_per_s"] / charge_limit, 3) if charge and charge_limit else None
    details.update(
        variants=figures,
        limits=limits,
        charge_usage_ratio=charge_ratio,
        purchase_statements=captured,
        sqlite=sqlite,
        postgres=postgres,
        targets=report.targets(figures, result["ratio"], charge_ratio, sqlite),
    )
    result["details"] = details
    return result


def run_checks_passed(result: dict[str, Any]) -> bool:
    """The run's own checks (not the targets): the ledgers verified, the transfers matched."""
    details = result["details"]
    checks = [details["postgres"]["verify"]["ok"], details["postgres"].get("verify_after_pgbench", {"ok": True})["ok"]]
    checks += [figures["transfers_match"] for figures in details["variants"].values()]
    sqlite = details["sqlite"]
    if sqlite:
        checks += [False] if "error" in sqlite else [sqlite["verify"]["ok"], sqlite["transfers_match"]]
    return all(checks)


def main_with(args: argparse.Namespace) -> int:
    if pgbench.pgbench_missing():
        return 0
    variants = list(ORDER) if args.variant == "all" else args.variant.split(",")
    name = "purchase" if args.variant == "all" else f"purchase_{args.variant.replace(',', '+')}"
    result = harness.on_scratch_database(
        "bench_purchase", name, args.keep, lambda database: run_all(args, variants, database)
    )
    if result is None:
        return 0
    print(report.table(result))
    if not run_checks_passed(result):
        print("the run's own checks failed (VerifyLedger or transfer counts): see the details")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="the measured window of each variant")
    parser.add_argument("--warmup", type=float, default=3.0, help="the same load before each window")
    parser.add_argument("--concurrency", type=int, default=64, help="operations in flight")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--variant",
        default="all",
        help=f"all, or one or more of {', '.join(ORDER)} separated by commas (in the order given; 'reads' names "
        "the screen reads)",
    )
    parser.add_argument("--profile", action="store_true", help="record the core with py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the main scratch database to inspect it")
    harness.add_charge_batches_option(parser, reads=True)
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 1000 or not 0 < args.seconds <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("concurrency 1..1000, seconds 0..3600, warmup 0..600")
    if args.users < 2:
        parser.error("at least 2 users")
    if args.variant != "all":
        chosen = [name for part in args.variant.split(",") for name in (report.READS if part == "reads" else [part])]
        if unknown := sorted(set(chosen) - set(ORDER)):
            parser.error(f"unknown variants: {', '.join(unknown)}")
        args.variant = ",".join(dict.fromkeys(chosen))
    sys.exit(main_with(args))


if __name__ == "__main__":
    main()
