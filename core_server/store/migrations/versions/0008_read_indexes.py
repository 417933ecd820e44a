"""indexes of the screen reads by user

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:00:00.000000

Reads by (tenant, user) that had no index starting with those columns, so each read every row of
the tenant (issue: reads at transport speed): a user's wallets of every asset
(ledger_repo.wallets_of, available_by_asset, GetReferralStats' available balance) and a user's
payout requests (GetReferralStats' payouts, ListPayoutRequests of one user). Balance updates
change neither column, so the new ledger_accounts index costs a write only when a wallet is
created.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_accounts_tenant_id_user_id'), ['tenant_id', 'user_id'], unique=False)
    with op.batch_alter_table('payout_requests', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_payout_requests_tenant_id_user_id_id'), ['tenant_id', 'user_id', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('payout_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_requests_tenant_id_user_id_id'))
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_tenant_id_user_id'))
