"""bot settings

Revision ID: 0011_bot_settings
Revises: 0010_rate_limits
Create Date: 2026-11-28 00:30:00.000000

Each tenant's bot settings (issue 12, "Contract first"): one settings row (the webhook secret
encrypted with the SecretBox), the bot's admins with their permissions (one row each: a staff call
a gateway makes on an admin's behalf reads that row by key) and the tenant's text overrides.
Keys begin with tenant_id.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0011_bot_settings'
down_revision: str | None = '0010_rate_limits'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bot_settings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('bot_username', sa.String(length=32), nullable=False),
    sa.Column('alert_chat_id', sa.BigInteger(), nullable=False),
    sa.Column('alert_topic_id', sa.BigInteger(), nullable=False),
    sa.Column('welcome_text', sa.Text(), nullable=False),
    sa.Column('welcome_image', sa.String(length=2048), nullable=False),
    sa.Column('support_text', sa.Text(), nullable=False),
    sa.Column('terms_text', sa.Text(), nullable=False),
    sa.Column('privacy_text', sa.Text(), nullable=False),
    sa.Column('paysupport_text', sa.Text(), nullable=False),
    sa.Column('default_locale', sa.String(length=8), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('webhook_secret', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bot_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_bot_settings'))
    )
    op.create_table('bot_admins',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['bot_settings.tenant_id'], name=op.f('fk_bot_admins_tenant_id_bot_settings')),
    sa.PrimaryKeyConstraint('tenant_id', 'telegram_id', name=op.f('pk_bot_admins'))
    )
    op.create_table('bot_text_overrides',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bot_text_overrides_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'locale', 'key', name=op.f('pk_bot_text_overrides'))
    )


def downgrade() -> None:
    op.drop_table('bot_text_overrides')
    op.drop_table('bot_admins')
    op.drop_table('bot_settings')
