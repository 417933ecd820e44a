"""Outbound webhooks: a tenant's endpoints, the dispatcher's cursor over its events, and one row per
delivery series of an event to an endpoint. Tenant-owned."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow


class WebhookEndpointRow(Base):
    """An endpoint. `secret` (and `previous_secret` while a rotation's grace period runs) are
    SecretBox values bound to the tenant and the endpoint; `after_event_id` is the tenant's largest
    event id when the endpoint was created: only later events are delivered to it."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    after_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookCursorRow(Base):
    """Where the dispatcher's fan-out of a tenant's events stands: the (tx_order, id) of the last
    event it read, in the outbox's delivery order (store/repositories/events.py). Created with the
    tenant's first endpoint; its row lock serializes the fan-out and the endpoint count."""

    __tablename__ = "webhook_cursors"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tx_order: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)


# the deliveries the dispatcher sends (domain/webhooks/rules.py, DUE_STATUSES)
DUE = text("status IN ('pending', 'failed_retrying')")


class WebhookDeliveryRow(Base):
    """One series of attempts to POST one event to one endpoint (a redelivery is series + 1).

    Due when its status is pending or failed_retrying, `next_attempt_at` has come and no lease runs
    (`leased_until` unset or past): a dispatcher leases it, counts the attempt, sends it outside
    the transaction, then records the outcome if its lease still holds."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        ForeignKeyConstraint(["tenant_id", "endpoint_id"], ["webhook_endpoints.tenant_id", "webhook_endpoints.id"]),
        ForeignKeyConstraint(["tenant_id", "event_id"], ["events.tenant_id", "events.id"]),
        UniqueConstraint("tenant_id", "endpoint_id", "event_id", "series"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "tenant_id", "endpoint_id", "id"),
        # due work of one tenant (GetWorkerLag, repositories/worker_backlog.py; 0015)
        Index("ix_webhook_deliveries_due", "tenant_id", "next_attempt_at", sqlite_where=DUE, postgresql_where=DUE),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column()
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    series: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    leased_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_response_code: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
