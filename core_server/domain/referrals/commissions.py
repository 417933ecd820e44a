"""Referral commissions: posted with each order payment, clawed back on refunds.

HOOKS used by orders.py (keep their signatures):
- plan_commissions(...) before the payment is posted: what each referrer up the chain earns;
- record_commissions(...) after posting, with the transfers posted for the plans (same order);
- clawback_shares(...), then plan_clawbacks(...) with balances read under the wallets' locks, then
  record_clawbacks(...) when an order is refunded (in full or in part).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core_server.domain.events import EventFeed, emit
from core_server.domain.money.ledger import Posting, System, Transfer, Wallet
from core_server.domain.referrals.program import load_program
from core_server.domain.referrals.tiers import REFERRAL_EXPENSE, award_tiers, current_tier
from core_server.store.ids import new_id
from core_server.store.models import CommissionRow, OrderRow
from core_server.store.repositories import commissions as repo
from core_server.store.repositories import referrals as referrals_repo
from core_server.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class CommissionPlan:
    referrer_id: uuid.UUID
    level: int
    asset: str  # the payout asset
    amount: int  # > 0
    base_amount: int  # the order total converted into the payout asset
    available_at: dt.datetime  # end of the hold period

    @classmethod
    def at_rate(
        cls, referrer: uuid.UUID, level: int, asset: str, base: int, rate_bps: int, available_at: dt.datetime
    ) -> CommissionPlan | None:
        """The commission of `rate_bps` on `base` (rounded down); None when that is nothing."""
        amount = base * rate_bps // 10_000
        if amount <= 0:
            return None
        return cls(
            referrer_id=referrer, level=level, asset=asset, amount=amount, base_amount=base, available_at=available_at
        )

    def row(self, tenant: uuid.UUID, order: OrderRow, transfer: Transfer, now: dt.datetime) -> CommissionRow:
        """The commission's row once `transfer` posted it (on either path)."""
        return CommissionRow(
            tenant_id=tenant,
            id=new_id(),
            order_id=order.id,
            referrer_id=self.referrer_id,
            buyer_id=order.user_id,
            level=self.level,
            asset=self.asset,
            amount=self.amount,
            base_amount=self.base_amount,
            transfer_id=transfer.id,
            available_at=self.available_at,
            created_at=now,
        )

    def posting(self, order_id: uuid.UUID) -> Posting:
        return Posting(
            System(REFERRAL_EXPENSE),
            Wallet(self.referrer_id),
            self.amount,
            "referral_commission",
            reference=f"order:{order_id}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ClawbackPlan:
    commission: CommissionRow
    amount: int  # what the referrer's wallet can give back now (>= 0; nothing is posted for 0)
    shortfall: int  # what it cannot


async def plan_commissions(
    uow: UnitOfWork, tenant: uuid.UUID, order: OrderRow, now: dt.datetime
) -> list[CommissionPlan]:
    """Commissions of a paid order under the tenant's program (none when disabled, when the
    package kind does not earn, or when the buyer has no referrer). Their sum never exceeds the
    order total (rates are capped below 100 %)."""
    rules = await load_program(uow, tenant)
    if not rules.enabled or not rules.level_rates_bps or order.total <= 0:
        return []
    if rules.package_kinds and order.package_kind not in rules.package_kinds:
        return []
    base = rules.converted(order.total, order.asset)
    asset = rules.payout_asset or order.asset
    available_at = now + dt.timedelta(days=rules.hold_days)
    plans: list[CommissionPlan] = []
    seen = {order.user_id}
    current = order.user_id
    for level, rate in enumerate(rules.level_rates_bps, start=1):
        referrer = await repo.referrer_of(uow, tenant, current)
        if referrer is None or referrer in seen:  # attribution forbids cycles; never pay one twice
            break
        seen.add(referrer)
        if level == 1:
            if rules.tiers:  # the tier lock before any wallet (the lock order): the standing read
                # here and the bonus record_commissions may award are decided under it
                await referrals_repo.lock_referrer(uow, tenant, referrer)
            tier = await current_tier(uow, tenant, rules, referrer)
            rate += tier.bonus_rate_bps if tier else 0
        plan = CommissionPlan.at_rate(referrer, level, asset, base, rate, available_at)
        if plan is not None:
            plans.append(plan)
        current = referrer
    return plans


async def record_commissions(
    uow: UnitOfWork,
    feed: EventFeed,
    tenant: uuid.UUID,
    order: OrderRow,
    plans: list[CommissionPlan],
    transfers: list[Transfer],
    now: dt.datetime,
) -> None:
    """Store the commissions (transfers[i] posted plans[i]) and emit referral.commission events."""
    for plan, transfer in zip(plans, transfers, strict=True):
        row = plan.row(tenant, order, transfer, now)
        repo.add_commission(uow, row)
        await emit(uow, feed, tenant, "referral.commission", commission_event(row), now)
    await uow.session.flush()
    direct = [plan.referrer_id for plan in plans if plan.level == 1]
    if direct:  # this sale may lift the direct referrer into a tier
        await award_tiers(uow, feed, tenant, await load_program(uow, tenant), direct[0], now)


async def clawback_shares(
    uow: UnitOfWork, tenant: uuid.UUID, order: OrderRow, refunded_now: int
) -> list[tuple[CommissionRow, int]]:
    """Lock the order's commissions and say what share of each a refund of `refunded_now` reverses
    (see `shares_of`)."""
    if order.total <= 0 or refunded_now <= 0:
        return []
    return shares_of(order, refunded_now, await repo.lock_commissions_of_order(uow, tenant, order.id))


def shares_of(
    order: OrderRow, refunded_now: int, commissions: Sequence[CommissionRow]
) -> list[tuple[CommissionRow, int]]:
    """What share of each of the order's (locked) commissions a refund of `refunded_now` reverses
    (cumulative, in proportion to refunded / total, so partial refunds that add up to the total
    reverse exactly the whole, shortfalls included)."""
    if order.total <= 0 or refunded_now <= 0:
        return []
    shares: list[tuple[CommissionRow, int]] = []
    refunded_total = order.refunded + refunded_now
    for commission in commissions:
        due = min(commission.amount, commission.amount * refunded_total // order.total)
        share = due - commission.clawed_back - commission.shortfall
        if share > 0:
            shares.append((commission, share))
    return shares


def plan_clawbacks(
    shares: list[tuple[CommissionRow, int]], available: Mapping[tuple[uuid.UUID, str], int]
) -> list[ClawbackPlan]:
    """Take each share from the referrer's wallet as far as its available balance (read under
    the wallet's lock) allows; the rest is shortfall."""
    left = dict(available)
    plans: list[ClawbackPlan] = []
    for commission, share in shares:
        key = (commission.referrer_id, commission.asset)
        take = max(0, min(share, left.get(key, 0)))
        left[key] = left.get(key, 0) - take
        plans.append(ClawbackPlan(commission=commission, amount=take, shortfall=share - take))
    return plans


async def record_clawbacks(
    uow: UnitOfWork,
    feed: EventFeed,
    tenant: uuid.UUID,
    plans: list[ClawbackPlan],
    transfers: list[Transfer],
    now: dt.datetime,
) -> None:
    """Store what was clawed back (transfers[i] reversed plans[i]) and any shortfall."""
    for data in apply_clawbacks(plans, transfers):
        await emit(uow, feed, tenant, "referral.clawback", data, now)
    await uow.session.flush()


def apply_clawbacks(plans: list[ClawbackPlan], transfers: list[Transfer]) -> list[dict[str, Any]]:
    """Add what was clawed back (transfers[i] reversed plans[i]) and any shortfall to the
    commission rows; the referral.clawback event of each, in order (on either path)."""
    posted = iter(transfers)
    events: list[dict[str, Any]] = []
    for plan in plans:
        transfer = next(posted) if plan.amount > 0 else None
        plan.commission.clawed_back += plan.amount
        plan.commission.shortfall += plan.shortfall
        events.append(
            commission_event(plan.commission)
            | {
                "clawed_back_now": plan.amount,
                "shortfall_now": plan.shortfall,
                "transfer_id": str(transfer.id) if transfer else None,
            }
        )
    return events


def commission_event(row: CommissionRow) -> dict[str, Any]:
    return {
        "commission_id": str(row.id),
        "order_id": str(row.order_id),
        "referrer_id": str(row.referrer_id),
        "buyer_id": str(row.buyer_id),
        "level": row.level,
        "asset": row.asset,
        "amount": row.amount,
        "clawed_back": row.clawed_back,
    }
