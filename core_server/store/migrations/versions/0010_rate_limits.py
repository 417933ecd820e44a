"""rate limit buckets

Revision ID: 0010_rate_limits
Revises: 0009_outbound_webhooks
Create Date: 2026-11-28 00:00:00.000000

The shared token bucket of each API key's rate limit (issue 11, rate limits): replicas of the core
on PostgreSQL lease batches of tokens from it (store/repositories/rate_buckets.py). A platform
table like api_keys (a platform key has no tenant), so it is keyed by the key's id alone. The
embedded SQLite core has the table too (one schema) but keeps its buckets in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0010_rate_limits'
down_revision: str | None = '0009_outbound_webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_buckets',
    sa.Column('key_id', sa.Uuid(), nullable=False),
    sa.Column('tokens', sa.Double(), nullable=False),
    sa.Column('updated_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_rate_buckets_key_id_api_keys')),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_rate_buckets'))
    )


def downgrade() -> None:
    op.drop_table('rate_buckets')
