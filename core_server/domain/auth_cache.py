"""A short-lived in-process cache of key and tenant lookups for authentication.

Every call authenticates; without a cache that is one or two extra queries per call on the hot
path. Entries live `ttl` seconds (5 by default). This process forgets a key or tenant the moment
it revokes or suspends it; other replicas notice within the TTL. Balances are never cached.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authentication needs of an API key row."""

    key_id: uuid.UUID
    role: str
    tenant_id: uuid.UUID | None
    secret_hash: bytes
    revoked: bool


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """What authentication needs of a tenant row."""

    tenant_id: uuid.UUID
    status: str


MAX_ENTRIES = 10_000


class AuthCache:
    """Maps key ids and tenant ids to their records until the entries expire.

    Misses are cached too (a flood of unknown keys costs one query per key id per TTL); the maps
    are cleared when they pass MAX_ENTRIES so a flood of made-up ids cannot grow them forever.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._keys: dict[uuid.UUID, tuple[float, KeyRecord | None]] = {}
        self._tenants: dict[uuid.UUID, tuple[float, TenantRecord | None]] = {}

    def get_key(self, key_id: uuid.UUID) -> tuple[bool, KeyRecord | None]:
        """(hit, record); a hit with None means "known not to exist"."""
        entry = self._keys.get(key_id)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put_key(self, key_id: uuid.UUID, record: KeyRecord | None) -> None:
        if self.ttl > 0:
            if len(self._keys) >= MAX_ENTRIES:
                self._keys.clear()
            self._keys[key_id] = (time.monotonic() + self.ttl, record)

    def get_tenant(self, tenant_id: uuid.UUID) -> tuple[bool, TenantRecord | None]:
        entry = self._tenants.get(tenant_id)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put_tenant(self, tenant_id: uuid.UUID, record: TenantRecord | None) -> None:
        if self.ttl > 0:
            if len(self._tenants) >= MAX_ENTRIES:
                self._tenants.clear()
            self._tenants[tenant_id] = (time.monotonic() + self.ttl, record)

    def forget_key(self, key_id: uuid.UUID) -> None:
        self._keys.pop(key_id, None)

    def forget_tenant(self, tenant_id: uuid.UUID) -> None:
        self._tenants.pop(tenant_id, None)
