"""event consumer cursors, users who blocked the bot

Revision ID: 0012_event_cursors
Revises: 0011_bot_settings
Create Date: 2026-11-28 01:00:00.000000

Issue 12 ("Contract first"): a durable cursor per tenant and consumer over the event outbox (the
(tx_order, id) of the last event a consumer handled: EventService.CommitEventCursor), and the
mark the gateway sets on a user who blocked the tenant's bot (`bot_blocked`, with its time).
Existing users have not blocked the bot: the column is added with a server default of false.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0012_event_cursors'
down_revision: str | None = '0011_bot_settings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_cursors',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('tx_order', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_event_cursors_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'consumer', name=op.f('pk_event_cursors'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bot_blocked', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column('bot_blocked_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('bot_blocked_at')
        batch_op.drop_column('bot_blocked')
    op.drop_table('event_cursors')
