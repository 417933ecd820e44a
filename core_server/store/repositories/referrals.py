"""Queries of referral standing and earnings: direct referrals, level 1 sales, tier awards, and the
sums a referrer's earnings are computed from (exact whatever the row count: store/sums.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Table, case, func, select

from core_server.store.models import AccountRow, CommissionRow, PayoutRow, TierAwardRow, TransferRow, UserRow
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.sums import combine, sum_parts
from core_server.store.unit_of_work import UnitOfWork

AWARDS = cast(Table, TierAwardRow.__table__)


async def standing(uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID) -> tuple[int, int]:
    """(direct referrals, level 1 sales: the order totals that earned a level 1 commission)."""
    invited = await uow.session.scalar(
        select(func.count()).select_from(UserRow).where(UserRow.tenant_id == tenant, UserRow.referrer_id == referrer)
    )
    sales = (
        await uow.session.execute(
            select(*sum_parts(uow.dialect, CommissionRow.base_amount)).where(
                CommissionRow.tenant_id == tenant, CommissionRow.referrer_id == referrer, CommissionRow.level == 1
            )
        )
    ).one()
    return int(invited or 0), combine(sales)


async def lock_referrer(uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID) -> None:
    """Serialize tier decisions per referrer. FOR NO KEY UPDATE (key_share): registrations of
    referrals hold KEY SHARE on this row through their foreign key, which FOR UPDATE would block."""
    await uow.session.execute(
        select(UserRow.id).where(UserRow.tenant_id == tenant, UserRow.id == referrer).with_for_update(key_share=True)
    )


async def add_award(uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID, tier: str, now: dt.datetime) -> bool:
    """Record a tier award once; False when it was already there."""
    values: dict[str, Any] = {"tenant_id": tenant, "user_id": referrer, "tier_name": tier, "created_at": now}
    return await insert_if_absent(uow.session, AWARDS, values, ("tenant_id", "user_id", "tier_name"))


async def set_award_transfer(
    uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID, tier: str, transfer: uuid.UUID
) -> None:
    award = await uow.session.get(TierAwardRow, (tenant, referrer, tier))
    assert award is not None
    award.transfer_id = transfer
    await uow.session.flush()


async def commission_sums(
    uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID, now: dt.datetime
) -> dict[str, tuple[int, int]]:
    """asset -> (earned net of clawbacks and shortfalls, the part of it still in the hold period)."""
    net = CommissionRow.amount - CommissionRow.clawed_back - CommissionRow.shortfall  # a shortfall is never earned
    held_back = case((CommissionRow.available_at > now, net), else_=0)
    net_parts, held_parts = sum_parts(uow.dialect, net), sum_parts(uow.dialect, held_back)
    statement = (
        select(CommissionRow.asset, *net_parts, *held_parts)
        .where(CommissionRow.tenant_id == tenant, CommissionRow.referrer_id == referrer)
        .group_by(CommissionRow.asset)
    )
    return {
        row[0]: (combine(row[1 : 1 + len(net_parts)]), combine(row[1 + len(net_parts) :]))
        for row in await uow.session.execute(statement)
    }


async def bonus_sums(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID) -> dict[str, int]:
    """asset -> tier bonuses paid to the user."""
    statement = (
        select(TransferRow.asset, *sum_parts(uow.dialect, TransferRow.amount))
        .join(
            TierAwardRow,
            (TierAwardRow.tenant_id == TransferRow.tenant_id) & (TierAwardRow.transfer_id == TransferRow.id),
        )
        .where(TransferRow.tenant_id == tenant, TierAwardRow.user_id == user)
        .group_by(TransferRow.asset)
    )
    return {row[0]: combine(row[1:]) for row in await uow.session.execute(statement)}


async def payout_sums(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, statuses: Collection[str]) -> dict[str, int]:
    """asset -> payout requests of the user in these statuses."""
    statement = (
        select(PayoutRow.asset, *sum_parts(uow.dialect, PayoutRow.amount))
        .where(PayoutRow.tenant_id == tenant, PayoutRow.user_id == user, PayoutRow.status.in_(statuses))
        .group_by(PayoutRow.asset)
    )
    return {row[0]: combine(row[1:]) for row in await uow.session.execute(statement)}


async def available_by_asset(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID) -> dict[str, int]:
    statement = select(AccountRow.asset, AccountRow.balance - AccountRow.held).where(
        AccountRow.tenant_id == tenant, AccountRow.user_id == user
    )
    return {asset: int(amount) for asset, amount in await uow.session.execute(statement)}
