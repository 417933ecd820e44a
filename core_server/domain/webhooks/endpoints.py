"""Tenant admins' webhook endpoints: create (the secret shown once), list, get, update (switching
an endpoint off is `enabled=false`), rotate the secret with a grace period.

Secrets are SecretBox values bound to the tenant and the endpoint, decrypted only to sign a
delivery; reads never show them. Creating an endpoint also creates the tenant's fan-out cursor
(domain/webhooks/dispatcher.py), whose row lock serializes creations so the per-tenant limit holds
under concurrent calls.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.paging import id_page, page_request
from core_server.domain.reasons import WebhookEndpointLimit, WebhookEndpointNotFound
from core_server.domain.webhooks.rules import MAX_DESCRIPTION, check_event_types, check_url, new_secret
from core_server.store.ids import new_id
from core_server.store.models import WebhookEndpointRow
from core_server.store.repositories import webhooks as repo
from core_server.store.secret_box import SecretBox
from core_server.store.unit_of_work import UnitOfWork

MAX_ENDPOINTS = 16
DEFAULT_GRACE = dt.timedelta(hours=24)
MAX_GRACE_SECONDS = 7 * 24 * 3600
UPDATABLE = ("url", "event_types", "description", "enabled")


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    id: uuid.UUID
    url: str
    event_types: tuple[str, ...]
    description: str
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    previous_secret_expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointSpec:
    """What an admin gives (an update uses the fields its mask names)."""

    url: str = ""
    event_types: Sequence[str] = ()
    description: str = ""
    enabled: bool = True


def secret_context(tenant: uuid.UUID, endpoint: uuid.UUID) -> bytes:
    return f"tenant:{tenant}:webhook_endpoint:{endpoint}:secret".encode()


def signing_secrets(box: SecretBox, row: WebhookEndpointRow, now: dt.datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while its grace
    period runs."""
    context = secret_context(row.tenant_id, row.id)
    found = [box.decrypt(row.secret, context)]
    expires = row.previous_secret_expires_at
    if row.previous_secret is not None and expires is not None and now < expires:
        found.append(box.decrypt(row.previous_secret, context))
    return found


def to_endpoint(row: WebhookEndpointRow, now: dt.datetime) -> Endpoint:
    expires = row.previous_secret_expires_at
    return Endpoint(
        id=row.id,
        url=row.url,
        event_types=tuple(row.event_types or ()),
        description=row.description,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        previous_secret_expires_at=expires if row.previous_secret is not None and expires and expires > now else None,
    )


def endpoint_record(row: WebhookEndpointRow) -> dict[str, Any]:
    """The endpoint as audit entries show it (no secret)."""
    return {
        "url": row.url,
        "event_types": list(row.event_types or ()),
        "description": row.description,
        "enabled": row.enabled,
    }


