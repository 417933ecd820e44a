"""Platform tables: tenants and API keys. They are not tenant-owned (a platform key has no tenant)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Double, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.ids import new_id
from core_server.store.models.base import Base, utcnow


class TenantRow(Base):
    """A tenant. The bot token is stored only as AES-GCM ciphertext."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    suspended_reason: Mapped[str] = mapped_column(String(500), default="")
    default_locale: Mapped[str] = mapped_column(String(8), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    bot_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiKeyRow(Base):
    """An API key: only a SHA-256 of its secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"), default=None)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class RateBucketRow(Base):
    """The shared token bucket of one API key's rate limit (domain/rate_limits.py): the
    tokens left at `updated_at`. Replicas of the core lease batches of tokens from it
    (store/repositories/rate_buckets.py); the embedded SQLite core keeps its buckets in memory and
    never writes here. Tokens are fractional (a refill accrues by the microsecond): a float is
    right here, this is no amount of money."""

    __tablename__ = "rate_buckets"

    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[dt.datetime]
