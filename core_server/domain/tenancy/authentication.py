"""Authentication and tenant resolution of one call: from metadata to an `Actor`.

Rules (ARCHITECTURE.md, Tenancy): the tenant comes from the key, or for gateway and platform keys
from `x-tenant-id`; a key bound to tenant A naming tenant B gets NOT_FOUND, exactly what it gets
for any object of B, so it cannot even learn that B exists.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from core_server.domain.actor import Actor, Role
from core_server.domain.auth_cache import KeyRecord, TenantRecord
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation
from core_server.domain.reasons import (
    ApiKeyInvalid,
    ApiKeyMalformed,
    ApiKeyMissing,
    ApiKeyRevoked,
    RoleNotAllowed,
    TenantNotFound,
    TenantSuspended,
)
from core_server.domain.tenancy.api_keys import hash_secret, parse_key
from core_server.store.repositories import tenants as tenant_repo


@dataclass(frozen=True, slots=True)
class AccessRule:
    """Who may call a method, and whether it acts inside a tenant."""

    roles: frozenset[Role]
    tenant_scoped: bool


class Authenticator:
    """Turns the `authorization` and `x-tenant-id` metadata of a call into an Actor."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def authenticate(self, authorization: str | None, tenant_header: str | None, rule: AccessRule) -> Actor:
        record = await self._key_record(authorization)
        role = Role(record.role)
        if role not in rule.roles:
            raise RoleNotAllowed(f"a {role.value} key may not make this call")
        tenant_id = self._resolve_tenant(role, record.tenant_id, tenant_header, rule)
        if tenant_id is not None:
            await self._check_tenant(tenant_id, role)
        return Actor(role=role, key_id=record.key_id, tenant_id=tenant_id)

    async def _key_record(self, authorization: str | None) -> KeyRecord:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if not token.strip() and scheme.lower() in ("", "bearer"):
            raise ApiKeyMissing("missing `authorization: Bearer <key>` metadata")
        parsed = parse_key(token.strip()) if scheme.lower() == "bearer" else None
        if parsed is None:
            raise ApiKeyMalformed("malformed API key")
        record = await self._lookup_key(parsed.key_id)
        # Compare even when the key is unknown, so timing does not tell unknown ids from bad secrets.
        expected = record.secret_hash if record else b"\0" * 32
        if not hmac.compare_digest(hash_secret(parsed.secret), expected) or record is None:
            raise ApiKeyInvalid("invalid API key")
        if record.revoked:
            raise ApiKeyRevoked("API key revoked")
        return record

    async def _lookup_key(self, key_id: uuid.UUID) -> KeyRecord | None:
        cache = self._deps.auth_cache
        hit, record = cache.get_key(key_id)
        if hit:
            return record
        async with self._deps.read_uow() as uow:
            row = await tenant_repo.get_api_key(uow, key_id)
            record = (
                KeyRecord(row.id, row.role, row.tenant_id, row.secret_hash, row.revoked_at is not None) if row else None
            )
        cache.put_key(key_id, record)
        return record

    def _resolve_tenant(
        self, role: Role, bound: uuid.UUID | None, header: str | None, rule: AccessRule
    ) -> uuid.UUID | None:
        named: uuid.UUID | None = None
        if header:
            try:
                named = uuid.UUID(header)
            except ValueError:
                raise InvalidArgument([Violation("x-tenant-id", "is not a valid tenant id")]) from None
        if bound is not None:
            if named is not None and named != bound:
                raise TenantNotFound(header or "")
            return bound
        if role in (Role.TENANT_ADMIN, Role.PARTNER):  # tenant keys always have a tenant
            raise ApiKeyInvalid("key has no tenant")
        if named is None and rule.tenant_scoped:
            raise InvalidArgument(
                [Violation("x-tenant-id", "metadata is required for this call with a platform or gateway key")]
            )
        return named

    async def _check_tenant(self, tenant_id: uuid.UUID, role: Role) -> None:
        cache = self._deps.auth_cache
        hit, record = cache.get_tenant(tenant_id)
        if not hit:
            async with self._deps.read_uow() as uow:
                row = await tenant_repo.get_tenant(uow, tenant_id)
                record = TenantRecord(row.id, row.status) if row else None
            cache.put_tenant(tenant_id, record)
        if record is None:
            raise TenantNotFound(str(tenant_id))
        if record.status != "active" and role is not Role.PLATFORM:
            raise TenantSuspended("tenant is suspended")
