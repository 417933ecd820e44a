"""How the CLI finds the core and its key: flags, then `BILLING_HUB_*` variables (and `.env`), then files.

The key order is `--api-key`, `BILLING_HUB_API_KEY`, `BILLING_HUB_PLATFORM_KEY`, and last the
`platform.key` the core writes into its data folder on the embedded default, so on a laptop
`billing-hub tenant list` works right after `billing-hub up` with no configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sdk.client import DEFAULT_TARGET, BillingHubClient
from sdk.credentials import load_api_key
from sdk.settings_errors import load_settings

PLATFORM_KEY_FILE = "platform.key"


class CliEnvironment(BaseSettings):
    """The variables the CLI reads; flags override them."""

    model_config = SettingsConfigDict(env_prefix="BILLING_HUB_", env_file=".env", extra="ignore")

    core_target: str = DEFAULT_TARGET
    api_key: SecretStr | None = None
    platform_key: SecretStr | None = None
    data_dir: Path = Path("data")


def resolve_target(args: argparse.Namespace, env: CliEnvironment) -> str:
    """`--target`, else `BILLING_HUB_CORE_TARGET`, else the default address."""
    target: str | None = getattr(args, "target", None)
    return target or env.core_target


def resolve_api_key(args: argparse.Namespace, env: CliEnvironment) -> str:
    """The key to call the core with; raises `MissingApiKey` naming what to set."""
    explicit: str | None = getattr(args, "api_key", None)
    if not explicit:
        secret = env.api_key or env.platform_key
        explicit = secret.get_secret_value() if secret else None
    return load_api_key(explicit, env.data_dir / PLATFORM_KEY_FILE, env_var="BILLING_HUB_API_KEY")


def open_client(args: argparse.Namespace) -> BillingHubClient:
    """A client for the admin commands (the caller closes it)."""
    env = load_settings(CliEnvironment)
    return BillingHubClient(resolve_target(args, env), resolve_api_key(args, env))
