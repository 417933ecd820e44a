"""Bot settings of a tenant: one settings row, its admins (one row each, so the check of a staff
call made on an admin's behalf reads one row by key) and its text overrides. Tenant-owned."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, ForeignKeyConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core_server.store.models.base import Base, utcnow


class BotSettingsRow(Base):
    """A tenant's bot settings. `webhook_secret` is a SecretBox value bound to the tenant."""

    __tablename__ = "bot_settings"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    bot_username: Mapped[str] = mapped_column(String(32), default="")
    alert_chat_id: Mapped[int] = mapped_column(BigInteger, default=0)
    alert_topic_id: Mapped[int] = mapped_column(BigInteger, default=0)
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    welcome_image: Mapped[str] = mapped_column(String(2048), default="")
    support_text: Mapped[str] = mapped_column(Text, default="")
    terms_text: Mapped[str] = mapped_column(Text, default="")
    privacy_text: Mapped[str] = mapped_column(Text, default="")
    paysupport_text: Mapped[str] = mapped_column(Text, default="")
    default_locale: Mapped[str] = mapped_column(String(8), default="en")
    mode: Mapped[str] = mapped_column(String(16), default="polling")
    webhook_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BotAdminRow(Base):
    """One admin of a tenant's bot; `position` keeps the order the settings list them in."""

    __tablename__ = "bot_admins"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["bot_settings.tenant_id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), default="")
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TextOverrideRow(Base):
    """A tenant's wording of one bot message key in one locale."""

    __tablename__ = "bot_text_overrides"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
