"""Events (the transactional outbox), idempotency records and the audit log."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow


class EventRow(Base):
    """An event, written in the transaction of the change it describes.

    `id` comes from one sequence (max + 1 on SQLite, where writers are serialized). `tx_order` is
    the writing transaction's id on PostgreSQL (0 on SQLite): events are delivered in
    (tx_order, id) order and only once every transaction with a smaller id has ended, so a reader
    never passes an event that commits later.
    """

    __tablename__ = "events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "tx_order", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tx_order: Mapped[int] = mapped_column(BigInteger, default=0)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EventCursorRow(Base):
    """Where a named consumer of a tenant's events stands (EventService.CommitEventCursor): the
    (tx_order, id) of the last event it handled, the outbox's delivery order, so resuming reads
    exactly the events after it, one that committed late included (`event_id` alone could not
    say where such an event sits)."""

    __tablename__ = "event_cursors"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    tx_order: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EventConsumerLeaseRow(Base):
    """Which stream reads a named consumer's events now (WatchEvents with `consumer`): one at a
    time per tenant and consumer across every core replica, so two gateway replicas running the
    same notifier do not both send each notice. The holder renews the lease while its stream
    lives; another stream takes it when it is released or has expired."""

    __tablename__ = "event_consumer_leases"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[uuid.UUID]
    expires_at: Mapped[dt.datetime]


class IdempotencyRow(Base):
    """(tenant, method, request_id) -> the request's hash and the first response.

    Platform-level calls (no tenant) use the nil UUID, so this table has no foreign key to tenants.
    A response is stored verbatim, or, for the hot ledger path, by reference to the immutable
    transfer the call posted (`transfer_id`), from which it is rebuilt identically.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (Index(None, "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    response: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditRow(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "target_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[str] = mapped_column(Text, default="{}")
    after: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