class WebhookEndpointService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _check(self, spec: EndpointSpec, fields: Sequence[str], v: Violations) -> EndpointSpec:
        allow = self.deps.webhooks_allow_loopback_http
        url = check_url(spec.url, "url", v, allow_loopback_http=allow) if "url" in fields else ""
        types = check_event_types(spec.event_types, "event_types", v) if "event_types" in fields else []
        description = ""
        if "description" in fields:
            description = v.check_text("description", spec.description, max_length=MAX_DESCRIPTION)
        return EndpointSpec(url=url, event_types=types, description=description, enabled=spec.enabled)

    async def create(self, actor: Actor, spec: EndpointSpec) -> tuple[Endpoint, str]:
        v = Violations()
        spec = self._check(spec, ("url", "event_types", "description"), v)
        v.raise_if_any()
        tenant, now, secret, endpoint_id = actor.tenant, self.deps.clock.now(), new_secret(), new_id()
        async with self.deps.uow() as uow:
            await repo.ensure_cursor(uow, tenant)
            await repo.lock_cursor(uow, tenant)
            if await repo.count_endpoints(uow, tenant) >= MAX_ENDPOINTS:
                raise WebhookEndpointLimit(f"a tenant has at most {MAX_ENDPOINTS} webhook endpoints")
            row = WebhookEndpointRow(
                tenant_id=tenant,
                id=endpoint_id,
                url=spec.url,
                event_types=list(spec.event_types),
                description=spec.description,
                enabled=True,
                secret=self.deps.secrets.encrypt(secret, secret_context(tenant, endpoint_id)),
                after_event_id=await repo.max_event_id(uow, tenant),
                created_at=now,
                updated_at=now,
            )
            repo.add_endpoint(uow, row)
            target = ("webhook_endpoint", str(endpoint_id))
            audit.record(uow, actor, "", "webhook_endpoint.created", target, "", {}, endpoint_record(row), now)
            await uow.commit()
        return to_endpoint(row, now), secret

    async def _require(
        self, uow: UnitOfWork, tenant: uuid.UUID, endpoint_id: str, field: str, *, for_update: bool = False
    ) -> WebhookEndpointRow:
        v = Violations()
        parsed = v.id(field, endpoint_id)
        v.raise_if_any()
        assert parsed is not None
        row = await repo.get_endpoint(uow, tenant, parsed, for_update=for_update)
        if row is None:
            raise WebhookEndpointNotFound(endpoint_id)
        return row

    async def get(self, actor: Actor, endpoint_id: str) -> Endpoint:
        async with self.deps.read_uow() as uow:
            row = await self._require(uow, actor.tenant, endpoint_id, "webhook_endpoint_id")
        return to_endpoint(row, self.deps.clock.now())

    async def list_endpoints(self, actor: Actor, page_size: int, page_token: str) -> tuple[list[Endpoint], str]:
        page = page_request(page_size, page_token, {"list": "webhook_endpoints"})
        now = self.deps.clock.now()
        async with self.deps.read_uow() as uow:
            after = uuid.UUID(page.after) if page.after else None
            rows = await repo.list_endpoints(uow, actor.tenant, after=after, limit=page.size + 1)
        return id_page(page, rows, lambda row: to_endpoint(row, now))

    async def update(self, actor: Actor, endpoint_id: str, spec: EndpointSpec, mask: Sequence[str]) -> Endpoint:
        v = Violations()
        v.check_mask(mask, UPDATABLE)
        spec = self._check(spec, mask, v)
        v.raise_if_any()
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            row = await self._require(uow, actor.tenant, endpoint_id, "webhook_endpoint.id", for_update=True)
            before = endpoint_record(row)
            if "url" in mask:
                row.url = spec.url
            if "event_types" in mask:
                row.event_types = list(spec.event_types)
            if "description" in mask:
                row.description = spec.description
            if "enabled" in mask:
                row.enabled = spec.enabled
            row.updated_at = now
            action = (
                "webhook_endpoint.disabled" if before["enabled"] and not row.enabled else "webhook_endpoint.updated"
            )
            target = ("webhook_endpoint", str(row.id))
            audit.record(uow, actor, "", action, target, "", before, endpoint_record(row), now)
            await uow.commit()
        return to_endpoint(row, now)

    async def rotate_secret(self, actor: Actor, endpoint_id: str, grace_seconds: int) -> tuple[Endpoint, str]:
        v = Violations()
        if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
            v.add("grace_period_seconds", f"must be between 1 and {MAX_GRACE_SECONDS} (0: 24 hours)")
        v.raise_if_any()
        grace = dt.timedelta(seconds=grace_seconds) if grace_seconds else DEFAULT_GRACE
        now, secret = self.deps.clock.now(), new_secret()
        async with self.deps.uow() as uow:
            row = await self._require(uow, actor.tenant, endpoint_id, "webhook_endpoint_id", for_update=True)
            row.previous_secret = row.secret
            row.previous_secret_expires_at = now + grace
            row.secret = self.deps.secrets.encrypt(secret, secret_context(row.tenant_id, row.id))
            row.updated_at = now
            target = ("webhook_endpoint", str(row.id))
            after = {"previous_secret_expire_time": row.previous_secret_expires_at}
            audit.record(uow, actor, "", "webhook_endpoint.secret_rotated", target, "", {}, after, now)
            await uow.commit()
        return to_endpoint(row, now), secret
