"""broadcasts

Revision ID: 0014_broadcasts
Revises: 0013_consumer_leases
Create Date: 2026-11-28 03:00:00.000000

Issue 13 (BroadcastService): a tenant's broadcasts and their recipients, frozen at start by one
INSERT ... SELECT. A partial unique index keeps one running-or-paused broadcast per tenant; a
partial index of the recipients not yet reported is what leases scan. Keys begin with tenant_id.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0014_broadcasts'
down_revision: str | None = '0013_consumer_leases'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_WHERE = sa.text("status IN ('running', 'paused')")
PENDING_WHERE = sa.text("outcome = 'pending'")
Time = core_server.store.models.base.UtcDateTime


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('photo', sa.String(length=2048), nullable=False),
    sa.Column('parse_mode', sa.String(length=8), nullable=False),
    sa.Column('button_text', sa.String(length=64), nullable=False),
    sa.Column('button_url', sa.String(length=2048), nullable=False),
    sa.Column('segment', sa.String(length=24), nullable=False),
    sa.Column('segment_language', sa.String(length=8), nullable=False),
    sa.Column('segment_days', sa.Integer(), nullable=False),
    sa.Column('audience', sa.BigInteger(), nullable=False),
    sa.Column('sent', sa.BigInteger(), nullable=False),
    sa.Column('blocked', sa.BigInteger(), nullable=False),
    sa.Column('failed', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', Time(timezone=True), nullable=False),
    sa.Column('queued_at', Time(timezone=True), nullable=True),
    sa.Column('started_at', Time(timezone=True), nullable=True),
    sa.Column('ended_at', Time(timezone=True), nullable=True),
    sa.Column('updated_at', Time(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_broadcasts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_broadcasts'))
    )
    op.create_index(
        op.f('ix_broadcasts_tenant_id_status_queued_at'), 'broadcasts', ['tenant_id', 'status', 'queued_at']
    )
    op.create_index(
        'uq_broadcasts_one_active', 'broadcasts', ['tenant_id'], unique=True,
        sqlite_where=ACTIVE_WHERE, postgresql_where=ACTIVE_WHERE,
    )
    op.create_table('broadcast_recipients',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('broadcast_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('lease_until', Time(timezone=True), nullable=True),
    sa.Column('reported_at', Time(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
        ['tenant_id', 'broadcast_id'], ['broadcasts.tenant_id', 'broadcasts.id'],
        name=op.f('fk_broadcast_recipients_tenant_id_broadcast_id_broadcasts'),
    ),
    sa.PrimaryKeyConstraint('tenant_id', 'broadcast_id', 'seq', name=op.f('pk_broadcast_recipients'))
    )
    op.create_index(
        'ix_broadcast_recipients_pending', 'broadcast_recipients', ['tenant_id', 'broadcast_id', 'seq'],
        sqlite_where=PENDING_WHERE, postgresql_where=PENDING_WHERE,
    )


def downgrade() -> None:
    op.drop_index('ix_broadcast_recipients_pending', table_name='broadcast_recipients')
    op.drop_table('broadcast_recipients')
    op.drop_index('uq_broadcasts_one_active', table_name='broadcasts')
    op.drop_index(op.f('ix_broadcasts_tenant_id_status_queued_at'), table_name='broadcasts')
    op.drop_table('broadcasts')
