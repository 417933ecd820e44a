"""Step 1 of bench/purchase.py: the statements one PurchaseFromWallet runs in PostgreSQL today.

A small scratch database of its own gets `log_statement = 'all'` (ALTER DATABASE: only that
database, nothing server-wide), a core is started on it and seeded like the main run, and after a
warm-up purchase (which creates the system accounts' buckets) each of a few purchases is read back
from the server log (bench/_statements.py). The result says whether the pgbench script of
bench/purchase_pgbench.py still runs the same statements, in the same order.

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from bench import _harness as harness
from bench import _statements as statements
from bench._purchase_setup import seed_pg_shop
from bench.purchase_pgbench import purchase_pgbench_script, script_statements
from sdk.billinghub.v1 import order_service_pb2
from sdk.client import BillingHubClient

CAPTURE_USERS = 5
CAPTURED_PURCHASES = 3
MARKER = "INSERT INTO orders"  # a statement only the purchase's transaction runs
PING: list[str] = []  # the fast path's asyncpg pool pings nothing at checkout (the ORM pool's pre-ping did)


async def _log_every_statement(database: str) -> str | None:
    """Turn on statement logging for `database`; why not, if it cannot be."""
    connection = await harness.connect(harness.ADMIN_DSN)
    try:
        await connection.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
    except asyncpg.PostgresError as error:
        return f"ALTER DATABASE ... SET log_statement is refused ({error})"
    finally:
        await connection.close()
    return None


async def _capture(database: str, log: statements.ServerLog) -> list[statements.Captured | None]:
    platform_key = harness.new_platform_key()
    port = harness.free_port()
    target = f"127.0.0.1:{port}"
    core = harness.start_core(harness.pg_core_env(database, port, platform_key))
    try:
        await harness.wait_serving(target, platform_key, core)
        shop = await seed_pg_shop(target, platform_key, database, CAPTURE_USERS)
        captured = []
        async with BillingHubClient(target, shop.key) as admin:
            for n in range(CAPTURED_PURCHASES):
                request = order_service_pb2.PurchaseFromWalletRequest(
                    request_id=uuid.uuid4().hex, user_id=shop.users[n % len(shop.users)], package_id=shop.package_id
                )

                async def buy(request: order_service_pb2.PurchaseFromWalletRequest = request) -> object:
                    return await admin.orders.PurchaseFromWallet(request)

                captured.append(await statements.capture(log, database, buy, MARKER))
        return captured
    finally:
        harness.stop_core(core)


def describe(captured: list[statements.Captured | None], log_path: str) -> dict[str, Any]:
    """What the result's details say of the statements (and of the pgbench script beside them)."""
    found = [c for c in captured if c is not None]
    if not found:
        return {"captured": False, "why": f"no transaction with {MARKER!r} was found in {log_path}"}
    last = found[-1]
    script = [statements.normalize(sql) for sql in script_statements(purchase_pgbench_script())]
    script_transaction = script[len(PING) :]
    captured_summary = [statements.summary(sql) for sql in last.transaction]
    script_summary = [statements.summary(sql) for sql in script_transaction]
    return {
        "captured": True,
        "method": (
            "ALTER DATABASE <scratch> SET log_statement = 'all' (that database only); the server log "
            f"{log_path} read with pg_read_file around each of {CAPTURED_PURCHASES} purchases after a warm-up one"
        ),
        "stable": len(found) == len(captured)
        and all(c.transaction == last.transaction and c.ping == last.ping for c in found),
        "count": len(last.ping) + len(last.transaction),
        "count_note": (
            "statements logged for one purchase: its read and the one statement of its writes (the balance "
            "rows' legs and every insert as CTEs, a transaction by itself); a purchase that takes a lock "
            "first (a code, a plan, a referrer's tier) runs in a transaction, BEGIN and COMMIT included"
        ),
        "in_transaction": len(last.transaction) - 2 if last.transaction[:1] == ["BEGIN"] else 0,
        "ping": last.ping,
        "summary": [*last.ping, *captured_summary],
        "statements": last.transaction,
        "response_bytes": statements.largest_bytea_parameter(last, "INSERT INTO idempotency_records"),
        "pgbench_script_statements": len(script),
        "pgbench_script_matches": captured_summary == script_summary and last.ping == PING,
        "pgbench_script_summary": [statements.summary(sql) for sql in script],
    }


async def capture_purchase_statements() -> dict[str, Any]:
    database = await harness.create_database("bench_capture")
    try:
        refused = await _log_every_statement(database)
        if refused is not None:
            return {"captured": False, "why": refused}
        log = await statements.ServerLog.open()
        if isinstance(log, str):
            return {"captured": False, "why": log}
        try:
            captured = await _capture(database, log)
        finally:
            await log.close()
        return describe(captured, log.path)
    finally:
        await harness.drop_database(database)
