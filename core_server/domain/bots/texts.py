"""A tenant's text overrides: its own wording of a bot message (a key such as "menu.balance") in a
locale, so a tenant words its bot without a deploy. Set, delete and list (a bot gateway reads them
all at start: at most MAX_OVERRIDES, four pages of 500). Changes are audited, and each one that
changes a text writes the event `bot_settings.updated` (fields ["texts"], with the locale and key;
`changes.py`) so the tenant's bot re-reads its texts at once. The settings row's lock serializes
them per tenant, so the limit holds under concurrent calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.bots.changes import text_changed
from core_server.domain.bots.rules import (
    MAX_OVERRIDES,
    MAX_TEXT,
    check_locale,
    check_message_key,
    override_page_key,
)
from core_server.domain.bots.settings import BotSettingsService
from core_server.domain.errors import Violations
from core_server.domain.paging import next_page_token, page_request
from core_server.domain.reasons import TextOverrideLimit, TextOverrideNotFound
from core_server.store.models import TextOverrideRow
from core_server.store.repositories import bots as repo

PREFIX = ""  # fields named as in the resource (the REST body)


@dataclass(frozen=True, slots=True)
class TextOverride:
    key: str
    locale: str
    text: str
    updated_at: dt.datetime


def _override(row: TextOverrideRow) -> TextOverride:
    return TextOverride(row.key, row.locale, row.text, row.updated_at)


class TextOverrideService:
    def __init__(self, settings: BotSettingsService) -> None:
        self.settings = settings
        self.deps = settings.deps

    async def set(self, actor: Actor, key: str, locale: str, text: str) -> TextOverride:
        v = Violations()
        check_message_key(key, PREFIX + "key", v)
        check_locale(locale, PREFIX + "locale", v)
        text = v.check_text(PREFIX + "text", text, max_length=MAX_TEXT, required=True, multiline=True)
        v.raise_if_any()
        tenant, now = actor.tenant, self.deps.clock.now()
        async with self.deps.uow() as uow:
            await self.settings.ensure_locked(uow, tenant)  # the tenant's lock
            row = await repo.get_override(uow, tenant, locale, key, for_update=True)
            before = {"text": row.text} if row is not None else {}
            if row is None:
                if await repo.count_overrides(uow, tenant) >= MAX_OVERRIDES:
                    raise TextOverrideLimit(f"a tenant has at most {MAX_OVERRIDES} text overrides")
                row = TextOverrideRow(tenant_id=tenant, locale=locale, key=key, text=text, updated_at=now)
                repo.add_override(uow, row)
            else:
                row.text, row.updated_at = text, now
            target = ("bot_text", f"{locale}:{key}")
            audit.record(uow, actor, "", "bot_text.set", target, "", before, {"text": text}, now)
            if before.get("text") != text:  # the same words again: nothing for the bot to re-read
                await text_changed(uow, self.deps, tenant, locale, key, now)
            await uow.commit()
        return _override(row)

    async def delete(self, actor: Actor, key: str, locale: str) -> None:
        v = Violations()
        check_message_key(key, "key", v)
        check_locale(locale, "locale", v)
        v.raise_if_any()
        tenant, now = actor.tenant, self.deps.clock.now()
        async with self.deps.uow() as uow:
            await self.settings.ensure_locked(uow, tenant)
            row = await repo.get_override(uow, tenant, locale, key, for_update=True)
            if row is None:
                raise TextOverrideNotFound(f"{locale}:{key}")
            target = ("bot_text", f"{locale}:{key}")
            audit.record(uow, actor, "", "bot_text.deleted", target, "", {"text": row.text}, {}, now)
            await repo.delete_override(uow, row)
            await text_changed(uow, self.deps, tenant, locale, key, now)
            await uow.commit()

    async def list_overrides(
        self, actor: Actor, locale: str, page_size: int, page_token: str
    ) -> tuple[list[TextOverride], str]:
        v = Violations()
        check_locale(locale, "locale", v, required=False)
        page = page_request(
            page_size, page_token, {"list": "text_overrides", "l": locale}, key=override_page_key, violations=v
        )
        v.raise_if_any()
        after = override_page_key(page.after) if page.after else None
        async with self.deps.read_uow() as uow:
            rows = await repo.list_overrides(uow, actor.tenant, locale=locale, after=after, limit=page.size + 1)
            items = [_override(row) for row in rows[: page.size]]
        last = f"{items[-1].locale}:{items[-1].key}" if items else None
        return items, next_page_token(page, last, len(rows) > page.size)
