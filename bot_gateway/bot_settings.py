"""Each tenant's bot settings and text overrides, read from the core and kept in memory.

A change of a tenant's settings or texts applies at once: the core writes `bot_settings.updated`
with it, the bot's notifier (`notifier.py`) sees it on the tenant's event stream and calls
`invalidate`, and the next read of that tenant's settings (its next update, its next notice) goes
to the core. Dropping the copy rather than reading it on the spot makes a burst of changes (a
tenant importing 2000 text overrides) cost one read, not one per change.

Only one process sees that event, though: the core lets one stream at a time read a tenant's
notifications (the consumer lease, core_server/domain/event_leases.py), so with several gateway
replicas the others' notifiers wait in silence, and a process may run no notifier at all. Their
copies are bounded by age instead: a copy older than `refresh_seconds`
(BILLING_HUB_BOT_SETTINGS_REFRESH_SECONDS, 60 s) is read again at the tenant's next update or
notice, so every replica serves a change within that period (the holder at once). The age is
checked on read, never by a timer: an idle bot costs no task, no stream and no call, which keeps
a thousand bots a process cheap; a busy bot costs one GetBotSettings (and its override pages) a
period. A per-replica stream of the settings events would cost a stream per bot per replica, and
a version check per update a call per update, for a gain of under a minute.

A tenant's copy is loaded when its bot starts (the runner warms it) or at its first update, with
GetBotSettings and every page of ListTextOverrides (500 a page, at most four). When the core cannot
be reached the previous copy stays; a tenant never loaded gets defaults.

An override is kept only when its key is one of the documented keys (`text_keys.TEXT_KEYS`) and
its `{placeholders}` are ones the bot's text has, so a tenant's typo can never break a screen.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from string import Formatter

import structlog

from bot_gateway.text_keys import TEXT_KEYS
from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

log = structlog.get_logger(__name__)

OVERRIDES_PAGE_SIZE = 500
BOT_SETTINGS_KEY = "bot_settings"


def placeholders(text: str) -> set[str]:
    """The `{names}` of a format string; raises ValueError when its braces are unbalanced."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def usable(key: str, text: str) -> bool:
    """Whether an override of `key` may replace the bot's text: a known key, no new placeholders."""
    source = TEXT_KEYS.get(key)
    if source is None:
        return False
    try:
        return placeholders(text) <= placeholders(source)
    except ValueError:
        return False


@dataclass(frozen=True)
class TenantSettings:
    """One tenant's settings as the bot uses them; `by_msgid[locale][catalog msgid]` is an override."""

    settings: bot_settings_pb2.BotSettings = field(default_factory=bot_settings_pb2.BotSettings)
    by_key: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (locale, key) -> text
    by_msgid: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, settings: bot_settings_pb2.BotSettings, overrides: list[bot_settings_pb2.TextOverride]
    ) -> TenantSettings:
        by_key: dict[tuple[str, str], str] = {}
        by_msgid: dict[str, dict[str, str]] = {}
        for override in overrides:
            if not usable(override.key, override.text):
                log.warning("text override ignored", key=override.key, locale=override.locale)
                continue
            by_key[(override.locale, override.key)] = override.text
            by_msgid.setdefault(override.locale, {})[TEXT_KEYS[override.key]] = override.text
        return cls(settings, by_key, by_msgid)

    def text(self, locale: str, key: str) -> str | None:
        """The tenant's override of `key` in `locale`, or None."""
        return self.by_key.get((locale, key))

    @property
    def admin_ids(self) -> frozenset[int]:
        """Telegram ids of the tenant's bot admins."""
        return frozenset(admin.telegram_id for admin in self.settings.admins)


DEFAULTS = TenantSettings()


@dataclass
class _Entry:
    value: TenantSettings
    loaded_at: float


class BotSettingsCache:
    """The settings of every tenant this process serves, each re-read after `refresh_seconds` or
    after `invalidate`."""

    def __init__(self, refresh_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._changes: dict[str, int] = {}  # tenant id -> invalidations so far

    def cached(self, tenant_id: str) -> TenantSettings | None:
        """The copy in memory, however old; None before the first load."""
        entry = self._entries.get(tenant_id)
        return entry.value if entry else None

    async def get(self, hub: BillingHubClient, tenant_id: str) -> TenantSettings:
        """The tenant's settings, read from the core first when missing or older than the refresh."""
        entry = self._entries.get(tenant_id)
        if entry is not None and self._clock() - entry.loaded_at < self.refresh_seconds:
            return entry.value
        async with self._locks.setdefault(tenant_id, asyncio.Lock()):
            entry = self._entries.get(tenant_id)  # another update may have loaded it meanwhile
            if entry is not None and self._clock() - entry.loaded_at < self.refresh_seconds:
                return entry.value
            return await self.load(hub, tenant_id)

    async def load(self, hub: BillingHubClient, tenant_id: str) -> TenantSettings:
        """Read the settings now; on a core failure keep the previous copy (or the defaults)."""
        changes = self._changes.get(tenant_id, 0)
        try:
            value = await _read(hub)
        except BillingHubError as error:
            log.warning("cannot read bot settings", tenant_id=tenant_id, status=error.code.name, reason=error.reason)
            previous = self._entries.get(tenant_id)
            value = previous.value if previous else DEFAULTS
        # invalidated while reading: what was read may predate the change, so the next get reads again
        loaded_at = self._clock() if self._changes.get(tenant_id, 0) == changes else -math.inf
        self._entries[tenant_id] = _Entry(value, loaded_at)
        return value

    def invalidate(self, tenant_id: str) -> None:
        """The tenant's settings changed in the core: the next `get` reads them again (the copy
        in hand stays usable until then, as `cached` shows)."""
        self._changes[tenant_id] = self._changes.get(tenant_id, 0) + 1
        entry = self._entries.get(tenant_id)
        if entry is not None:
            entry.loaded_at = -math.inf

    def forget(self, tenant_id: str) -> None:
        """Drop a tenant whose bot stopped."""
        self._entries.pop(tenant_id, None)
        self._locks.pop(tenant_id, None)
        self._changes.pop(tenant_id, None)


async def _read(hub: BillingHubClient) -> TenantSettings:
    response: bot_settings_service_pb2.GetBotSettingsResponse = await hub.bot_settings.GetBotSettings(
        bot_settings_service_pb2.GetBotSettingsRequest()
    )
    overrides: list[bot_settings_pb2.TextOverride] = []
    token = ""
    while True:
        page: bot_settings_service_pb2.ListTextOverridesResponse = await hub.bot_settings.ListTextOverrides(
            bot_settings_service_pb2.ListTextOverridesRequest(page_size=OVERRIDES_PAGE_SIZE, page_token=token)
        )
        overrides.extend(page.text_overrides)
        token = page.next_page_token
        if not token:
            return TenantSettings.build(response.bot_settings, overrides)
