"""Provider settings and provider payments. Tenant-owned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKeyConstraint, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow


class ProviderConfigRow(Base):
    """One tenant's settings of one provider. `secrets` is a JSON object of the write-only
    settings, encrypted as one value (store/secret_box.py) bound to the tenant and provider."""

    __tablename__ = "provider_configs"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    title: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    limits: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"asset", "min", "max"}]
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    secrets: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    base_url: Mapped[str] = mapped_column(String(500), default="")
    test_mode: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# the payments the reconciler checks (provider payments pending, refunds at the provider under way)
CHECKED = text("status IN ('pending', 'refunding')")


class PaymentRow(Base):
    """A provider payment. (tenant, provider, provider_ref) is unique for ever: the permanent key
    that makes a provider's payment credit once however often it is reported."""

    __tablename__ = "payments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        Index(None, "tenant_id", "provider", "provider_ref", unique=True),
        Index(None, "tenant_id", "user_id", "id"),
        Index(None, "tenant_id", "order_id"),
        Index(None, "status", "next_check_at"),
        # due work of one tenant (GetWorkerLag, repositories/worker_backlog.py; 0015)
        Index("ix_payments_checks_due", "tenant_id", "next_check_at", sqlite_where=CHECKED, postgresql_where=CHECKED),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    asset: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    received_asset: Mapped[str | None] = mapped_column(String(10), default=None)
    received_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    pay_url: Mapped[str] = mapped_column(String(1000), default="")
    provider_status: Mapped[str] = mapped_column(String(64), default="")
    failure_reason: Mapped[str] = mapped_column(String(500), default="")
    credit_transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    expires_at: Mapped[dt.datetime] = mapped_column()
    # the reconciliation worker's schedule: when to ask the provider next, and how often it asked
    next_check_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # the credit settled the payment's order (false: a top-up, or an order it could not pay)
    order_settled: Mapped[bool] = mapped_column(default=False)
    # a refund at the provider under way: until when one caller holds the provider call, so that
    # no second caller asks meanwhile (None when nobody is asking)
    refund_call_until: Mapped[dt.datetime | None] = mapped_column(default=None)
