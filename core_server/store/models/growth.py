"""Subscriptions, referral commissions and payouts, promo codes and manual top-up requests."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, ForeignKeyConstraint, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "plan_code"),
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        Index(None, "status", "end_at"),
        # due work of one tenant (GetWorkerLag, repositories/worker_backlog.py; 0015)
        Index(None, "tenant_id", "status", "end_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    plan_code: Mapped[str] = mapped_column(String(50))
    package_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")
    start_at: Mapped[dt.datetime] = mapped_column()
    end_at: Mapped[dt.datetime] = mapped_column()
    last_order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    cancel_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The payment provider that renews the plan by charging the subscriber by itself (a Telegram
    # Stars subscription): the renewal worker leaves such a plan to it. None: the wallet renews it.
    renewed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    # Notice days already announced for the current end_at (reset when the end moves).
    notices_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CommissionRow(Base):
    """One referral commission of one order, at one level."""

    __tablename__ = "referral_commissions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index(None, "tenant_id", "referrer_id"),
        Index(None, "tenant_id", "order_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column()
    referrer_id: Mapped[uuid.UUID] = mapped_column()
    buyer_id: Mapped[uuid.UUID] = mapped_column()
    level: Mapped[int] = mapped_column(SmallInteger)
    asset: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    # The order amount (in the payout asset) the commission was computed from: tier sales count it.
    base_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    # Clawback the referrer's wallet could not cover (already spent or withdrawn).
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    available_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TierAwardRow(Base):
    """A tier a referrer reached (its one-off bonus is paid once)."""

    __tablename__ = "referral_tier_awards"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tier_name: Mapped[str] = mapped_column(String(50), primary_key=True)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PayoutRow(Base):
    __tablename__ = "payout_requests"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        Index(None, "tenant_id", "status", "id"),
        Index(None, "tenant_id", "user_id", "id"),  # a user's payout requests (0008)
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    asset: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    destination: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    hold_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payment_reference: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(300), default="")
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PromoRow(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    credit_asset: Mapped[str | None] = mapped_column(String(10), default=None)
    credit_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    percent_bps: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    total_limit: Mapped[int] = mapped_column(Integer, default=0)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    package_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PromoUseRow(Base):
    """One use of a promo code by a user: a redemption (credit) or an order's discount."""

    __tablename__ = "promo_uses"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "code"], ["promo_codes.tenant_id", "promo_codes.code"]),
        Index(None, "tenant_id", "code", "user_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID] = mapped_column()
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    released: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TopupRequestRow(Base):
    __tablename__ = "topup_requests"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        Index(None, "tenant_id", "status", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    method_code: Mapped[str] = mapped_column(String(32))
    asset: Mapped[str | None] = mapped_column(String(10), default=None)
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    package_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    receipt: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(300), default="")
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
