"""Referral commissions on a fast unit: `commissions.plan_commissions` and `record_commissions`
for a purchase's raw transaction, with the same plans, postings, rows and events.

The program is read with the buyer's whole referrer chain in one statement (never cached: an
UpdateReferralProgram is seen by the next purchase, as on the ORM path). A program with tiers
takes the direct referrer's tier lock and reads their standing after it, as the ORM path does;
when this sale lifts the referrer into a tier not awarded yet (a one-off event per referrer and
tier, which may pay a bonus), the purchase takes the ORM path, which awards it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money.ledger import Transfer
from core_server.domain.referrals.commissions import CommissionPlan, commission_event
from core_server.domain.referrals.program import Program
from core_server.store.models import CommissionRow, OrderRow
from core_server.store.repositories import referral_writes as repo


async def plan_fast(unit: FastUnit, order: OrderRow) -> list[CommissionPlan]:
    """`plan_commissions` on a fast unit (the caller knows the buyer has a referrer)."""
    found = await repo.program_and_chain(unit.tx, unit.tenant, order.user_id)
    if found is None:
        raise TakeOrmPath("the buyer is gone")
    stored, chain = found
    rules = Program.from_stored(stored)
    if not rules.enabled or not rules.level_rates_bps or order.total <= 0:
        return []
    if rules.package_kinds and order.package_kind not in rules.package_kinds:
        return []
    if len(rules.level_rates_bps) > len(chain):
        raise TakeOrmPath("a chain deeper than the statement reads")
    base = rules.converted(order.total, order.asset)
    asset = rules.payout_asset or order.asset
    available_at = unit.now + dt.timedelta(days=rules.hold_days)
    plans: list[CommissionPlan] = []
    seen = {order.user_id}
    for level, rate in enumerate(rules.level_rates_bps, start=1):
        referrer = chain[level - 1]
        if referrer is None or referrer in seen:  # attribution forbids cycles; never pay one twice
            break
        seen.add(referrer)
        if level == 1 and rules.tiers:
            rate += await _tier_bonus(unit, rules, referrer, base)
        plan = CommissionPlan.at_rate(referrer, level, asset, base, rate, available_at)
        if plan is not None:
            plans.append(plan)
    return plans


async def _tier_bonus(unit: FastUnit, rules: Program, referrer: uuid.UUID, base: int) -> int:
    """The direct referrer's tier bonus rate, read under their tier lock (taken before any wallet:
    the lock order). TakeOrmPath when this sale reaches a tier they were not awarded yet."""
    await unit.before_locks()
    await repo.lock_referrer(unit.tx, unit.tenant, referrer)
    invited, sales = await repo.standing(unit.tx, unit.tenant, referrer)
    tier = rules.tier_of(invited, sales)
    bonus = tier.bonus_rate_bps if tier else 0
    if base * (rules.level_rates_bps[0] + bonus) // 10_000 <= 0:
        return bonus  # no level 1 commission: no sale counted, no tier to award (as on the ORM path)
    reached = {t.name for t in rules.tiers if t.reached(invited, sales + base)}
    if reached - await repo.awarded_tiers(unit.tx, unit.tenant, referrer):
        raise TakeOrmPath("a tier to award")
    return bonus


def record_fast(unit: FastUnit, order: OrderRow, plans: list[CommissionPlan], transfers: list[Transfer]) -> None:
    """`record_commissions` on a fast unit: transfers[i] posted plans[i]; the rows (deferred, after
    the order's) and the referral.commission events, alike."""
    rows: list[CommissionRow] = []
    for plan, transfer in zip(plans, transfers, strict=True):
        row = plan.row(unit.tenant, order, transfer, unit.now)
        rows.append(row)
        unit.emit("referral.commission", commission_event(row))
    repo.insert_commissions(unit.tx, rows)
