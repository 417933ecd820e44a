"""A gateway finds its key in the environment, else in the file the core wrote; logs show only its id."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.credentials import MissingApiKey, key_id, load_api_key


def test_explicit_key_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "gateway.key"
    key_file.write_text("bh_gateway_file_secret\n")

    assert load_api_key(" bh_gateway_env_secret ", key_file) == "bh_gateway_env_secret"
    assert load_api_key(None, key_file) == "bh_gateway_file_secret"
    assert load_api_key("", key_file) == "bh_gateway_file_secret"


@pytest.mark.parametrize("content", [None, "\n"])
def test_no_key_anywhere_names_what_to_set(tmp_path: Path, content: str | None) -> None:
    key_file = tmp_path / "gateway.key"
    if content is not None:
        key_file.write_text(content)

    with pytest.raises(MissingApiKey, match="BILLING_HUB_GATEWAY_KEY"):
        load_api_key(None, key_file, env_var="BILLING_HUB_GATEWAY_KEY")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("bh_gateway_0a1b2c_deadbeef", "0a1b2c"),
        ("bh_tenant_admin_0a1b2c_deadbeef", "0a1b2c"),
        ("bh_platform_0a1b2c", "?"),
        ("not-a-key", "?"),
    ],
)
def test_key_id_is_the_only_loggable_part(key: str, expected: str) -> None:
    assert key_id(key) == expected
