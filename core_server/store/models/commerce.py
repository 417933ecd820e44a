"""Catalog, orders, fulfillment tasks and per-tenant commerce settings. Tenant-owned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKeyConstraint, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow


class PackageRow(Base):
    __tablename__ = "packages"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        ForeignKeyConstraint(["tenant_id", "price_asset"], ["assets.tenant_id", "assets.code"]),
        Index(None, "tenant_id", "category", "sort_order"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    category: Mapped[str] = mapped_column(String(50), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    archived: Mapped[bool] = mapped_column(default=False)
    price_asset: Mapped[str] = mapped_column(String(10))
    price_amount: Mapped[int] = mapped_column(BigInteger)
    per_unit: Mapped[bool] = mapped_column(default=False)
    min_quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    max_quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    delivers_asset: Mapped[str | None] = mapped_column(String(10), default=None)
    delivers_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    plan_code: Mapped[str] = mapped_column(String(50), default="")
    period_days: Mapped[int] = mapped_column(Integer, default=0)
    stars_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    premium_months: Mapped[int] = mapped_column(SmallInteger, default=0)
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    posts_per_day: Mapped[int] = mapped_column(Integer, default=0)
    active_days: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PackagePriceRow(Base):
    """One price of a package in one asset. `position` 0 is the primary price, which the package
    row also holds (packages.price_asset, price_amount) so that queries of one price keep working."""

    __tablename__ = "package_prices"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "package_id"], ["packages.tenant_id", "packages.id"]),
        ForeignKeyConstraint(["tenant_id", "asset"], ["assets.tenant_id", "assets.code"]),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    package_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset: Mapped[str] = mapped_column(String(10), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(SmallInteger)


PENDING = text("status = 'pending'")


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        ForeignKeyConstraint(["tenant_id", "package_id"], ["packages.tenant_id", "packages.id"]),
        Index(None, "tenant_id", "user_id", "id"),
        Index(None, "status", "expires_at"),
        # due work of one tenant (GetWorkerLag, repositories/worker_backlog.py; 0015)
        Index("ix_orders_pending_expiry", "tenant_id", "expires_at", sqlite_where=PENDING, postgresql_where=PENDING),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    package_id: Mapped[uuid.UUID] = mapped_column()
    package_kind: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    recipient: Mapped[str] = mapped_column(String(64), default="")
    asset: Mapped[str] = mapped_column(String(10))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    promo_code: Mapped[str | None] = mapped_column(String(32), default=None)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    paid_via: Mapped[str] = mapped_column(String(64), default="")
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    failure_reason: Mapped[str] = mapped_column(String(1000), default="")
    # What the payment delivered, for refunds to reverse: {"credited": {...}, "subscription_id": ...}
    delivery: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[dt.datetime] = mapped_column()
    active_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    fulfilled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class TaskRow(Base):
    __tablename__ = "fulfillment_tasks"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index(None, "tenant_id", "kind", "status", "next_attempt_at"),
        Index(None, "tenant_id", "order_id", "input_day"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    refund_on_failure: Mapped[bool] = mapped_column(default=True)
    # A provider delivery of this attempt in flight (domain/fulfillment/handoff.py): "none", or
    # "sending" / "checking" / "unknown" while the order may have reached the provider, when the
    # task is held (leased without an end) and never sent again; `provider_ref` is the provider's
    # order id once known, `checks` how many times its status was asked (next_attempt_at: when next).
    handoff: Mapped[str] = mapped_column(String(16), default="none")
    provider_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    # The tenant-local day a service input was submitted on ("YYYY-MM-DD"), for the daily quota.
    input_day: Mapped[str | None] = mapped_column(String(10), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TenantSettingsRow(Base):
    """Per-tenant commerce settings; a tenant without a row has the defaults."""

    __tablename__ = "tenant_settings"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_ttl_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    expiring_notice_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [3, 1])
    referral_program: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    topup_methods: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
