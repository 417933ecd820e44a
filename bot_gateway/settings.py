"""Settings of the bot gateway, from `BILLING_HUB_*` environment variables (and `.env`).

The gateway learns which bots to run from the core (ListBotTenants), so its own settings are only
how to reach the core, how to reach Telegram, how often to ask for the list of bots, where shared
state lives (Redis, for several replicas) and where Telegram posts webhook-mode updates. The HTTP
gateway reads the same settings when it hosts the bots in webhook mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sdk.credentials import load_api_key

GATEWAY_KEY_FILE = "gateway.key"


class BotGatewaySettings(BaseSettings):
    """Every knob of the bot gateway. The key is a `SecretStr` so it never prints by accident."""

    model_config = SettingsConfigDict(env_prefix="BILLING_HUB_", env_file=".env", extra="ignore")

    core_target: str = "127.0.0.1:50051"
    gateway_key: SecretStr | None = None
    data_dir: Path = Path("data")
    # a custom Bot API server (a local telegram-bot-api, or a fake one in tests); None = Telegram's
    telegram_api_url: str | None = None
    poll_tenants_seconds: float = 30.0
    # FSM and anti-flood state in this Redis (`redis://127.0.0.1:6379/0`) instead of memory, so
    # several gateway replicas serve the same bots
    redis_url: str | None = None
    # the HTTP gateway's address as Telegram reaches it; webhook URLs are built on it, and without
    # it the HTTP gateway serves no bot in webhook mode
    public_url: str = ""
    polling_timeout_seconds: int = 30
    # a change of bot settings or texts applies at once where the bot's notifier holds the tenant's
    # event lease (its bot_settings.updated event); every other replica, and a process running no
    # notifier, re-reads a copy this old at the tenant's next update: the bound on a stale replica
    bot_settings_refresh_seconds: float = 60.0
    # notifications from the event stream (one task per bot); off for a second replica
    bot_notifications: bool = True
    # broadcasts: one sender per bot leasing `broadcast_batch` recipients at a time and sending at
    # most `broadcast_rate` messages a second per bot (0 lifts the limit: benches only), running
    # while a broadcast is (the notifier's events, the tenant list's `broadcast_running`); a paused
    # batch is held `broadcast_poll_seconds` at most; off for every replica but one, so a bot's
    # pace is never shared by two senders
    broadcast_sending: bool = True
    broadcast_rate: float = 25.0
    broadcast_batch: int = 100
    broadcast_poll_seconds: float = 60.0
    shutdown_grace_seconds: float = 10.0
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "info"

    def api_key(self) -> str:
        """The gateway key: `BILLING_HUB_GATEWAY_KEY`, else `<data_dir>/gateway.key`."""
        explicit = self.gateway_key.get_secret_value() if self.gateway_key else None
        return load_api_key(explicit, self.data_dir / GATEWAY_KEY_FILE, env_var="BILLING_HUB_GATEWAY_KEY")

    def runner_options(self) -> dict[str, Any]:
        """The BotRunner knobs this configuration sets, the same for the bot gateway's polling
        runner and the HTTP gateway's webhook runner."""
        return {
            "poll_tenants_seconds": self.poll_tenants_seconds,
            "telegram_api_url": self.telegram_api_url,
            "notifications": self.bot_notifications,
            "broadcasts": self.broadcast_sending,
            "broadcast_rate": self.broadcast_rate,
            "broadcast_batch": self.broadcast_batch,
            "broadcast_poll_seconds": self.broadcast_poll_seconds,
        }
