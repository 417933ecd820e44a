"""pgbench runs of the benchmarks: a script at a number of connections, its TPS, and PostgreSQL's CPU
time meanwhile (bench/_sampling.py).

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bench._harness import PG_HOST, ROOT
from bench._sampling import CpuSampler

LEDGER_PGBENCH_SCRIPT = ROOT / "bench" / "ledger_pgbench.sql"
# Custom plans: the ledger script computes the user id with an expression, which a generic plan puts
# in a filter on the wrong unique index (every wallet of the asset scanned); the core passes the id
# as a plain parameter and does not meet this. Planning each time makes the limit a bit lower.
LEDGER_PGBENCH_OPTIONS = ("-c plan_cache_mode=force_custom_plan",)


@dataclass(frozen=True)
class PgbenchRun:
    tps: float
    postgres_cpu_s: float  # every PostgreSQL process
    postgres_own_cpu_s: float  # pgbench's backends and the server's own processes (CpuWindow)
    transactions: int

    @property
    def postgres_cpu_ms_per_tx(self) -> float | None:
        return round(self.postgres_cpu_s * 1000 / self.transactions, 4) if self.transactions else None

    @property
    def postgres_own_cpu_ms_per_tx(self) -> float | None:
        return round(self.postgres_own_cpu_s * 1000 / self.transactions, 4) if self.transactions else None


class PgbenchFailed(Exception):
    """pgbench exited with an error, or had failed transactions (the message says which)."""


def run_pgbench(
    script: Path,
    defines: dict[str, str],
    clients: int,
    seconds: float,
    database: str,
    options: Iterable[str] = (),
) -> PgbenchRun:
    """Run `script` with `clients` connections for `seconds` (prepared statements, 2 threads) and
    measure the CPU time of every PostgreSQL process meanwhile. `options` go to PGOPTIONS."""
    host, port = PG_HOST.split(":")
    command = [
        "pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(max(1, int(seconds))),
        *[arg for name, value in defines.items() for arg in ("-D", f"{name}={value}")],
        "-f", str(script), "-h", host, "-p", port, "-U", "postgres", database,
    ]  # fmt: skip
    sampler = CpuSampler(None, database, interval=0.1)  # pgbench's backends exit with it: poll them while they live
    env = {**os.environ, "PGOPTIONS": " ".join(options)} if options else None
    sampler.start()
    pgbench = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stdout, stderr = pgbench.communicate()
    window = sampler.stop()
    if pgbench.returncode != 0:
        raise PgbenchFailed(f"pgbench failed: {stderr.strip()[-800:]}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", stdout)
    failed = re.search(r"number of failed transactions: (\d+)", stdout)
    if tps is None or processed is None:
        raise PgbenchFailed(f"cannot read pgbench's output:\n{stdout}")
    if failed is not None and int(failed.group(1)):
        raise PgbenchFailed(f"pgbench had failed transactions:\n{stdout}\n{stderr.strip()[-800:]}")
    return PgbenchRun(float(tps.group(1)), window.postgres_s, window.postgres_own_s, int(processed.group(1)))


def pgbench_by_clients(
    run: Callable[[int], PgbenchRun], clients: Iterable[int]
) -> tuple[dict[int, PgbenchRun], dict[int, str]]:
    """`run` at each client count in turn: (the runs, the errors of the counts that failed, e.g.
    when other sessions hold so many connections that max_connections is reached)."""
    runs: dict[int, PgbenchRun] = {}
    errors: dict[int, str] = {}
    for count in sorted(set(clients)):
        try:
            runs[count] = run(count)
        except PgbenchFailed as error:
            print(f"pgbench with {count} clients: {error}")
            errors[count] = str(error)[-300:]
    return runs, errors


def charge_pgbench(
    tenant: str, buckets: list[str], users: int, clients: int, seconds: float, database: str
) -> PgbenchRun:
    """bench/ledger_pgbench.sql (the statement of one ChargeUsage) with `clients` connections."""
    defines = {"tenant": tenant, "users": str(users), "buckets": "{" + ",".join(buckets) + "}"}
    return run_pgbench(LEDGER_PGBENCH_SCRIPT, defines, clients, seconds, database, LEDGER_PGBENCH_OPTIONS)


def pgbench_missing() -> bool:
    if shutil.which("pgbench") is None:
        print("pgbench is not installed (Debian: postgresql-contrib / postgresql-client): skipped")
        return True
    return False
