"""Tenants: creation, reading, settings, suspension, and the bot list for gateways."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core_server.domain.actor import Actor, Role
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.ids import require_id
from core_server.domain.money.assets import add_default_assets
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import TenantNotFound
from core_server.store.ids import new_id
from core_server.store.models import TenantRow
from core_server.store.repositories import broadcasts as broadcast_repo
from core_server.store.repositories import tenants as tenant_repo
from core_server.store.secret_box import SecretBox
from core_server.store.unit_of_work import UnitOfWork

LOCALES = ("ru", "en", "uk")
STATUSES = ("active", "suspended")
UPDATABLE = frozenset({"name", "default_locale", "time_zone", "bot_token"})
MAX_BOT_TOKEN = 128


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    id: uuid.UUID
    name: str
    status: str
    suspended_reason: str
    default_locale: str
    time_zone: str
    has_bot_token: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BotTenant:
    tenant_id: uuid.UUID
    bot_token: str
    default_locale: str
    time_zone: str
    broadcast_running: bool = False


@dataclass(frozen=True, slots=True)
class TenantChanges:
    """Fields a create or update sets; an update applies only those named in its mask."""

    name: str = ""
    default_locale: str = ""
    time_zone: str = ""
    bot_token: str = ""


def to_tenant(row: TenantRow) -> Tenant:
    return Tenant(
        id=row.id,
        name=row.name,
        status=row.status,
        suspended_reason=row.suspended_reason,
        default_locale=row.default_locale,
        time_zone=row.time_zone,
        has_bot_token=row.bot_token_encrypted is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _bot_token_context(tenant_id: uuid.UUID) -> bytes:
    return f"tenant:{tenant_id}:bot_token".encode()


async def bot_token(deps: Deps, uow: UnitOfWork, tenant_id: uuid.UUID) -> str:
    """The tenant's bot token decrypted, "" when none is set: for the core's own calls as the
    tenant's bot (Telegram Stars invoices); it never leaves the core but to the gateways' key."""
    row = await tenant_repo.get_tenant(uow, tenant_id)
    if row is None or row.bot_token_encrypted is None:
        return ""
    return deps.secrets.decrypt(row.bot_token_encrypted, _bot_token_context(tenant_id))


def _validate(changes: TenantChanges, fields: Sequence[str], violations: Violations) -> None:
    if "name" in fields:
        violations.check_text("name", changes.name, max_length=200, required=True)
    if "default_locale" in fields and changes.default_locale not in LOCALES:
        violations.add("default_locale", f"must be one of {', '.join(LOCALES)}")
    if "time_zone" in fields:
        violations.check_text("time_zone", changes.time_zone, max_length=64, required=True)
        if not violations.has("time_zone") and not _known_zone(changes.time_zone):
            violations.add("time_zone", "is not a known IANA time zone")
    if "bot_token" in fields and changes.bot_token:  # empty removes the token
        violations.check_text("bot_token", changes.bot_token, max_length=MAX_BOT_TOKEN)
        if not violations.has("bot_token") and ":" not in changes.bot_token:
            violations.add("bot_token", "is not a Telegram bot token (<id>:<secret>)")


def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _apply(row: TenantRow, changes: TenantChanges, fields: Sequence[str], box: SecretBox) -> None:
    if "name" in fields:
        row.name = changes.name.strip()
    if "default_locale" in fields:
        row.default_locale = changes.default_locale
    if "time_zone" in fields:
        row.time_zone = changes.time_zone
    if "bot_token" in fields:
        token = changes.bot_token.strip()
        row.bot_token_encrypted = box.encrypt(token, _bot_token_context(row.id)) if token else None


class TenantService:
    """Use cases of PlatformService on tenants, and GatewayService.ListBotTenants."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, actor: Actor, changes: TenantChanges) -> Tenant:
        changes = TenantChanges(
            name=changes.name,
            default_locale=changes.default_locale or "en",
            time_zone=changes.time_zone or "UTC",
            bot_token=changes.bot_token,
        )
        fields = ("name", "default_locale", "time_zone", "bot_token")
        violations = Violations()
        _validate(changes, fields, violations)
        violations.raise_if_any()
        async with self._deps.uow() as uow:
            # The id is chosen before the insert: the bot token's ciphertext is bound to it.
            row = TenantRow(id=new_id(), status="active", created_at=self._deps.clock.now())
            _apply(row, changes, fields, self._deps.secrets)
            await tenant_repo.add_tenant(uow, row)
            add_default_assets(uow, row.id, row.created_at)
            tenant = to_tenant(row)
            await uow.commit()
        return tenant

    async def get(self, actor: Actor, tenant_id: str) -> Tenant:
        parsed = require_id("tenant_id", tenant_id)
        if actor.role is not Role.PLATFORM and parsed != actor.tenant_id:
            raise TenantNotFound(tenant_id)
        async with self._deps.read_uow() as uow:
            row = await tenant_repo.get_tenant(uow, parsed)
            if row is None:
                raise TenantNotFound(tenant_id)
            return to_tenant(row)

    async def list_tenants(
        self, actor: Actor, page_size: int, page_token: str, status: str | None, violations: Violations | None = None
    ) -> tuple[list[Tenant], str]:
        """`violations`: those found converting the request, reported with the page's own."""
        page = page_request(page_size, page_token, {"status": status}, violations=violations)
        if violations is not None:
            violations.raise_if_any()
        after = before_id(page)
        async with self._deps.read_uow() as uow:
            rows = await tenant_repo.list_tenants(uow, after=after, limit=page.size + 1, status=status)
            tenants, token = id_page(page, rows, to_tenant)
        return tenants, token

    async def update(self, actor: Actor, tenant_id: str, changes: TenantChanges, mask: Sequence[str]) -> Tenant:
        violations = Violations()
        parsed = violations.id("tenant_id", tenant_id)
        violations.check_mask(mask, UPDATABLE)
        _validate(changes, mask, violations)
        violations.raise_if_any()
        assert parsed is not None
        return await self._change(parsed, lambda row: _apply(row, changes, mask, self._deps.secrets))

    async def suspend(self, actor: Actor, tenant_id: str, reason: str) -> Tenant:
        violations = Violations()
        parsed = violations.id("tenant_id", tenant_id)
        reason = violations.check_text("reason", reason, max_length=500, required=True, multiline=True)
        violations.raise_if_any()
        assert parsed is not None

        def suspend(row: TenantRow) -> None:
            row.status, row.suspended_reason = "suspended", reason

        return await self._change(parsed, suspend)

    async def resume(self, actor: Actor, tenant_id: str) -> Tenant:
        parsed = require_id("tenant_id", tenant_id)

        def resume(row: TenantRow) -> None:
            row.status, row.suspended_reason = "active", ""

        return await self._change(parsed, resume)

    async def _change(self, tenant_id: uuid.UUID, change: Callable[[TenantRow], None]) -> Tenant:
        async with self._deps.uow() as uow:
            row = await tenant_repo.get_tenant(uow, tenant_id, for_update=True)
            if row is None:
                raise TenantNotFound(str(tenant_id))
            change(row)
            row.updated_at = self._deps.clock.now()
            await uow.session.flush()
            tenant = to_tenant(row)
            await uow.commit()
        self._deps.auth_cache.forget_tenant(tenant_id)
        return tenant

    async def bot_tenants(self, actor: Actor) -> list[BotTenant]:
        """The bots the calling gateway key serves: its own tenant's, or every tenant's."""
        async with self._deps.read_uow() as uow:
            rows = await tenant_repo.list_bot_tenants(uow, actor.tenant_id)
            encrypted = [(row.id, row.bot_token_encrypted, row.default_locale, row.time_zone) for row in rows]
            broadcasting = await broadcast_repo.tenants_running_broadcasts(uow, [row[0] for row in encrypted])
        box = self._deps.secrets
        return [
            BotTenant(
                tenant_id=tenant_id,
                bot_token=box.decrypt(blob, _bot_token_context(tenant_id)),
                default_locale=locale,
                time_zone=zone,
                broadcast_running=tenant_id in broadcasting,
            )
            for tenant_id, blob, locale, zone in encrypted
            if blob is not None
        ]
