"""Assets, ledger accounts, transfers and holds. Tenant-owned: tenant_id leads every key.

User wallets can never be negative: the CHECK below is the last line of defence; the conditional
UPDATEs of the ledger repository are the first. System accounts (revenue, adjustments, ...) may be
negative and are split into BUCKETS rows each, so that concurrent postings of one tenant do not
queue on a single hot row; their balance is the sum of their buckets.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow

BUCKETS = 8


class AssetRow(Base):
    __tablename__ = "assets"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    scale: Mapped[int] = mapped_column(SmallInteger)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AccountRow(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "asset", "user_id"),
        UniqueConstraint("tenant_id", "asset", "system_name", "bucket"),
        Index(None, "tenant_id", "user_id"),  # a user's wallets of every asset (0008)
        ForeignKeyConstraint(["tenant_id", "asset"], ["assets.tenant_id", "assets.code"]),
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("(user_id IS NULL) <> (system_name IS NULL)", name="one_owner"),
        CheckConstraint("user_id IS NULL OR (held >= 0 AND balance >= held)", name="wallet_not_negative"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    system_name: Mapped[str | None] = mapped_column(String(64), default=None)
    bucket: Mapped[int] = mapped_column(SmallInteger, default=0)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TransferRow(Base):
    """Immutable: corrections are new transfers, never updates."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "debit_account_id"], ["ledger_accounts.tenant_id", "ledger_accounts.id"]),
        ForeignKeyConstraint(["tenant_id", "credit_account_id"], ["ledger_accounts.tenant_id", "ledger_accounts.id"]),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        Index(None, "tenant_id", "debit_account_id", "id"),
        Index(None, "tenant_id", "credit_account_id", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    debit_account_id: Mapped[uuid.UUID] = mapped_column()
    credit_account_id: Mapped[uuid.UUID] = mapped_column()
    debit_balance_after: Mapped[int | None] = mapped_column(BigInteger, default=None)
    credit_balance_after: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reference: Mapped[str] = mapped_column(String(200), default="")
    link_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


PENDING = text("status = 'pending'")


class HoldRow(Base):
    __tablename__ = "ledger_holds"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "account_id"], ["ledger_accounts.tenant_id", "ledger_accounts.id"]),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(None, "status", "expires_at"),
        Index(None, "tenant_id", "account_id", "status"),
        # due work of one tenant (GetWorkerLag, repositories/worker_backlog.py; 0015)
        Index(
            "ix_ledger_holds_pending_expiry", "tenant_id", "expires_at", sqlite_where=PENDING, postgresql_where=PENDING
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    asset: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reference: Mapped[str] = mapped_column(String(200), default="")
    captured_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    capture_transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    expires_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
