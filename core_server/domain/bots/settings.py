"""A tenant's bot settings: read (defaults until first stored) and update by field mask, with the
admins and their permissions. The first read or update stores the row with a webhook secret the
core generates (SecretBox-encrypted, bound to the tenant); only a gateway key is ever shown it,
and only by GetBotSettings, the call the gateway makes to serve the bot. Every change is audited
without the secret, and an update that changes a value writes the event `bot_settings.updated`
naming the changed fields (`changes.py`), so the tenant's bot applies it at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor, AdminPermission, Role
from core_server.domain.bots.admins import stored_permissions
from core_server.domain.bots.changes import changed_fields, settings_changed
from core_server.domain.bots.rules import (
    MAX_CAPTION,
    MAX_TEXT,
    TEXT_FIELDS,
    AdminSpec,
    BotMode,
    check_admins,
    check_image,
    check_locale,
    check_username,
    new_webhook_secret,
)
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.store.models import BotAdminRow, BotSettingsRow
from core_server.store.repositories import bots as repo
from core_server.store.repositories import tenants as tenant_repo
from core_server.store.unit_of_work import UnitOfWork

UPDATABLE = (
    "bot_username",
    "admins",
    "alert_chat_id",
    "alert_topic_id",
    *TEXT_FIELDS,
    "welcome_image",
    "default_locale",
    "mode",
)
PREFIX = ""  # fields named as the caller writes them in the resource (as the REST body has them)


@dataclass(frozen=True, slots=True, kw_only=True)
class BotSettingsSpec:
    """What an admin gives (an update uses the fields its mask names); a mode the contract does
    not know comes in as None."""

    bot_username: str = ""
    admins: Sequence[AdminSpec] = ()
    alert_chat_id: int = 0
    alert_topic_id: int = 0
    welcome_text: str = ""
    welcome_image: str = ""
    support_text: str = ""
    terms_text: str = ""
    privacy_text: str = ""
    paysupport_text: str = ""
    default_locale: str = ""
    mode: BotMode | None = BotMode.POLLING


@dataclass(frozen=True, slots=True, kw_only=True)
class BotSettings(BotSettingsSpec):
    webhook_secret: str = ""
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def secret_context(tenant: uuid.UUID) -> bytes:
    return f"tenant:{tenant}:bot_settings:webhook_secret".encode()


def record(row: BotSettingsRow, admins: Sequence[BotAdminRow]) -> dict[str, Any]:
    """The settings as audit entries show them (never the secret)."""
    shown = {name: getattr(row, name) for name in UPDATABLE if name != "admins"}
    shown["admins"] = [
        {"telegram_id": a.telegram_id, "name": a.name, "permissions": list(a.permissions)} for a in admins
    ]
    return shown


def _in_order(granted: frozenset[AdminPermission]) -> list[AdminPermission | None]:
    return [p for p in AdminPermission if p in granted]


def _settings(row: BotSettingsRow, admins: Sequence[BotAdminRow], secret: str) -> BotSettings:
    return BotSettings(
        bot_username=row.bot_username,
        admins=[AdminSpec(a.telegram_id, a.name, _in_order(stored_permissions(list(a.permissions)))) for a in admins],
        alert_chat_id=row.alert_chat_id,
        alert_topic_id=row.alert_topic_id,
        welcome_text=row.welcome_text,
        welcome_image=row.welcome_image,
        support_text=row.support_text,
        terms_text=row.terms_text,
        privacy_text=row.privacy_text,
        paysupport_text=row.paysupport_text,
        default_locale=row.default_locale,
        mode=BotMode(row.mode),
        webhook_secret=secret,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check(spec: BotSettingsSpec, mask: Sequence[str], v: Violations) -> BotSettingsSpec:
    """The masked fields as stored (trimmed, deduplicated); violations name `bot_settings.<field>`."""
    changes: dict[str, Any] = {}
    if "bot_username" in mask:
        changes["bot_username"] = check_username(spec.bot_username, PREFIX + "bot_username", v)
    if "admins" in mask:
        changes["admins"] = check_admins(spec.admins, PREFIX + "admins", v)
    if "alert_topic_id" in mask and spec.alert_topic_id < 0:
        v.add(PREFIX + "alert_topic_id", "must be a forum topic id greater than 0, or 0 for none")
    for name in TEXT_FIELDS:
        if name in mask:
            changes[name] = v.check_text(PREFIX + name, getattr(spec, name), max_length=MAX_TEXT, multiline=True)
    if "welcome_image" in mask:
        changes["welcome_image"] = check_image(spec.welcome_image, PREFIX + "welcome_image", v)
    if "default_locale" in mask:
        check_locale(spec.default_locale, PREFIX + "default_locale", v)
    if "mode" in mask and spec.mode is None:
        v.add(PREFIX + "mode", "must be BOT_MODE_POLLING or BOT_MODE_WEBHOOK")
    return dataclasses.replace(spec, **changes)


class BotSettingsService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ensure_locked(self, uow: UnitOfWork, tenant: uuid.UUID) -> BotSettingsRow:
        """The tenant's settings row, locked, stored with defaults and a new secret if it is the first."""
        row = await repo.get_settings(uow, tenant, for_update=True)
        if row is None:
            owner = await tenant_repo.get_tenant(uow, tenant)
            now = self.deps.clock.now()
            first = BotSettingsRow(
                tenant_id=tenant,
                default_locale=owner.default_locale if owner is not None else "en",
                mode=BotMode.POLLING.value,
                webhook_secret=self.deps.secrets.encrypt(new_webhook_secret(), secret_context(tenant)),
                created_at=now,
                updated_at=now,
                **{name: "" for name in (*TEXT_FIELDS, "bot_username", "welcome_image")},
                alert_chat_id=0,
                alert_topic_id=0,
            )
            await repo.insert_settings_if_absent(uow, first)
            row = await repo.get_settings(uow, tenant, for_update=True)
            assert row is not None
        return row

    async def get(self, actor: Actor) -> BotSettings:
        """The settings; the webhook secret only for a gateway key (the bot's own process)."""
        async with self.deps.read_uow() as uow:
            row = await repo.get_settings(uow, actor.tenant)
            admins = await repo.list_admins(uow, actor.tenant) if row is not None else []
        if row is None:
            async with self.deps.uow() as uow:
                row = await self.ensure_locked(uow, actor.tenant)
                admins = await repo.list_admins(uow, actor.tenant)
                await uow.commit()
        shown = ""
        if actor.role is Role.GATEWAY:
            shown = self.deps.secrets.decrypt(row.webhook_secret, secret_context(row.tenant_id))
        return _settings(row, admins, shown)

    async def update(self, actor: Actor, spec: BotSettingsSpec, mask: Sequence[str]) -> BotSettings:
        v = Violations()
        v.check_mask(mask, UPDATABLE)
        spec = _check(spec, mask, v)
        v.raise_if_any()
        tenant, now = actor.tenant, self.deps.clock.now()
        async with self.deps.uow() as uow:
            row = await self.ensure_locked(uow, tenant)
            before = record(row, await repo.list_admins(uow, tenant))
            for name in UPDATABLE:
                if name in mask and name not in ("admins", "mode"):
                    setattr(row, name, getattr(spec, name))
            if "mode" in mask and spec.mode is not None:
                row.mode = spec.mode.value
            self._check_together(row)
            if "admins" in mask:
                admins = [
                    BotAdminRow(
                        tenant_id=tenant,
                        telegram_id=a.telegram_id,
                        name=a.name,
                        permissions=[str(p) for p in a.permissions],
                        position=index,
                    )
                    for index, a in enumerate(spec.admins)
                ]
                await repo.replace_admins(uow, tenant, admins)
            row.updated_at = now
            stored = await repo.list_admins(uow, tenant)
            after = record(row, stored)
            target = ("bot_settings", str(tenant))
            audit.record(uow, actor, "", "bot_settings.updated", target, "", before, after, now)
            await settings_changed(uow, self.deps, tenant, changed_fields(before, after, UPDATABLE), now)
            await uow.commit()
        return _settings(row, stored, "")

    @staticmethod
    def _check_together(row: BotSettingsRow) -> None:
        """Rules across fields, on the settings as they would be after the update (a mask may
        change one side only)."""
        v = Violations()
        if row.welcome_image and len(row.welcome_text) > MAX_CAPTION:
            v.add(PREFIX + "welcome_text", f"must be at most {MAX_CAPTION} characters with a welcome_image (a caption)")
        if row.alert_topic_id and not row.alert_chat_id:
            v.add(PREFIX + "alert_topic_id", "needs an alert_chat_id (the forum the topic is in)")
        v.raise_if_any()
