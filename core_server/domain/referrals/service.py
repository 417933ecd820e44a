"""The referral program as admins set it and referrers see it: the program, a referrer's stats
and the leaderboard. The invited users themselves, by level, are listed by users/service.py;
commissions are posted by commissions.py with each order payment; payouts live in payouts.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.ids import require_id
from core_server.domain.money.assets import require_asset
from core_server.domain.reasons import UserNotFound
from core_server.domain.referrals.earnings import Earnings, earnings
from core_server.domain.referrals.program import Program, check_program, load_program
from core_server.domain.referrals.tiers import current_tier
from core_server.domain.tenancy.settings import settings_row
from core_server.store.models import CommissionRow, UserRow
from core_server.store.sums import sum_expression, to_int64
from core_server.store.unit_of_work import UnitOfWork

MAX_LEADERBOARD = 100
DEFAULT_LEADERBOARD = 10
INVITED, EARNED = "invited", "earned"


@dataclass(frozen=True, slots=True)
class Stats:
    referral_code: str
    link: str
    invited_by_level: list[int]
    earnings: list[Earnings]
    tier: str


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    user_id: uuid.UUID
    username: str
    value: int
    rank: int


def level_members(tenant: uuid.UUID, referrer: uuid.UUID, level: int) -> Select[Any]:
    """The ids of the users `level` steps below `referrer` (1 = invited directly), as a subquery
    chain the database resolves in one statement."""
    members = select(UserRow.id).where(UserRow.tenant_id == tenant, UserRow.referrer_id == referrer)
    for _ in range(level - 1):
        members = select(UserRow.id).where(UserRow.tenant_id == tenant, UserRow.referrer_id.in_(members))
    return members


def _period(column: Any, start: dt.datetime | None, end: dt.datetime | None) -> list[Any]:
    """[start, end); an open end means up to now, which includes rows written at this instant."""
    return [*([column >= start] if start else []), *([column < end] if end else [])]


async def require_referrer(uow: UnitOfWork, tenant: uuid.UUID, user_id: str) -> UserRow:
    row = await uow.session.get(UserRow, (tenant, require_id("user_id", user_id)))
    if row is None:
        raise UserNotFound(user_id)
    return row


class ReferralService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get_program(self, actor: Actor) -> Program:
        async with self._deps.uow() as uow:
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
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            user = await require_referrer(uow, actor.tenant, user_id)
            rules = await load_program(uow, actor.tenant)
            levels = max(1, len(rules.level_rates_bps))
            invited = []
            for level in range(1, levels + 1):
                members = level_members(actor.tenant, user.id, level).subquery()
                invited.append(int(await uow.session.scalar(select(func.count()).select_from(members)) or 0))
            tier = await current_tier(uow, actor.tenant, rules, user.id)
            figures = await earnings(uow, actor.tenant, user.id, now)
        return Stats(
            user.referral_code,
            rules.link(user.referral_code),
            invited,
            list(figures.values()),
            tier.name if tier else "",
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
        async with self._deps.uow() as uow:
            if metric == INVITED:
                referrer: Any = UserRow.referrer_id
                value: Any = func.count()
                conditions: list[Any] = [UserRow.tenant_id == tenant, referrer.is_not(None)]
                conditions += _period(UserRow.created_at, start, end)
                ranked = select(referrer.label("referrer"), value.label("value")).where(*conditions)
            else:
                rules = await load_program(uow, tenant)
                referrer = CommissionRow.referrer_id
                value = sum_expression(
                    uow.dialect, CommissionRow.amount - CommissionRow.clawed_back - CommissionRow.shortfall
                )
                conditions = [CommissionRow.tenant_id == tenant, *_period(CommissionRow.created_at, start, end)]
                if rules.payout_asset:
                    conditions.append(CommissionRow.asset == rules.payout_asset)
                ranked = select(referrer.label("referrer"), value.label("value")).where(*conditions)
            totals = ranked.group_by(referrer).subquery()
            statement = (
                select(UserRow.id, UserRow.username, totals.c.value)
                .join(totals, (UserRow.tenant_id == tenant) & (UserRow.id == totals.c.referrer))
                .where(totals.c.value > 0)
                .order_by(totals.c.value.desc(), UserRow.id)
                .limit(limit or DEFAULT_LEADERBOARD)
            )
            rows = (await uow.session.execute(statement)).all()
        return [LeaderboardRow(row[0], row[1], to_int64(row[2]), rank) for rank, row in enumerate(rows, start=1)]
