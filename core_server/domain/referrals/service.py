"""The referral program as admins set it and referrers see it: the program, a referrer's stats
and the leaderboard. The invited users themselves, by level, are listed by users/service.py;
commissions are posted by commissions.py with each order payment; payouts live in payouts.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.ids import require_id
from core_server.domain.money.assets import require_asset
from core_server.domain.reasons import UserNotFound
from core_server.domain.referrals.earnings import Earnings, combine_earnings
from core_server.domain.referrals.payout_model import OPEN_OR_PAID
from core_server.domain.referrals.program import Program, check_program, load_program
from core_server.domain.tenancy.settings import settings_row
from core_server.store.models import UserRow
from core_server.store.repositories import referrals as repo
from core_server.store.repositories import users as user_repo
from core_server.store.sums import to_int64
from core_server.store.unit_of_work import UnitOfWork

MAX_LEADERBOARD = 100
DEFAULT_LEADERBOARD = 10
INVITED, EARNED = "invited", "earned"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats:
    referral_code: str
    link: str
    invited_by_level: list[int]
    earnings: list[Earnings]
    tier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderboardRow:
    user_id: uuid.UUID
    username: str
    value: int
    rank: int


async def require_referrer(uow: UnitOfWork, tenant: uuid.UUID, user_id: str) -> UserRow:
    row = await user_repo.get_user(uow, tenant, require_id("user_id", user_id))
    if row is None:
        raise UserNotFound(user_id)
    return row


class ReferralService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get_program(self, actor: Actor) -> Program:
        async with self._deps.read_uow() as uow:
            return await load_program(uow, actor.tenant)

    async def update_program(self, actor: Actor, program: Program) -> Program:
        program = dataclasses.replace(program, payout_asset=program.payout_asset.strip().upper())
        check_program(program)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            if program.payout_asset:
                await require_asset(uow, actor.tenant, program.payout_asset)
            row = await settings_row(uow, actor.tenant, create=True)
            assert row is not None
            before = dict(row.referral_program or {})
            row.referral_program, row.updated_at = program.to_stored(), now
            await uow.session.flush()
            await emit(uow, self._deps.feed, actor.tenant, "referral.program_updated", program.to_stored(), now)
            target = ("tenant", str(actor.tenant))
            audit.record(uow, actor, "", "referral.program_updated", target, "", before, program.to_stored(), now)
            await uow.commit()
        return program

    async def stats(self, actor: Actor, user_id: str) -> Stats:
        user = require_id("user_id", user_id)
        now = self._deps.clock.now()
        figures = await self._deps.reads.referral_figures(actor.tenant, user, OPEN_OR_PAID, now)
        if figures is None:
            raise UserNotFound(user_id)
        rules = Program.from_stored(figures.program)
        invited = [figures.invited_by_level.get(level, 0) for level in range(1, max(1, len(rules.level_rates_bps)) + 1)]
        # the standing tiers are reached by: direct referrals and level 1 sales (tiers.standing)
        tier = rules.tier_of(invited[0], figures.level1_sales) if rules.tiers else None
        earned = combine_earnings(figures.commissions, figures.bonuses, figures.payouts, figures.available)
        return Stats(
            referral_code=figures.referral_code,
            link=rules.link(figures.referral_code),
            invited_by_level=invited,
            earnings=list(earned.values()),
            tier=tier.name if tier else "",
        )

    async def leaderboard(
        self,
        actor: Actor,
        metric: str | None,
        start: dt.datetime | None,
        end: dt.datetime | None,
        limit: int,
        violations: Violations | None = None,
    ) -> list[LeaderboardRow]:
        """Referrers ranked by direct referrals who joined in the period, or by commissions earned
        in it net of clawbacks (in the payout asset; every asset when the program has none). Ties go
        to the referrer who joined first, so ranks are stable between calls. `violations`: those
        found converting the request, reported with these rules' own."""
        v = violations if violations is not None else Violations()
        if metric not in (INVITED, EARNED):
            v.add("metric", "is required: invited or earned")
        if not 0 <= limit <= MAX_LEADERBOARD:
            v.add("limit", f"must be between 0 and {MAX_LEADERBOARD}")
        if start and end and start >= end:
            v.add("end_time", "must be after start_time")
        v.raise_if_any()
        tenant = actor.tenant
        async with self._deps.read_uow() as uow:
            if metric == INVITED:
                rows = await repo.top_by_invited(uow, tenant, start, end, limit or DEFAULT_LEADERBOARD)
            else:  # in the payout asset; every asset when the program has none
                asset = (await load_program(uow, tenant)).payout_asset or None
                rows = await repo.top_by_earned(uow, tenant, asset, start, end, limit or DEFAULT_LEADERBOARD)
        return [
            LeaderboardRow(user_id=user_id, username=username, value=to_int64(value), rank=rank)
            for rank, (user_id, username, value) in enumerate(rows, start=1)
        ]
