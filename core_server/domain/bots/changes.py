"""The event of a change to a tenant's bot settings or texts, `bot_settings.updated`.

Bot gateways keep each tenant's settings in memory; this event (written in the change's
transaction) is what tells them to read the settings again at once instead of after their refresh
period. Its data names what changed, never the values: `fields` lists the settings fields whose
value changed (as UpdateBotSettings' mask names them: "admins", "welcome_text", "mode", ...) or
"texts" for a text override, with that override's `locale` and `key`. The webhook secret is not a
field anyone updates, and no value is copied, so the event carries no secret and can go to a
tenant's outbound webhook endpoints like any other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from core_server.domain.deps import Deps
from core_server.domain.events import emit
from core_server.store.unit_of_work import UnitOfWork

SETTINGS_UPDATED = "bot_settings.updated"
TEXTS = "texts"  # the `fields` entry of a text override's change


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The names, in the given order, whose values differ between the two records."""
    return [name for name in names if before.get(name) != after.get(name)]


async def settings_changed(
    uow: UnitOfWork, deps: Deps, tenant: uuid.UUID, fields: Sequence[str], now: dt.datetime
) -> None:
    """Write the event of an update that changed `fields` (none changed: no event)."""
    if fields:
        await emit(uow, deps.feed, tenant, SETTINGS_UPDATED, {"fields": list(fields)}, now)


async def text_changed(uow: UnitOfWork, deps: Deps, tenant: uuid.UUID, locale: str, key: str, now: dt.datetime) -> None:
    """Write the event of a text override set, replaced or deleted."""
    await emit(uow, deps.feed, tenant, SETTINGS_UPDATED, {"fields": [TEXTS], "locale": locale, "key": key}, now)
