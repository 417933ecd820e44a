"""Catalog queries: a tenant's packages by id and their prices (the ListPackages page is a screen
read: store/reads/). A price is (asset, amount); position 0 is the primary price, which the package
row holds too (packages.price_asset, price_amount), written together with the price rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from core_server.store.models import PackagePriceRow, PackageRow
from core_server.store.unit_of_work import UnitOfWork


async def add_package(uow: UnitOfWork, row: PackageRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_package(uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID) -> PackageRow | None:
    return await uow.session.get(PackageRow, (tenant, package))


async def package_prices(uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID) -> list[tuple[str, int]]:
    """The package's prices, the primary first."""
    statement = (
        select(PackagePriceRow.asset, PackagePriceRow.amount)
        .where(PackagePriceRow.tenant_id == tenant, PackagePriceRow.package_id == package)
        .order_by(PackagePriceRow.position)
    )
    return [(asset, amount) for asset, amount in await uow.session.execute(statement)]


async def replace_prices(
    uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID, prices: Sequence[tuple[str, int]]
) -> None:
    """Make `prices` (the primary first) the package's prices; the package row exists (flushed)."""
    await uow.session.execute(
        delete(PackagePriceRow).where(PackagePriceRow.tenant_id == tenant, PackagePriceRow.package_id == package)
    )
    rows = [
        {"tenant_id": tenant, "package_id": package, "asset": asset, "amount": amount, "position": position}
        for position, (asset, amount) in enumerate(prices)
    ]
    await uow.session.execute(insert(PackagePriceRow), rows)
