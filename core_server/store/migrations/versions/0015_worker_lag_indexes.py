"""indexes of the workers' due work per tenant

Revision ID: 0015_worker_lag_indexes
Revises: 0014_broadcasts
Create Date: 2026-11-28 06:00:00.000000

Issue 13 (GetWorkerLag): a tenant's due work per background worker, counted with the earliest due
time (store/repositories/worker_backlog.py). The workers' own indexes begin with the status, for
their sweep across tenants; one tenant's count over them would read every tenant's due rows. These
begin with tenant_id. Those of hot tables are partial (pending orders and holds, payments being
checked, deliveries due), so a purchase written paid or a settled delivery never touches them.
Fulfillment tasks already have (tenant_id, kind, status, next_attempt_at).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_worker_lag_indexes'
down_revision: str | None = '0014_broadcasts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
CHECKED = sa.text("status IN ('pending', 'refunding')")
DUE = sa.text("status IN ('pending', 'failed_retrying')")


def upgrade() -> None:
    op.create_index(
        'ix_orders_pending_expiry', 'orders', ['tenant_id', 'expires_at'],
        sqlite_where=PENDING, postgresql_where=PENDING,
    )  # fmt: skip
    op.create_index(
        'ix_ledger_holds_pending_expiry', 'ledger_holds', ['tenant_id', 'expires_at'],
        sqlite_where=PENDING, postgresql_where=PENDING,
    )  # fmt: skip
    op.create_index(
        op.f('ix_subscriptions_tenant_id_status_end_at'), 'subscriptions', ['tenant_id', 'status', 'end_at']
    )
    op.create_index(
        'ix_payments_checks_due', 'payments', ['tenant_id', 'next_check_at'],
        sqlite_where=CHECKED, postgresql_where=CHECKED,
    )  # fmt: skip
    op.create_index(
        'ix_webhook_deliveries_due', 'webhook_deliveries', ['tenant_id', 'next_attempt_at'],
        sqlite_where=DUE, postgresql_where=DUE,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.drop_index('ix_payments_checks_due', table_name='payments')
    op.drop_index(op.f('ix_subscriptions_tenant_id_status_end_at'), table_name='subscriptions')
    op.drop_index('ix_ledger_holds_pending_expiry', table_name='ledger_holds')
    op.drop_index('ix_orders_pending_expiry', table_name='orders')
