"""package prices

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

A package priced in several assets (issue: prices). `package_prices` holds every price, the primary
at position 0; packages.price_asset and price_amount keep the primary price, so the queries that
read one price work unchanged. Every existing package gets its one price here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('package_prices',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('package_id', sa.Uuid(), nullable=False),
    sa.Column('asset', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'asset'], ['assets.tenant_id', 'assets.code'], name=op.f('fk_package_prices_tenant_id_asset_assets')),
    sa.ForeignKeyConstraint(['tenant_id', 'package_id'], ['packages.tenant_id', 'packages.id'], name=op.f('fk_package_prices_tenant_id_package_id_packages')),
    sa.PrimaryKeyConstraint('tenant_id', 'package_id', 'asset', name=op.f('pk_package_prices'))
    )
    op.execute(
        "INSERT INTO package_prices (tenant_id, package_id, asset, amount, position)"
        " SELECT tenant_id, id, price_asset, price_amount, 0 FROM packages"
    )


def downgrade() -> None:
    op.drop_table('package_prices')
