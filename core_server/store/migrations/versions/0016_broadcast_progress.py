"""broadcast progress messages

Revision ID: 0016_broadcast_progress
Revises: 0015_worker_lag_indexes
Create Date: 2026-11-28 06:00:00.000000

Issue 13: the admins' progress messages of a broadcast live in the core (a bounded JSON list on the
broadcast row, so every read of a broadcast carries them without another query), and the claim of
its final report (a time set once by a conditional update), so that a gateway restart or another
replica goes on editing them and exactly one gateway sends the final report.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0016_broadcast_progress'
down_revision: str | None = '0015_worker_lag_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        # server default: the broadcasts that exist have no progress message yet
        batch_op.add_column(sa.Column('progress_messages', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(
            sa.Column(
                'report_claimed_at', core_server.store.models.base.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('report_claimed_at')
        batch_op.drop_column('progress_messages')
