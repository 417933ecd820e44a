"""End users of a tenant. Tenant-owned: tenant_id leads the key and every constraint."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.ids import new_id
from core_server.store.models.base import Base, utcnow


class UserRow(Base):
    """A user of a tenant, unique by (platform, external_id) and by referral code."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "platform", "external_id"),
        UniqueConstraint("tenant_id", "referral_code"),
        ForeignKeyConstraint(["tenant_id", "referrer_id"], ["users.tenant_id", "users.id"]),
        Index(None, "tenant_id", "referrer_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64), default="")
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    language_code: Mapped[str] = mapped_column(String(16), default="")
    # Lower-cased in Python (Unicode-aware, unlike SQLite's lower()) for case-insensitive search.
    search_text: Mapped[str] = mapped_column(String(400), default="")
    referral_code: Mapped[str] = mapped_column(String(16))
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    blocked: Mapped[bool] = mapped_column(default=False)  # by the tenant's admin: no purchases
    # The user blocked the tenant's bot (set by the gateway): broadcasts skip them; no restriction.
    bot_blocked: Mapped[bool] = mapped_column(default=False)
    bot_blocked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
