"""A tenant's referral program: the rules as stored in its settings, and their validation.

The program is a JSON object in `tenant_settings.referral_program` rather than its own tables: it
is read whole on each paid order and replaced whole by UpdateReferralProgram, and it has no
identity of its own that anything could reference.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from core_server.domain.catalog.packages import KINDS
from core_server.domain.errors import Violations
from core_server.domain.money.amounts import ASSET_CODE, MAX_AMOUNT, MAX_MULTIPLIER
from core_server.domain.tenancy.settings import settings_row
from core_server.store.unit_of_work import UnitOfWork

MAX_LEVELS = 5
MAX_TIERS = 10
MAX_HOLD_DAYS = 365
FULL_RATE = 10_000  # basis points
BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


@dataclass(frozen=True, slots=True)
class Tier:
    """A threshold a referrer reaches by direct referrals and/or their sales (every condition set
    must hold); it adds to the level 1 rate and may pay a one-off bonus."""

    name: str
    min_invited: int = 0
    min_sales_minor: int = 0
    bonus_rate_bps: int = 0
    one_off_bonus_minor: int = 0

    def reached(self, invited: int, sales: int) -> bool:
        return invited >= self.min_invited and sales >= self.min_sales_minor


@dataclass(frozen=True, slots=True)
class Program:
    """The tenant's referral program (see ReferralProgram in proto)."""

    enabled: bool = False
    level_rates_bps: tuple[int, ...] = ()
    package_kinds: tuple[str, ...] = ()
    payout_asset: str = ""
    rate_numerator: int = 1
    rate_denominator: int = 1
    hold_days: int = 0
    tiers: tuple[Tier, ...] = field(default=())
    min_payout_minor: int = 0
    bot_username: str = ""

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Program:
        return cls(
            enabled=bool(stored.get("enabled", False)),
            level_rates_bps=tuple(int(rate) for rate in stored.get("level_rates_bps", ())),
            package_kinds=tuple(str(kind) for kind in stored.get("package_kinds", ())),
            payout_asset=str(stored.get("payout_asset", "")),
            rate_numerator=int(stored.get("rate_numerator") or 1),
            rate_denominator=int(stored.get("rate_denominator") or 1),
            hold_days=int(stored.get("hold_days", 0)),
            tiers=tuple(Tier(**tier) for tier in stored.get("tiers", ())),
            min_payout_minor=int(stored.get("min_payout_minor", 0)),
            bot_username=str(stored.get("bot_username", "")),
        )

    def to_stored(self) -> dict[str, Any]:
        stored = asdict(self)
        stored["level_rates_bps"] = list(self.level_rates_bps)
        stored["package_kinds"] = list(self.package_kinds)
        stored["tiers"] = [asdict(tier) for tier in self.tiers]
        return stored

    def converted(self, order_amount: int, order_asset: str) -> int:
        """An order amount in the payout asset (exact integer ratio, rounded down), capped at
        MAX_AMOUNT like every amount: a ratio of up to 10^9 times an order of up to MAX_AMOUNT
        would otherwise leave int64, and every commission is a share of this base."""
        if not self.payout_asset or self.payout_asset == order_asset:
            return min(order_amount, MAX_AMOUNT)
        return min(order_amount * self.rate_numerator // self.rate_denominator, MAX_AMOUNT)

    def tier_of(self, invited: int, sales: int) -> Tier | None:
        """The highest tier reached (tiers are listed from the lowest)."""
        reached = [tier for tier in self.tiers if tier.reached(invited, sales)]
        return reached[-1] if reached else None

    def link(self, referral_code: str) -> str:
        return f"https://t.me/{self.bot_username}?start=ref_{referral_code}" if self.bot_username else ""


async def load_program(uow: UnitOfWork, tenant: uuid.UUID) -> Program:
    row = await settings_row(uow, tenant)
    return Program.from_stored(row.referral_program if row is not None else {})


def check_program(program: Program) -> None:
    """Every rule a program must keep; the payout asset's existence is checked by the caller."""
    v = Violations()
    rates = program.level_rates_bps
    if len(rates) > MAX_LEVELS:
        v.add("program.level_rates_bps", f"at most {MAX_LEVELS} levels")
    if any(not 0 < rate < FULL_RATE for rate in rates):
        v.add("program.level_rates_bps", f"each rate must be between 1 and {FULL_RATE - 1} basis points")
    if program.enabled and not rates:
        v.add("program.level_rates_bps", "an enabled program needs at least one level")
    largest_bonus = max((tier.bonus_rate_bps for tier in program.tiers), default=0)
    if sum(rates) + largest_bonus >= FULL_RATE:
        v.add("program.level_rates_bps", "the rates with the largest tier bonus must stay below 10000 (100 %)")
    unknown = [kind for kind in program.package_kinds if kind not in KINDS]
    if unknown or len(set(program.package_kinds)) != len(program.package_kinds):
        v.add("program.package_kinds", "must be distinct, known package kinds")
    if program.payout_asset and not ASSET_CODE.match(program.payout_asset):
        v.add("program.payout_asset", "must be 2 to 10 upper-case letters or digits")
    if (program.rate_numerator, program.rate_denominator) != (1, 1):
        if not program.payout_asset:
            v.add("program.rate_numerator", "a conversion rate needs a payout_asset")
        if not (0 < program.rate_numerator <= MAX_MULTIPLIER and 0 < program.rate_denominator <= MAX_MULTIPLIER):
            v.add("program.rate_numerator", f"numerator and denominator must be between 1 and {MAX_MULTIPLIER}")
    if not 0 <= program.hold_days <= MAX_HOLD_DAYS:
        v.add("program.hold_days", f"must be between 0 and {MAX_HOLD_DAYS}")
    if not 0 <= program.min_payout_minor <= MAX_AMOUNT:
        v.add("program.min_payout_minor", f"must be between 0 and {MAX_AMOUNT}")
    if program.bot_username and not BOT_USERNAME.match(program.bot_username):
        v.add("program.bot_username", "must be a Telegram bot username (letters, digits, _; 4 to 32)")
    _check_tiers(program, v)
    v.raise_if_any()


def _check_tiers(program: Program, v: Violations) -> None:
    if len(program.tiers) > MAX_TIERS:
        v.add("program.tiers", f"at most {MAX_TIERS} tiers")
    names = [tier.name for tier in program.tiers]
    if len(set(names)) != len(names):
        v.add("program.tiers", "tier names must be distinct")
    for index, tier in enumerate(program.tiers):
        path = f"program.tiers[{index}]"
        v.check_text(f"{path}.name", tier.name, max_length=50, required=True)
        if tier.min_invited <= 0 and tier.min_sales_minor <= 0:
            v.add(path, "needs min_invited or min_sales_minor")
        if tier.min_invited < 0 or not 0 <= tier.min_sales_minor <= MAX_AMOUNT:
            v.add(path, "thresholds must not be negative")
        if not 0 <= tier.bonus_rate_bps < FULL_RATE:
            v.add(f"{path}.bonus_rate_bps", f"must be between 0 and {FULL_RATE - 1}")
        if not 0 <= tier.one_off_bonus_minor <= MAX_AMOUNT:
            v.add(f"{path}.one_off_bonus_minor", f"must be between 0 and {MAX_AMOUNT}")
        if tier.one_off_bonus_minor and not program.payout_asset:
            v.add(f"{path}.one_off_bonus_minor", "a one-off bonus needs a payout_asset to be paid in")
