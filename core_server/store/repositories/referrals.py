"""Queries of referral standing and earnings: direct referrals, level 1 sales, tier awards, the
sums a referrer's earnings are computed from (exact whatever the row count: store/sums.py), the
invited users by level and the leaderboard."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, case, func, select

from core_server.store.models import AccountRow, CommissionRow, PayoutRow, TierAwardRow, TransferRow, UserRow
from core_server.store.repositories.keyset import newest_first
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.sums import combine, sum_expression, sum_parts
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


def _level_members(tenant: uuid.UUID, referrer: uuid.UUID, level: int) -> Select[uuid.UUID]:
    """The ids of the users `level` steps below `referrer` (1 = invited directly), as a subquery
    chain the database resolves in one statement."""
    members = select(UserRow.id).where(UserRow.tenant_id == tenant, UserRow.referrer_id == referrer)
    for _ in range(level - 1):
        members = select(UserRow.id).where(UserRow.tenant_id == tenant, UserRow.referrer_id.in_(members))
    return members


async def list_invited(
    uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID, level: int, *, before: uuid.UUID | None, limit: int
) -> Sequence[UserRow]:
    """Up to `limit` of the users `level` steps below the referrer, newest first, older than `before`."""
    members = _level_members(tenant, referrer, level)
    statement = select(UserRow).where(UserRow.tenant_id == tenant, UserRow.id.in_(members))
    return await newest_first(uow, statement, UserRow.id, before, limit)


def _period(column: Any, start: dt.datetime | None, end: dt.datetime | None) -> list[ColumnElement[bool]]:
    """[start, end); an open end means up to now, which includes rows written at this instant."""
    return [*([column >= start] if start else []), *([column < end] if end else [])]


async def top_by_invited(
    uow: UnitOfWork, tenant: uuid.UUID, start: dt.datetime | None, end: dt.datetime | None, limit: int
) -> list[tuple[uuid.UUID, str, int]]:
    """(referrer, username, direct referrals who joined in [start, end)) of the `limit` referrers
    with the most, ties to the one who joined first."""
    referrer = UserRow.referrer_id
    conditions = [UserRow.tenant_id == tenant, referrer.is_not(None), *_period(UserRow.created_at, start, end)]
    ranked = select(referrer.label("referrer"), func.count().label("value")).where(*conditions)
    return await _top(uow, tenant, ranked.group_by(referrer), limit)


async def top_by_earned(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    asset: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[tuple[uuid.UUID, str, int]]:
    """(referrer, username, commissions net of clawbacks and shortfalls created in [start, end), in
    `asset` or in every asset when None) of the `limit` referrers who earned the most, ties to the
    one who joined first."""
    referrer = CommissionRow.referrer_id
    net = CommissionRow.amount - CommissionRow.clawed_back - CommissionRow.shortfall
    exact = [part.label(f"exact{index}") for index, part in enumerate(sum_parts(uow.dialect, net))]
    conditions = [CommissionRow.tenant_id == tenant, *_period(CommissionRow.created_at, start, end)]
    if asset:
        conditions.append(CommissionRow.asset == asset)
    ranked = select(referrer.label("referrer"), sum_expression(uow.dialect, net).label("value"), *exact)
    return await _top(uow, tenant, ranked.where(*conditions).group_by(referrer), limit)


async def _top(
    uow: UnitOfWork, tenant: uuid.UUID, ranked: Select[Any, Any], limit: int
) -> list[tuple[uuid.UUID, str, int]]:
    """The referrers of `ranked` (referrer, value) with a positive value, highest first, then by id.
    A sum's `value` orders (on SQLite it is inexact near the int64 limits, store/sums.py); its
    `exact<n>` parts, when `ranked` has them, give the figure returned."""
    totals = ranked.subquery()
    exact = [column for column in totals.c if column.name.startswith("exact")]
    statement = (
        select(UserRow.id, UserRow.username, totals.c.value, *exact)
        .join(totals, (UserRow.tenant_id == tenant) & (UserRow.id == totals.c.referrer))
        .where(totals.c.value > 0)
        .order_by(totals.c.value.desc(), UserRow.id)
        .limit(limit)
    )
    rows = await uow.session.execute(statement)
    return [(row[0], row[1], combine(row[3:]) if exact else int(row[2])) for row in rows]
