"""Referral tiers: where a referrer stands, and the one-off bonus paid when they reach a tier.

A referrer's standing is computed from what is stored (direct referrals, level 1 sales) rather
than kept as a counter, so it can never drift from the rows it summarises. An award is a row with
the (tenant, user, tier) primary key, inserted if absent: however many payments or registrations
race past a threshold, exactly one of them pays the bonus.
"""

from __future__ import annotations

import datetime as dt
import uuid

from core_server.domain.events import EventFeed, emit
from core_server.domain.money import ledger
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.referrals.program import Program, Tier
from core_server.store.repositories import referrals as repo
from core_server.store.unit_of_work import UnitOfWork

REFERRAL_EXPENSE = "referral_expense"


async def standing(uow: UnitOfWork, tenant: uuid.UUID, referrer: uuid.UUID) -> tuple[int, int]:
    """(direct referrals, level 1 sales in the payout asset): the figures tiers are reached by."""
    return await repo.standing(uow, tenant, referrer)


async def current_tier(uow: UnitOfWork, tenant: uuid.UUID, rules: Program, referrer: uuid.UUID) -> Tier | None:
    if not rules.tiers:
        return None
    return rules.tier_of(*await standing(uow, tenant, referrer))


async def award_tiers(
    uow: UnitOfWork, feed: EventFeed, tenant: uuid.UUID, rules: Program, referrer: uuid.UUID, now: dt.datetime
) -> None:
    """Record every tier the referrer has reached and not been awarded yet, paying its one-off bonus
    from referral_expense (in the payout asset) and emitting referral.tier_reached."""
    if not rules.enabled or not rules.tiers:
        return
    # Serialize per referrer: each registration or sale counts after the previous one committed, so
    # the last of many racing past a threshold always sees it crossed (without the lock each could
    # count only itself and none would award the tier). FOR NO KEY UPDATE (key_share): registrations
    # of referrals hold KEY SHARE on this row through their foreign key, which plain FOR UPDATE would
    # deadlock against.
    await repo.lock_referrer(uow, tenant, referrer)
    invited, sales = await standing(uow, tenant, referrer)
    for tier in rules.tiers:
        if not tier.reached(invited, sales):
            continue
        if not await repo.add_award(uow, tenant, referrer, tier.name, now):
            continue
        transfer_id = None
        if tier.one_off_bonus_minor > 0:
            posting = Posting(
                System(REFERRAL_EXPENSE),
                Wallet(referrer),
                tier.one_off_bonus_minor,
                "referral_commission",
                reference=f"tier:{tier.name}",
            )
            [transfer] = await ledger.post(uow, feed, tenant, rules.payout_asset, [posting], now)
            transfer_id = transfer.id
            await repo.set_award_transfer(uow, tenant, referrer, tier.name, transfer.id)
        data = {
            "user_id": str(referrer),
            "tier": tier.name,
            "invited": invited,
            "sales_minor": sales,
            "bonus_minor": tier.one_off_bonus_minor,
            "asset": rules.payout_asset,
            "transfer_id": str(transfer_id) if transfer_id else None,
        }
        await emit(uow, feed, tenant, "referral.tier_reached", data, now)
