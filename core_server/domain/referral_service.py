"""The referral program as admins set it and referrers see it: program, stats, referrals,
leaderboard, tiers and payout requests (commissions themselves are posted by referrals.py)."""

from __future__ import annotations

from core_server.domain.deps import Deps


class ReferralService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
