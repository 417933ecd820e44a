"""API keys: their string format, creation (secret shown once), listing and revocation.

A key reads `bh_<role>_<id>_<secret>`: the id finds the row, and only a SHA-256 of the secret is
stored, compared in constant time. The role in the string is informational; the row decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from core_server.domain.actor import Actor, Role
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.ids import require_id
from core_server.domain.paging import before_id, next_page_token, page_request
from core_server.domain.reasons import ApiKeyNotFound, TenantNotFound
from core_server.store.ids import new_id
from core_server.store.models import ApiKeyRow
from core_server.store.repositories import tenants as tenant_repo
from core_server.store.unit_of_work import UnitOfWork

KEY_PREFIX = "bh_"
SECRET_BYTES = 32
TENANT_ROLES = frozenset({Role.TENANT_ADMIN, Role.PARTNER})


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    role: Role
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ParsedKey:
    role: Role
    key_id: uuid.UUID
    secret: str


def format_key(role: Role, key_id: uuid.UUID, secret: str) -> str:
    return f"{KEY_PREFIX}{role.value}_{key_id.hex}_{secret}"


# (`bh_<role>_`, role) of every role, in Role's order: made once, since every call parses its key.
_ROLE_PREFIXES = tuple((f"{KEY_PREFIX}{role.value}_", role) for role in Role)


def parse_key(text: str) -> ParsedKey | None:
    """Split a key string into its parts; None when it is not a key of ours."""
    for prefix, role in _ROLE_PREFIXES:
        if text.startswith(prefix):
            key_hex, _, secret = text[len(prefix) :].partition("_")
            if len(key_hex) != 32 or not secret:
                return None
            try:
                return ParsedKey(role, uuid.UUID(hex=key_hex), secret)
            except ValueError:
                return None
    return None


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_secret() -> str:
    # token_hex keeps "_" out of the secret, so the key string splits unambiguously.
    return secrets.token_hex(SECRET_BYTES)


def to_api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(row.id, row.tenant_id, Role(row.role), row.name, row.created_at, row.revoked_at)


def _check_scope(role: Role, tenant_id: str, violations: Violations) -> None:
    if role in TENANT_ROLES and not tenant_id:
        violations.add("tenant_id", f"is required for {role.value} keys")
    if role is Role.PLATFORM and tenant_id:
        violations.add("tenant_id", "must be empty for platform keys")


class ApiKeyService:
    """Use cases of PlatformService on keys (platform role only; the interceptor checks it)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, actor: Actor, role: Role | None, tenant_id: str, name: str) -> tuple[ApiKey, str]:
        violations = Violations()
        if role is None:
            violations.add("role", "is required")
        else:
            _check_scope(role, tenant_id, violations)
        tenant = violations.id("tenant_id", tenant_id, required=False)
        name = violations.check_text("name", name, max_length=100)
        violations.raise_if_any()
        assert role is not None
        async with self._deps.uow() as uow:
            if tenant is not None and await tenant_repo.get_tenant(uow, tenant) is None:
                raise TenantNotFound(tenant_id)
            key, secret = await insert_key(uow, role, tenant, name)
            await uow.commit()
        return key, secret

    async def list_keys(
        self, actor: Actor, tenant_id: str, include_revoked: bool, page_size: int, page_token: str
    ) -> tuple[list[ApiKey], str]:
        violations = Violations()
        tenant = violations.id("tenant_id", tenant_id, required=False)
        filters = {"tenant": tenant_id, "revoked": include_revoked}
        page = page_request(page_size, page_token, filters, violations=violations)
        violations.raise_if_any()
        after = before_id(page)
        async with self._deps.read_uow() as uow:
            if tenant is not None and await tenant_repo.get_tenant(uow, tenant) is None:
                raise TenantNotFound(tenant_id)  # as creating a key for it is
            rows = await tenant_repo.list_api_keys(
                uow, tenant_id=tenant, include_revoked=include_revoked, after=after, limit=page.size + 1
            )
            keys = [to_api_key(row) for row in rows[: page.size]]
        token = next_page_token(page, keys[-1].id.hex if keys else None, len(rows) > page.size)
        return keys, token

    async def revoke(self, actor: Actor, key_id: str) -> ApiKey:
        parsed = require_id("api_key_id", key_id)
        async with self._deps.uow() as uow:
            row = await tenant_repo.get_api_key(uow, parsed)
            if row is None:
                raise ApiKeyNotFound(key_id)
            if row.revoked_at is None:
                row.revoked_at = self._deps.clock.now()
            key = to_api_key(row)
            await uow.commit()
        self._deps.auth_cache.forget_key(parsed)
        return key


async def insert_key(
    uow: UnitOfWork,
    role: Role,
    tenant_id: uuid.UUID | None,
    name: str,
    *,
    key_id: uuid.UUID | None = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Insert a key row and return it with its full key string (the only time it exists whole)."""
    key_id = key_id or new_id()
    secret = secret or new_secret()
    row = ApiKeyRow(id=key_id, tenant_id=tenant_id, role=role.value, name=name, secret_hash=hash_secret(secret))
    await tenant_repo.add_api_key(uow, row)
    return to_api_key(row), format_key(role, key_id, secret)
