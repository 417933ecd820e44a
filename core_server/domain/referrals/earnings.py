"""What a referrer has earned, what is still held back, and what they may withdraw now.

Computed from the commission, tier award and payout rows (never a running counter), and capped by
the wallet: earnings land in the referrer's ordinary wallet, so what they already spent or moved
cannot be paid out a second time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, select

from core_server.store.models import AccountRow, CommissionRow, PayoutRow, TierAwardRow, TransferRow
from core_server.store.sums import combine, sum_parts, to_int64
from core_server.store.unit_of_work import UnitOfWork

OPEN_OR_PAID = ("pending", "paid")


@dataclass(frozen=True, slots=True)
class Earnings:
    asset: str
    earned: int  # commissions net of clawbacks and of what a clawback could not take, plus tier bonuses
    pending: int  # the part still within the hold period
    requested: int  # pending and paid payout requests
    wallet_available: int

    @property
    def withdrawable(self) -> int:
        return max(0, min(self.earned - self.pending - self.requested, self.wallet_available))


async def earnings(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, now: dt.datetime) -> dict[str, Earnings]:
    """Per asset, every asset the user ever earned in."""
    earned: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    net = CommissionRow.amount - CommissionRow.clawed_back - CommissionRow.shortfall  # a shortfall is never earned
    held_back = case((CommissionRow.available_at > now, net), else_=0)
    net_parts, held_parts = sum_parts(uow.dialect, net), sum_parts(uow.dialect, held_back)
    statement = (
        select(CommissionRow.asset, *net_parts, *held_parts)
        .where(CommissionRow.tenant_id == tenant, CommissionRow.referrer_id == user)
        .group_by(CommissionRow.asset)
    )
    for row in await uow.session.execute(statement):
        earned[row[0]] += combine(row[1 : 1 + len(net_parts)])
        pending[row[0]] += combine(row[1 + len(net_parts) :])
    bonuses = (
        select(TransferRow.asset, *sum_parts(uow.dialect, TransferRow.amount))
        .join(
            TierAwardRow,
            (TierAwardRow.tenant_id == TransferRow.tenant_id) & (TierAwardRow.transfer_id == TransferRow.id),
        )
        .where(TransferRow.tenant_id == tenant, TierAwardRow.user_id == user)
        .group_by(TransferRow.asset)
    )
    for row in await uow.session.execute(bonuses):
        earned[row[0]] += combine(row[1:])
    requested: dict[str, int] = defaultdict(int)
    payouts = (
        select(PayoutRow.asset, *sum_parts(uow.dialect, PayoutRow.amount))
        .where(PayoutRow.tenant_id == tenant, PayoutRow.user_id == user, PayoutRow.status.in_(OPEN_OR_PAID))
        .group_by(PayoutRow.asset)
    )
    for row in await uow.session.execute(payouts):
        requested[row[0]] += combine(row[1:])
    wallets = select(AccountRow.asset, AccountRow.balance - AccountRow.held).where(
        AccountRow.tenant_id == tenant, AccountRow.user_id == user
    )
    available = {asset: int(amount) for asset, amount in await uow.session.execute(wallets)}
    return {
        asset: Earnings(
            asset,
            to_int64(earned[asset]),
            to_int64(pending[asset]),
            to_int64(requested[asset]),
            available.get(asset, 0),
        )
        for asset in sorted(set(earned) | set(requested))
    }
