"""What a referrer has earned, what is still held back, and what they may withdraw now.

Computed from the commission, tier award and payout rows (never a running counter), and capped by
the wallet: earnings land in the referrer's ordinary wallet, so what they already spent or moved
cannot be paid out a second time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from core_server.domain.referrals.payout_model import OPEN_OR_PAID
from core_server.store.repositories import referrals as repo
from core_server.store.sums import to_int64
from core_server.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
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
    commissions = await repo.commission_sums(uow, tenant, user, now)
    bonuses = await repo.bonus_sums(uow, tenant, user)
    requested = await repo.payout_sums(uow, tenant, user, OPEN_OR_PAID)
    available = await repo.available_by_asset(uow, tenant, user)
    return combine_earnings(commissions, bonuses, requested, available)


def combine_earnings(
    commissions: Mapping[str, tuple[int, int]],
    bonuses: Mapping[str, int],
    requested: Mapping[str, int],
    available: Mapping[str, int],
) -> dict[str, Earnings]:
    """Per asset the user ever earned in, from the sums: commissions (net, still held back), tier
    bonuses, payout requests (pending and paid) and the wallet's available balance."""
    return {
        asset: Earnings(
            asset=asset,
            earned=to_int64(commissions.get(asset, (0, 0))[0] + bonuses.get(asset, 0)),
            pending=to_int64(commissions.get(asset, (0, 0))[1]),
            requested=to_int64(requested.get(asset, 0)),
            wallet_available=available.get(asset, 0),
        )
        for asset in sorted(set(commissions) | set(bonuses) | set(requested))
    }
