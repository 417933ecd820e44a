"""`billing-hub core|migrate|http|bots` become the process they name: its output and exit code are the command's.

Run through the console script in an empty folder, as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND_TIMEOUT = 60


def billing_hub(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("billing-hub")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "billing_hub"]
    clean = {name: value for name, value in os.environ.items() if not name.startswith("BILLING_HUB_")}
    return subprocess.run(
        [*command, *args],
        cwd=workdir,
        env={**clean, "BILLING_HUB_LOG_FORMAT": "json", **env},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def test_migrate_creates_the_embedded_database(tmp_path: Path) -> None:
    result = billing_hub(tmp_path, "migrate")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "the database schema is up to date"
    assert (tmp_path / "data" / "billing-hub.db").is_file()


def test_a_failed_migration_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = billing_hub(tmp_path, "migrate", BILLING_HUB_DATABASE_URL="nosuchdriver://nowhere/db")

    assert result.returncode == 1
    assert result.stderr.startswith("error: migration failed: ")
    assert "Traceback" not in result.stderr


def test_core_on_an_unmigrated_database_exits_with_its_own_code(tmp_path: Path) -> None:
    result = billing_hub(tmp_path, "core")

    assert result.returncode == 2, result.stderr
    assert "billing-hub migrate" in result.stderr


@pytest.mark.parametrize(
    ("command", "variable", "value"),
    [
        ("http", "BILLING_HUB_SHUTDOWN_GRACE_SECONDS", "soon"),
        ("bots", "BILLING_HUB_BROADCAST_BATCH", "many"),
        ("up", "BILLING_HUB_LOG_FORMAT", "xml"),
        ("migrate", "BILLING_HUB_DB_POOL_SIZE", "lots"),
    ],
)
def test_a_bad_setting_stops_every_process_with_its_name_and_no_traceback(
    tmp_path: Path, command: str, variable: str, value: str
) -> None:
    result = billing_hub(tmp_path, command, **{variable: value})

    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith(f"error: bad setting: {variable}: "), result.stderr
    assert value not in result.stderr  # never the value: it may be a key
    assert "Traceback" not in result.stderr


def test_a_bad_setting_stops_the_core_with_its_name_and_no_traceback(tmp_path: Path) -> None:
    for value in ("-1", "65", "many"):
        result = billing_hub(tmp_path, "core", BILLING_HUB_CHARGE_BATCHES_IN_FLIGHT=value)

        assert result.returncode == 2, result.stderr
        assert "BILLING_HUB_CHARGE_BATCHES_IN_FLIGHT" in result.stderr
        assert "Traceback" not in result.stderr
