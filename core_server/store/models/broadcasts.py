"""Broadcasts of a tenant's bot and their recipients, frozen at start. Tenant-owned.

Two partial indexes carry the hot paths: one running-or-paused broadcast per tenant (the unique
index is what makes "one at a time" hold under concurrent starts), and the recipients not yet
reported, by recipient number (what a lease scans, so a half-done broadcast of 100 000 recipients
does not re-read the half already done)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, ForeignKeyConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow

# The statuses the partial indexes name (the domain's StrEnums own what they mean).
ACTIVE_WHERE = text("status IN ('running', 'paused')")
PENDING_WHERE = text("outcome = 'pending'")


class BroadcastRow(Base):
    """A broadcast: content, segment, status and counts (kept in step with its recipients)."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "status", "queued_at"),
        Index(
            "uq_broadcasts_one_active",
            "tenant_id",
            unique=True,
            sqlite_where=ACTIVE_WHERE,
            postgresql_where=ACTIVE_WHERE,
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")  # the message, or the photo's caption
    photo: Mapped[str] = mapped_column(String(2048), default="")
    parse_mode: Mapped[str] = mapped_column(String(8), default="plain")
    button_text: Mapped[str] = mapped_column(String(64), default="")
    button_url: Mapped[str] = mapped_column(String(2048), default="")
    segment: Mapped[str] = mapped_column(String(24))
    segment_language: Mapped[str] = mapped_column(String(8), default="")
    segment_days: Mapped[int] = mapped_column(Integer, default=0)
    audience: Mapped[int] = mapped_column(BigInteger, default=0)
    sent: Mapped[int] = mapped_column(BigInteger, default=0)
    blocked: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the admins' progress messages, oldest first, at most a handful (the domain bounds them):
    # [{"chat_id", "message_id", "locale", "attached_at" (ISO 8601)}]
    progress_messages: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    # when a gateway claimed the ended broadcast's final report (once: a conditional update)
    report_claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class BroadcastRecipientRow(Base):
    """One user of a started broadcast, numbered 1..audience; leased until `lease_until`, and
    reported once (`outcome` leaves 'pending' once, and the first report wins)."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "broadcast_id"], ["broadcasts.tenant_id", "broadcasts.id"]),
        Index(
            "ix_broadcast_recipients_pending",
            "tenant_id",
            "broadcast_id",
            "seq",
            sqlite_where=PENDING_WHERE,
            postgresql_where=PENDING_WHERE,
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    broadcast_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[uuid.UUID] = mapped_column()
    chat_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16), default="")
    outcome: Mapped[str] = mapped_column(String(8), default="pending")
    error: Mapped[str] = mapped_column(String(500), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    reported_at: Mapped[dt.datetime | None] = mapped_column(default=None)
