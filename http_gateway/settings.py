"""Settings of the HTTP gateway, from `BILLING_HUB_*` environment variables (and `.env`).

The gateway is a client of the core like any other: it needs the core's address and a key of
role gateway. On the embedded default that key is the file the core writes into its data folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sdk.credentials import load_api_key

GATEWAY_KEY_FILE = "gateway.key"


class HttpGatewaySettings(BaseSettings):
    """Every knob of the HTTP gateway. The key is a `SecretStr` so it never prints by accident."""

    model_config = SettingsConfigDict(env_prefix="BILLING_HUB_", env_file=".env", extra="ignore")

    core_target: str = "127.0.0.1:50051"
    gateway_key: SecretStr | None = None
    data_dir: Path = Path("data")
    http_listen: str = "127.0.0.1:8080"
    shutdown_grace_seconds: float = 10.0
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "info"

    def api_key(self) -> str:
        """The gateway key: `BILLING_HUB_GATEWAY_KEY`, else `<data_dir>/gateway.key`."""
        explicit = self.gateway_key.get_secret_value() if self.gateway_key else None
        return load_api_key(explicit, self.data_dir / GATEWAY_KEY_FILE, env_var="BILLING_HUB_GATEWAY_KEY")
