"""Report queries: each one statement grouped by tenant, so that one tenant's figures and every
tenant's figures cost the same fixed number of queries (`tenant=None` means every tenant).

Periods are half-open, [start, end). Amounts are summed in the database, exactly whatever their
size (store/sums.py), and saturate at the ends of int64 (a report's fields are int64); nothing here
loads rows one by one except the package titles of the best sellers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Select, and_, case, cast, distinct, extract, func, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from core_server.store.models import (
    AccountRow,
    CommissionRow,
    OrderRow,
    PackageRow,
    PayoutRow,
    TenantRow,
    TransferRow,
    UserRow,
)
from core_server.store.sums import combine, sum_parts, to_int64
from core_server.store.unit_of_work import UnitOfWork

REVENUE = "revenue"

# (tenant, asset, amount) rows; (tenant, key, count) rows.
AssetSums = list[tuple[uuid.UUID, str, int]]


def _scoped(column: InstrumentedAttribute[uuid.UUID], tenant: uuid.UUID | None) -> list[Any]:
    return [column == tenant] if tenant is not None else []


def _within(column: Any, start: dt.datetime, end: dt.datetime) -> Any:
    return and_(column >= start, column < end)


async def tenant_zones(uow: UnitOfWork, tenant: uuid.UUID | None) -> list[tuple[uuid.UUID, str]]:
    """(tenant id, time zone) of the tenant, or of every tenant oldest first."""
    statement = select(TenantRow.id, TenantRow.time_zone).where(*_scoped(TenantRow.id, tenant))
    rows = await uow.session.execute(statement.order_by(TenantRow.created_at, TenantRow.id))
    return [(row[0], row[1]) for row in rows]


async def user_counts(
    uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime
) -> dict[uuid.UUID, tuple[int, int]]:
    """tenant -> (every user, users registered in the period)."""
    new = func.coalesce(func.sum(case((_within(UserRow.created_at, start, end), 1), else_=0)), 0)
    statement = (
        select(UserRow.tenant_id, func.count(), new)
        .where(*_scoped(UserRow.tenant_id, tenant))
        .group_by(UserRow.tenant_id)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in await uow.session.execute(statement)}


async def active_users(
    uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime
) -> dict[uuid.UUID, int]:
    """tenant -> distinct users whose wallet was debited or credited in the period."""
    period = [*_scoped(TransferRow.tenant_id, tenant), _within(TransferRow.created_at, start, end)]
    sides = union_all(
        select(TransferRow.tenant_id, TransferRow.debit_account_id.label("account_id")).where(*period),
        select(TransferRow.tenant_id, TransferRow.credit_account_id.label("account_id")).where(*period),
    ).subquery()
    statement = (
        select(sides.c.tenant_id, func.count(distinct(AccountRow.user_id)))
        .join(AccountRow, and_(AccountRow.tenant_id == sides.c.tenant_id, AccountRow.id == sides.c.account_id))
        .where(AccountRow.user_id.is_not(None))
        .group_by(sides.c.tenant_id)
    )
    return {row[0]: int(row[1]) for row in await uow.session.execute(statement)}


def _revenue_flows(conditions: Sequence[Any]) -> Any:
    """Signed movements of the revenue account (every bucket): + credited, - debited (refunds)."""

    def side(account: InstrumentedAttribute[uuid.UUID], delta: Any) -> Select[Any]:
        return (
            select(TransferRow.tenant_id, TransferRow.asset, TransferRow.created_at, delta.label("delta"))
            .join(AccountRow, and_(AccountRow.tenant_id == TransferRow.tenant_id, AccountRow.id == account))
            .where(AccountRow.system_name == REVENUE, *conditions)
        )

    return union_all(
        side(TransferRow.credit_account_id, TransferRow.amount), side(TransferRow.debit_account_id, -TransferRow.amount)
    ).subquery()


async def revenue(uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime) -> AssetSums:
    """(tenant, asset, net revenue) of the period."""
    flows = _revenue_flows([*_scoped(TransferRow.tenant_id, tenant), _within(TransferRow.created_at, start, end)])
    statement = select(flows.c.tenant_id, flows.c.asset, *sum_parts(uow.dialect, flows.c.delta)).group_by(
        flows.c.tenant_id, flows.c.asset
    )
    return [(row[0], row[1], to_int64(combine(row[2:]))) for row in await uow.session.execute(statement)]


def _epoch_slot(uow: UnitOfWork, column: Any, seconds: int) -> Any:
    """The index of the `seconds`-long slot of Unix time a timestamp falls in (floor)."""
    if uow.dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC; %s drops the fraction
        return cast(func.strftime("%s", column), BigInteger) // seconds
    return cast(func.floor(extract("epoch", column) / seconds), BigInteger)


async def revenue_slots(
    uow: UnitOfWork, tenant: uuid.UUID, asset: str, start: dt.datetime, end: dt.datetime, seconds: int
) -> list[tuple[int, int]]:
    """(slot index, net revenue) of one asset over slots of `seconds` of Unix time, so that the
    caller can place each slot in a local day without loading every transfer."""
    flows = _revenue_flows(
        [TransferRow.tenant_id == tenant, TransferRow.asset == asset, _within(TransferRow.created_at, start, end)]
    )
    slot = _epoch_slot(uow, flows.c.created_at, seconds).label("slot")
    statement = select(slot, *sum_parts(uow.dialect, flows.c.delta)).group_by(slot)
    return [(int(row[0]), combine(row[1:])) for row in await uow.session.execute(statement)]


async def orders_by_status(
    uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime
) -> list[tuple[uuid.UUID, str, int]]:
    """(tenant, status, orders created in the period)."""
    statement = (
        select(OrderRow.tenant_id, OrderRow.status, func.count())
        .where(*_scoped(OrderRow.tenant_id, tenant), _within(OrderRow.created_at, start, end))
        .group_by(OrderRow.tenant_id, OrderRow.status)
    )
    return [(row[0], row[1], int(row[2])) for row in await uow.session.execute(statement)]


async def package_sales(
    uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime
) -> list[tuple[uuid.UUID, uuid.UUID, str, int, int]]:
    """(tenant, package, asset, orders paid in the period, what they kept after refunds)."""
    statement = (
        select(
            OrderRow.tenant_id,
            OrderRow.package_id,
            OrderRow.asset,
            func.count(),
            *sum_parts(uow.dialect, OrderRow.total - OrderRow.refunded),
        )
        .where(*_scoped(OrderRow.tenant_id, tenant), _within(OrderRow.paid_at, start, end))
        .group_by(OrderRow.tenant_id, OrderRow.package_id, OrderRow.asset)
    )
    rows = await uow.session.execute(statement)
    return [(row[0], row[1], row[2], int(row[3]), to_int64(combine(row[4:]))) for row in rows]


async def package_titles(
    uow: UnitOfWork, packages: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]]:
    """(tenant, package) -> its titles by language, for the given packages only."""
    if not packages:
        return {}
    tenants = {tenant for tenant, _ in packages}
    ids = {package for _, package in packages}
    statement = select(PackageRow.tenant_id, PackageRow.id, PackageRow.title).where(
        PackageRow.tenant_id.in_(tenants), PackageRow.id.in_(ids)
    )
    rows = await uow.session.execute(statement)
    return {(row[0], row[1]): dict(row[2] or {}) for row in rows if (row[0], row[1]) in packages}


async def commissions(uow: UnitOfWork, tenant: uuid.UUID | None, start: dt.datetime, end: dt.datetime) -> AssetSums:
    """(tenant, asset, commissions earned in the period less what was clawed back)."""
    statement = (
        select(
            CommissionRow.tenant_id,
            CommissionRow.asset,
            *sum_parts(uow.dialect, CommissionRow.amount - CommissionRow.clawed_back),
        )
        .where(*_scoped(CommissionRow.tenant_id, tenant), _within(CommissionRow.created_at, start, end))
        .group_by(CommissionRow.tenant_id, CommissionRow.asset)
    )
    return [(row[0], row[1], to_int64(combine(row[2:]))) for row in await uow.session.execute(statement)]


async def payouts(
    uow: UnitOfWork, tenant: uuid.UUID | None, paid: str, start: dt.datetime, end: dt.datetime
) -> AssetSums:
    """(tenant, asset, payout requests paid in the period)."""
    statement = (
        select(PayoutRow.tenant_id, PayoutRow.asset, *sum_parts(uow.dialect, PayoutRow.amount))
        .where(
            *_scoped(PayoutRow.tenant_id, tenant),
            PayoutRow.status == paid,
            _within(PayoutRow.decided_at, start, end),
        )
        .group_by(PayoutRow.tenant_id, PayoutRow.asset)
    )
    return [(row[0], row[1], to_int64(combine(row[2:]))) for row in await uow.session.execute(statement)]
