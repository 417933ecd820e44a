"""What the screen reads return: plain tuples of column values, no ORM objects.

The field names are the model attributes' names, so the domain converts these and ORM rows with
the same code (users.service.to_user, catalog.packages.to_package). The field order is the column
order of every statement that fills them (both backends select `*_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, NamedTuple


class UserFields(NamedTuple):
    id: uuid.UUID
    platform: str
    external_id: str
    username: str
    first_name: str
    last_name: str
    language_code: str
    referral_code: str
    referrer_id: uuid.UUID | None
    blocked: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    bot_blocked: bool
    bot_blocked_at: dt.datetime | None


class PackageFields(NamedTuple):
    id: uuid.UUID
    kind: str
    title: dict[str, Any]
    description: dict[str, Any]
    category: str
    sort_order: int
    active: bool
    archived: bool
    price_asset: str
    price_amount: int
    per_unit: bool
    min_quantity: int
    max_quantity: int
    delivers_asset: str | None
    delivers_amount: int | None
    plan_code: str
    period_days: int
    stars_quantity: int
    premium_months: int
    features: dict[str, Any]
    posts_per_day: int
    active_days: int
    created_at: dt.datetime
    updated_at: dt.datetime
    prices: list[tuple[str, int]]  # (asset, amount), the primary first: rows of package_prices


USER_COLUMNS = UserFields._fields
PACKAGE_COLUMNS = PackageFields._fields[:-1]  # the package row's; the prices follow, from package_prices
PACKAGE_JSON = ("title", "description", "features")
PACKAGE_PRICES = len(PACKAGE_COLUMNS)  # the prices' index in a package's row


def prices_of(text: str | None) -> list[tuple[str, int]]:
    """A package's prices from the JSON array of [position, asset, amount] both backends aggregate
    (PostgreSQL's json_agg gives NULL for none), in position order: the primary first."""
    return [(asset, int(amount)) for _, asset, amount in sorted(json.loads(text or "[]"))]


class PackageFilters(NamedTuple):
    """A ListPackages page: of one category and kind when given ("" = any), only packages on offer
    (active, not archived) if `on_offer`, in display order from position `offset`."""

    category: str
    on_offer: bool
    kind: str
    offset: int
    limit: int


class BalancesView(NamedTuple):
    """A user's wallets in the tenant's assets (or those asked for)."""

    user_found: bool
    assets: frozenset[str]  # the tenant's asset codes among those asked for (all when none asked)
    wallets: dict[str, tuple[int, int]]  # asset -> (balance, held) of the wallets that exist


class Grant(NamedTuple):
    """A running plan (plan_code set) or an active service order (package_id set)."""

    plan_code: str | None
    package_id: uuid.UUID | None
    id: uuid.UUID
    end_at: dt.datetime


class EntitlementsView(NamedTuple):
    user_found: bool
    grants: list[Grant]


class ReferralFigures(NamedTuple):
    """Everything GetReferralStats shows, as stored: the sums are exact (Python ints)."""

    referral_code: str
    program: dict[str, Any]  # the tenant's stored program ({} without a settings row)
    invited_by_level: dict[int, int]  # level -> users that many steps below (levels of the program)
    level1_sales: int  # the order totals that earned a level 1 commission (tiers are reached by it)
    commissions: dict[str, tuple[int, int]]  # asset -> (net earned, the part still held back)
    bonuses: dict[str, int]  # asset -> tier bonuses paid
    payouts: dict[str, int]  # asset -> payout requests in the statuses asked for
    available: dict[str, int]  # asset -> the wallet's available balance
