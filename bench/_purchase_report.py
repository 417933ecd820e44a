"""The targets bench/purchase.py checks its figures against, and the table it prints.

A target is met or not only when both of its figures were measured; otherwise it is `null`.
`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

from typing import Any

READS = ("get_balances", "get_user", "find_user", "list_packages", "list_entitlements", "get_referral_stats")
WRITES_VS_CHARGE = (
    "adjust_balance", "approve_topup", "redeem_promo", "hold_create", "hold_capture", "refund", "payout_request",
)  # fmt: skip
PURCHASE_RATIO_MIN = 0.35  # one-call purchases/s over the pgbench TPS of the same statements
PURCHASE_CPU_VS_CHARGE_MAX = 2.0  # core CPU per purchase over core CPU per ChargeUsage
PURCHASE_P99_MAX_MS = 150.0
WRITE_VS_CHARGE_MIN = 0.6  # calls/s over ChargeUsage's calls/s
CHARGE_CPU_RATIO_MAX = 1.0  # core CPU over PostgreSQL CPU per ChargeUsage
CHARGE_RATIO_MIN = 0.5  # ChargeUsage calls/s over the pgbench TPS of its statement
READ_VS_HEALTH_MIN = 0.6
SQLITE_PURCHASES_MIN = 200.0
SQLITE_P99_MAX_MS = 500.0


def _figure(variants: dict[str, Any], variant: str, name: str) -> float | None:
    value = variants.get(variant, {}).get(name)
    return float(value) if value is not None else None


def _check(value: float | None, bound: float | None, rule: str, *, at_least: bool) -> dict[str, Any]:
    ok: bool | None = None
    if value is not None and bound is not None:
        ok = value >= bound if at_least else value <= bound
    return {"rule": rule, "value": value, "bound": _round(bound), "ok": ok}


def _at_least(value: float | None, bound: float | None, rule: str) -> dict[str, Any]:
    return _check(value, bound, rule, at_least=True)


def _at_most(value: float | None, bound: float | None, rule: str) -> dict[str, Any]:
    return _check(value, bound, rule, at_least=False)


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _scaled(value: float | None, factor: float) -> float | None:
    return value * factor if value is not None else None


def targets(
    variants: dict[str, Any], purchase_ratio: float | None, charge_ratio: float | None, sqlite: dict[str, Any]
) -> dict[str, Any]:
    """Every target, with the numbers compared."""
    charge_rate = _figure(variants, "charge_usage", "calls_per_s")
    charge_cpu = _figure(variants, "charge_usage", "core_cpu_ms_per_op")
    charge_pg = _figure(variants, "charge_usage", "postgres_cpu_ms_per_op")
    health_rate = _figure(variants, "health", "calls_per_s")
    checks: dict[str, Any] = {
        "purchase_one_call_ratio": _at_least(
            purchase_ratio, PURCHASE_RATIO_MIN, "one-call purchases/s / pgbench TPS of its statements >= 0.35"
        ),
        "purchase_one_call_core_cpu": _at_most(
            _figure(variants, "purchase_one_call", "core_cpu_ms_per_op"),
            _scaled(charge_cpu, PURCHASE_CPU_VS_CHARGE_MAX),
            "core CPU ms per purchase <= 2 x core CPU ms per ChargeUsage",
        ),
        "purchase_one_call_p99": _at_most(
            _figure(variants, "purchase_one_call", "p99_ms"), PURCHASE_P99_MAX_MS, "p99 of a purchase <= 150 ms"
        ),
    }
    for variant in WRITES_VS_CHARGE:
        checks[f"{variant}_rate"] = _at_least(
            _figure(variants, variant, "calls_per_s"),
            _scaled(charge_rate, WRITE_VS_CHARGE_MIN),
            f"{variant} calls/s >= 0.6 x ChargeUsage calls/s",
        )
    charge_cpu_ratio = charge_cpu / charge_pg if charge_cpu is not None and charge_pg else None
    checks["charge_usage_cpu_ratio"] = _at_most(
        _round(charge_cpu_ratio), CHARGE_CPU_RATIO_MAX, "ChargeUsage core CPU / PostgreSQL CPU <= 1.0"
    )
    checks["charge_usage_ratio"] = _at_least(
        charge_ratio, CHARGE_RATIO_MIN, "ChargeUsage calls/s / pgbench TPS of bench/ledger_pgbench.sql >= 0.5"
    )
    for variant in READS:
        checks[f"{variant}_rate"] = _at_least(
            _figure(variants, variant, "calls_per_s"),
            _scaled(health_rate, READ_VS_HEALTH_MIN),
            f"{variant} calls/s >= 0.6 x health check calls/s",
        )
    sqlite_rate = sqlite.get("calls_per_s")
    checks["sqlite_purchase_rate"] = _at_least(sqlite_rate, SQLITE_PURCHASES_MIN, "SQLite one-call purchases/s >= 200")
    checks["sqlite_purchase_p99"] = _at_most(
        sqlite.get("p99_ms"), SQLITE_P99_MAX_MS, "SQLite one-call purchase p99 <= 500 ms"
    )
    outcomes = [check["ok"] for check in checks.values()]
    checks["summary"] = {
        "met": outcomes.count(True),
        "missed": outcomes.count(False),
        "not_measured": outcomes.count(None),
    }
    return checks


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(result: dict[str, Any]) -> str:
    """The readable summary printed at the end of a run."""
    details = result["details"]
    header = (
        "variant", "calls/s", "core ms/op", "pg ms/op", "pg own ms/op", "client ms/op", "p50 ms", "p99 ms", "errors",
        "transfers",
    )  # fmt: skip
    rows = [header]
    for name, figures in details["variants"].items():
        errors = figures.get("errors") or {}
        rows.append(
            (
                name,
                _cell(figures.get("calls_per_s"), 1),
                _cell(figures.get("core_cpu_ms_per_op"), 3),
                _cell(figures.get("postgres_cpu_ms_per_op"), 3),
                _cell(figures.get("postgres_own_cpu_ms_per_op"), 3),
                _cell(figures.get("client_cpu_ms_per_op"), 3),
                _cell(figures.get("p50_ms"), 1),
                _cell(figures.get("p99_ms"), 1),
                ",".join(f"{code}:{n}" for code, n in errors.items()) or "0",
                "ok" if figures.get("transfers_match") else "MISMATCH",
            )
        )
    sqlite = details.get("sqlite") or {}
    if sqlite.get("calls_per_s") is not None:
        errors = sqlite.get("errors") or {}
        rows.append(
            (
                "sqlite purchase_one_call",
                _cell(sqlite.get("calls_per_s"), 1),
                _cell(sqlite.get("core_cpu_ms_per_op"), 3),
                "-",
                "-",
                _cell(sqlite.get("client_cpu_ms_per_op"), 3),
                _cell(sqlite.get("p50_ms"), 1),
                _cell(sqlite.get("p99_ms"), 1),
                ",".join(f"{code}:{n}" for code, n in errors.items()) or "0",
                "ok" if sqlite.get("transfers_match") else "MISMATCH",
            )
        )
    sqlite_error = [f"sqlite: {sqlite['error']}"] if "error" in sqlite else []
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines += [*sqlite_error, ""]
    lines.append(
        f"purchase_one_call: {_cell(result['value'], 1)} /s, limit (pgbench, same statements) "
        f"{_cell(result['limit'], 1)} TPS, ratio {_cell(result['ratio'], 3)}, cpu_ratio {_cell(result['cpu_ratio'], 3)}"
    )
    lines.append("targets:")
    for name, check in details["targets"].items():
        if name == "summary":
            continue
        verdict = {True: "met", False: "MISSED", None: "not measured"}[check["ok"]]
        lines.append(
            f"  {verdict:12} {name}: {_cell(check['value'], 3)} vs {_cell(check['bound'], 3)}  ({check['rule']})"
        )
    summary = details["targets"]["summary"]
    lines.append(f"  {summary['met']} met, {summary['missed']} missed, {summary['not_measured']} not measured")
    return "\n".join(lines)
