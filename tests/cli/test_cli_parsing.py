"""The owner manages tenants and keys from a terminal or a script.

`billing-hub` runs in-process (`main(argv)`) against a fake PlatformService; the tests read what
a person would see: stdout, stderr and the exit code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from billing_hub.main import build_parser, main
from sdk.billinghub.v1 import tenant_pb2
from tests.cli.fakes import PLATFORM_KEY, FakePlatform, tenant

REPO = Path(__file__).resolve().parents[2]


def cli(platform: FakePlatform, *args: str) -> int:
    return main(["--target", platform.target, "--api-key", PLATFORM_KEY, *args])


def test_global_options_work_before_and_after_the_subcommand() -> None:
    before = build_parser().parse_args(["--json", "--target", "h:1", "tenant", "list"])
    after = build_parser().parse_args(["tenant", "list", "--json", "--target", "h:1"])

    assert (before.json, before.target) == (True, "h:1")
    assert (after.json, after.target) == (True, "h:1")


def test_subcommand_arguments_are_parsed() -> None:
    args = build_parser().parse_args(["tenant", "suspend", "t-1", "--reason", "unpaid"])
    assert (args.tenant_id, args.reason) == ("t-1", "unpaid")

    args = build_parser().parse_args(["key", "create", "--role", "tenant_admin", "--tenant", "t-1", "--name", "site"])
    assert (args.role, args.tenant, args.name) == ("tenant_admin", "t-1", "site")

    args = build_parser().parse_args(["key", "list", "--all"])
    assert args.all is True


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["key", "create", "--role", "owner"])

    assert exit_info.value.code == 2
    assert "invalid choice: 'owner'" in capsys.readouterr().err


def test_tenant_list_prints_a_table_of_every_page(platform: FakePlatform, capsys: pytest.CaptureFixture[str]) -> None:
    platform.pages = [
        [tenant("t-1", "Acme Shop", has_bot_token=True)],
        [tenant("t-2", "Stars Store", status=tenant_pb2.TENANT_STATUS_SUSPENDED, suspended_reason="unpaid")],
    ]

    code = cli(platform, "tenant", "list")

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["ID", "NAME", "STATUS", "LOCALE", "TIME", "ZONE", "BOT", "CREATED"]
    assert out[1].split() == ["t-1", "Acme", "Shop", "active", "en", "UTC", "yes", "2026-01-01", "00:00:00Z"]
    assert out[2].split()[:4] == ["t-2", "Stars", "Store", "suspended"]
    assert [request.page_token for request in platform.requests] == ["", "1"]
    assert platform.metadata[0]["authorization"] == f"Bearer {PLATFORM_KEY}"


def test_tenant_list_json_uses_proto_field_names(platform: FakePlatform, capsys: pytest.CaptureFixture[str]) -> None:
    platform.pages = [[tenant("t-1", "Acme Shop", has_bot_token=True)]]

    code = cli(platform, "tenant", "list", "--json")

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["tenants"][0]["id"] == "t-1"
    assert document["tenants"][0]["has_bot_token"] is True
    assert document["tenants"][0]["default_locale"] == "en"
    assert document["tenants"][0]["status"] == "TENANT_STATUS_ACTIVE"
    assert document["tenants"][0]["suspended_reason"] == ""  # defaults included: scripts never miss a key


def test_tenant_list_filters_by_status(platform: FakePlatform) -> None:
    assert cli(platform, "tenant", "list", "--status", "suspended") == 0
    assert platform.requests[0].status == tenant_pb2.TENANT_STATUS_SUSPENDED


def test_invalid_argument_is_reported_without_traceback(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(platform, "tenant", "create", "")

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("error: name: is required")
    assert "  name: is required" in captured.err
    assert "req-42" in captured.err
    assert "Traceback" not in captured.err


def test_bot_token_is_read_from_a_file(
    platform: FakePlatform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "bot.token"
    token_file.write_text("123456:SECRET-token\n")

    code = cli(platform, "tenant", "create", "Acme", "--locale", "ru", "--bot-token-file", str(token_file))

    out = capsys.readouterr().out
    assert code == 0
    assert platform.requests[0].bot_token == "123456:SECRET-token"
    assert platform.requests[0].default_locale == "ru"
    assert "SECRET" not in out
    assert "bot:       yes" in out


def test_a_bot_token_is_set_from_a_file_and_removed_on_request(
    platform: FakePlatform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "bot.token"
    token_file.write_text("123456:SECRET-token\n")

    set_code = cli(platform, "tenant", "set-bot-token", "t-1", "--bot-token-file", str(token_file))
    set_out = capsys.readouterr().out
    remove_code = cli(platform, "tenant", "set-bot-token", "t-1", "--remove")
    with pytest.raises(SystemExit) as neither:  # a file or --remove is required
        cli(platform, "tenant", "set-bot-token", "t-1")

    assert (set_code, remove_code, neither.value.code) == (0, 0, 2)
    first, second = platform.requests
    assert (first.tenant_id, first.bot_token, list(first.update_mask.paths)) == (
        "t-1",
        "123456:SECRET-token",
        ["bot_token"],
    )
    assert (second.bot_token, list(second.update_mask.paths)) == ("", ["bot_token"])
    assert "SECRET" not in set_out and "bot:       yes" in set_out


def test_key_create_shows_the_secret_once_with_a_warning(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(platform, "key", "create", "--role", "partner", "--tenant", "t-1", "--name", "website")

    captured = capsys.readouterr()
    assert code == 0
    assert "secret: bh_partner_k-1_brand-new-secret" in captured.out
    assert "only time" in captured.err
    request = platform.requests[0]
    assert (request.role, request.tenant_id, request.name) == (tenant_pb2.API_KEY_ROLE_PARTNER, "t-1", "website")


def test_api_key_comes_from_the_environment_then_the_key_file(
    platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "platform.key").write_text("bh_platform_file_key\n")
    assert main(["--target", platform.target, "tenant", "list"]) == 0

    monkeypatch.setenv("BILLING_HUB_PLATFORM_KEY", "bh_platform_env_key")
    assert main(["--target", platform.target, "tenant", "list"]) == 0

    monkeypatch.setenv("BILLING_HUB_API_KEY", "bh_platform_api_key")
    assert main(["--target", platform.target, "tenant", "list"]) == 0

    keys = [metadata["authorization"] for metadata in platform.metadata]
    assert keys == ["Bearer bh_platform_file_key", "Bearer bh_platform_env_key", "Bearer bh_platform_api_key"]


def test_missing_key_is_a_clear_error(platform: FakePlatform, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--target", platform.target, "tenant", "list"])

    assert code == 1
    assert "error: no API key: set BILLING_HUB_API_KEY" in capsys.readouterr().err
    assert platform.requests == []


def test_admin_commands_do_not_load_the_core_or_gateways(platform: FakePlatform) -> None:
    script = (
        "import sys\n"
        "from billing_hub.main import main\n"
        f"code = main(['--target', '{platform.target}', '--api-key', 'k', 'tenant', 'list'])\n"
        "packages = ('sqlalchemy', 'alembic', 'aiogram', 'quart', 'core_server', 'http_gateway', 'bot_gateway')\n"
        "heavy = sorted(m for m in packages if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
