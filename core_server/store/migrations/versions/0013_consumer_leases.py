"""event consumer leases

Revision ID: 0013_consumer_leases
Revises: 0012_event_cursors
Create Date: 2026-11-28 03:10:00.000000

One stream at a time per tenant and named event consumer (WatchEvents with `consumer`), across
core replicas: the holder's id and when its lease ends unless renewed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0013_consumer_leases'
down_revision: str | None = '0012_event_cursors'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_consumer_leases',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.Uuid(), nullable=False),
    sa.Column('expires_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_event_consumer_leases_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'consumer', name=op.f('pk_event_consumer_leases'))
    )


def downgrade() -> None:
    op.drop_table('event_consumer_leases')
