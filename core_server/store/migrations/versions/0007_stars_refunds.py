"""stars refunds and provider renewals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00.000000

Refunds of Telegram Stars payments to Telegram, and plans that Telegram renews (issue: Stars
follow-ups). payments.order_settled says the credit settled the payment's order (a refund to the
provider refunds that order first); existing payments get it from the order they paid, which was
settled in the credit's transaction (paid through the payment's provider at the payment's own
paid_at). payments.refund_call_until is the lease of the one caller asking the provider for a
refund. subscriptions.renewed_by names the provider that renews a plan by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_server.store.models.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_settled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column('refund_call_until', core_server.store.models.base.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renewed_by', sa.String(length=32), nullable=True))
    op.execute(
        sa.text(
            "UPDATE payments SET order_settled = :settled"
            " WHERE status = 'succeeded' AND order_id IS NOT NULL AND EXISTS ("
            " SELECT 1 FROM orders WHERE orders.tenant_id = payments.tenant_id AND orders.id = payments.order_id"
            " AND orders.paid_via = 'provider:' || payments.provider AND orders.paid_at = payments.paid_at)"
        ).bindparams(settled=True)
    )


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('renewed_by')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('refund_call_until')
        batch_op.drop_column('order_settled')
