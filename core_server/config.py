"""Settings of the core, read from `BILLING_HUB_*` environment variables (and `.env`).

The embedded default needs no settings at all: SQLite under `./data/`, a master key generated into
the data folder, keys bootstrapped into it. Anything else (PostgreSQL, a master key from a secret
store) is an environment variable away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# statements of one tenant and asset's usage charges running at once before the next charges queue
# and go together (store/charge_batches_pg.py); 0: every charge is its own statement
CHARGE_BATCHES_IN_FLIGHT = 1
READ_BATCHES_IN_FLIGHT = 2

PLATFORM_KEY_FILE = "platform.key"
GATEWAY_KEY_FILE = "gateway.key"
MASTER_KEY_FILE = "master.key"


class Settings(BaseSettings):
    """Every knob of the core. Secrets are `SecretStr` so they never print by accident."""

    model_config = SettingsConfigDict(env_prefix="BILLING_HUB_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    master_key: SecretStr | None = None
    platform_key: SecretStr | None = None
    gateway_key: SecretStr | None = None
    grpc_listen: str = "127.0.0.1:50051"
    shutdown_grace_seconds: float = 10.0
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "info"
    auth_cache_seconds: float = 5.0
    db_pool_size: int = 20  # PostgreSQL: the pool (and as many overflow); SQLite: reader connections
    db_write_wait_seconds: float = 60.0  # SQLite: how long a write may wait for the one writer (store/db.py)
    fastpath_pool_size: int = 16
    # PostgreSQL: statements of one tenant and asset's usage charges running at once; the charges
    # that arrive meanwhile queue and go to the database together (store/charge_batches_pg.py).
    # 0: every charge is its own statement
    charge_batches_in_flight: int = Field(default=CHARGE_BATCHES_IN_FLIGHT, ge=0, le=64)
    # PostgreSQL: statements of one kind of screen read (GetUser, GetBalances...) running at once;
    # the reads that arrive meanwhile queue and go together (store/reads/batches_pg.py). 0: none
    read_batches_in_flight: int = Field(default=READ_BATCHES_IN_FLIGHT, ge=0, le=64)
    # the HTTP gateway's address as payment providers reach it (https://pay.example.com): webhook
    # URLs shown by ListProviderConfigs are built on it
    public_url: str = ""
    # rate limits per API key, by the key's role (domain/rate_limits.py): calls a second and burst
    # (calls a key may make at once after a quiet spell). A rate of 0 is unlimited; a burst of 0 is
    # one second's worth. Gateways serve thousands of users through one key: unlimited by default.
    rate_limit_partner_per_second: int = 50
    rate_limit_partner_burst: int = 100
    rate_limit_tenant_admin_per_second: int = 100
    rate_limit_tenant_admin_burst: int = 200
    rate_limit_gateway_per_second: int = 0
    rate_limit_gateway_burst: int = 0
    rate_limit_platform_per_second: int = 0
    rate_limit_platform_burst: int = 0
    # "host:port" of the Prometheus endpoint (GET /metrics, core_server/metrics.py); empty: none.
    # Off by default: several cores on one machine (tests, benches, `up` twice) would fight for a
    # fixed port. Keep it on loopback or a private network: it names every method and role.
    metrics_listen: str = ""
    # outbound webhooks may go to http://127.0.0.1 and other loopback hosts (local development and
    # tests); off, endpoints must be https:// and every address they resolve to public
    webhooks_allow_loopback_http: bool = False
    # set by `billing-hub up` for its own core child: once serving, the core writes {"pid", "port"}
    # there, which is how `up` tells its core from another process answering on the same port
    ready_file: Path | None = None

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data folder."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'billing-hub.db'}"

    @property
    def rate_limit_settings(self) -> dict[str, tuple[float, int]]:
        """{role: (calls a second, burst)} for domain/rate_limits.py's limits_by_role."""
        return {
            role: (getattr(self, f"rate_limit_{role}_per_second"), getattr(self, f"rate_limit_{role}_burst"))
            for role in ("partner", "tenant_admin", "gateway", "platform")
        }

    @property
    def is_embedded(self) -> bool:
        """True on the embedded default (SQLite): keys and the master key may live in files."""
        return self.effective_database_url.startswith("sqlite")
