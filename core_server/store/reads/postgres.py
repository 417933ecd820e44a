"""The screen reads on PostgreSQL: one statement and one round trip each, on the fast path's asyncpg
pool (store/fastpath_pg.py), where each statement is prepared once per connection. Under load the
reads of one kind share statements (reads/batches_pg.py): `fetch` decides.

No ORM, no session, no BEGIN/COMMIT: a single SELECT sees one snapshot in its implicit
transaction. Every statement filters every table it reads by the tenant (`$1`).

asyncpg hands back `json` columns as text (parsed here), sums of bigint as numeric (Decimal, turned
into exact ints here) and timestamptz as aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Collection, Sequence
from itertools import product
from typing import Any, Protocol

from core_server.store.reads.batches_pg import BatchedRead, Row, batched_read
from core_server.store.reads.records import (
    PACKAGE_COLUMNS,
    PACKAGE_JSON,
    PACKAGE_PRICES,
    USER_COLUMNS,
    BalancesView,
    EntitlementsView,
    Grant,
    PackageFields,
    PackageFilters,
    ReferralFigures,
    UserFields,
    prices_of,
)


class Fetch(Protocol):
    """The rows of a read's statement for its arguments (ReadBatcher.fetch, or the plain pool's)."""

    def __call__(self, read: BatchedRead, *args: Any) -> Awaitable[Sequence[Row]]: ...


_USER = f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE tenant_id = $1"  # noqa: S608  # our column names
USER_BY_ID = batched_read(f"{_USER} AND id = $2", {1: "uuid", 2: "uuid"})
USER_BY_IDENTITY = batched_read(f"{_USER} AND platform = $2 AND external_id = $3", {1: "uuid", 2: "text", 3: "text"})

# One row per asset even when the user has no wallet in it (or the tenant no asset at all: then
# one row with a NULL code), each carrying whether the user exists.
_BALANCES = """
SELECT u.found, a.code, w.balance, w.held
FROM (SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2) AS found) AS u
LEFT JOIN assets AS a ON a.tenant_id = $1{assets}
LEFT JOIN ledger_accounts AS w ON w.tenant_id = $1 AND w.asset = a.code AND w.user_id = $2
"""
_USER_KEY = {1: "uuid", 2: "uuid"}
BALANCES_ALL = batched_read(_BALANCES.format(assets=""), _USER_KEY)  # the asked assets, $3, are shared
BALANCES_OF = batched_read(_BALANCES.format(assets=" AND a.code = ANY($3::varchar[])"), _USER_KEY)


def _packages_statement(category: bool, on_offer: bool, kind: bool) -> BatchedRead:
    conditions, types = ["tenant_id = $1"], {1: "uuid"}
    if category:
        types[len(types) + 1] = "text"
        conditions.append(f"category = ${len(types)}")
    if on_offer:
        conditions.append("active AND NOT archived")
    if kind:
        types[len(types) + 1] = "text"
        conditions.append(f"kind = ${len(types)}")
    args = len(types)
    types.update({args + 1: "bigint", args + 2: "bigint"})
    return batched_read(
        f"SELECT {', '.join(PACKAGE_COLUMNS)}, {_PRICES} FROM packages"  # noqa: S608  # no input
        f" WHERE {' AND '.join(conditions)} ORDER BY category, sort_order, id OFFSET ${args + 1} LIMIT ${args + 2}",
        types,
    )


# Every price of the package, as JSON [[position, asset, amount], ...] (records.prices_of).
_PRICES = (
    "(SELECT json_agg(json_build_array(pp.position, pp.asset, pp.amount)) FROM package_prices AS pp"
    " WHERE pp.tenant_id = $1 AND pp.package_id = packages.id)"
)


# A statement per combination of filters, so each keeps a plan of its own.
PACKAGES = {flags: _packages_statement(*flags) for flags in product((False, True), repeat=3)}

# The user's row (part 0) says the user exists; parts 1 and 2 are what grants something now.
_ENTITLEMENTS = """
SELECT 0, NULL, NULL::uuid, NULL::uuid, NULL::timestamptz FROM users WHERE tenant_id = $1 AND id = $2
UNION ALL
SELECT 1, plan_code, NULL, id, end_at FROM subscriptions
WHERE tenant_id = $1 AND user_id = $2 AND status = ANY($3::varchar[]) AND end_at > $4
UNION ALL
SELECT 2, NULL, package_id, id, active_until FROM orders
WHERE tenant_id = $1 AND user_id = $2 AND package_kind = 'service' AND status = ANY($5::varchar[])
  AND active_until > $4
"""
ENTITLEMENTS = batched_read(_ENTITLEMENTS, {**_USER_KEY, 4: "timestamptz"})  # the statuses are shared

# Rows (part, key, x, y, program). The invited users by level are a walk down the referral tree
# as deep as the program has levels, so a deeper tree below costs nothing; level 1 always (without
# a program the depth is NULL, which stops there too). The user's wallets are looked up by the
# tenant's assets: the wallets' unique index is (tenant, asset, user), and by (tenant, user) alone
# the query would read every account of the tenant.
_REFERRAL_FIGURES = """
WITH RECURSIVE program AS (
    SELECT referral_program FROM tenant_settings WHERE tenant_id = $1
), tree (id, level) AS (
    SELECT id, 1 FROM users WHERE tenant_id = $1 AND referrer_id = $2
    UNION ALL
    SELECT u.id, tree.level + 1 FROM tree JOIN users AS u ON u.tenant_id = $1 AND u.referrer_id = tree.id
    WHERE tree.level < (SELECT json_array_length(referral_program -> 'level_rates_bps') FROM program)
)
SELECT 'user', referral_code, NULL::numeric, NULL::numeric, (SELECT referral_program::text FROM program)
FROM users WHERE tenant_id = $1 AND id = $2
UNION ALL
SELECT 'level', level::text, count(*), NULL, NULL FROM tree GROUP BY level
UNION ALL
SELECT 'sales', '', sum(base_amount), NULL, NULL FROM referral_commissions
WHERE tenant_id = $1 AND referrer_id = $2 AND level = 1
UNION ALL
SELECT 'commission', asset, sum(amount - clawed_back - shortfall),
       sum(CASE WHEN available_at > $3 THEN amount - clawed_back - shortfall ELSE 0 END), NULL
FROM referral_commissions WHERE tenant_id = $1 AND referrer_id = $2 GROUP BY asset
UNION ALL
SELECT 'bonus', t.asset, sum(t.amount), NULL, NULL
FROM referral_tier_awards AS a JOIN ledger_transfers AS t ON t.tenant_id = $1 AND t.id = a.transfer_id
WHERE a.tenant_id = $1 AND a.user_id = $2 GROUP BY t.asset
UNION ALL
SELECT 'payout', asset, sum(amount), NULL, NULL FROM payout_requests
WHERE tenant_id = $1 AND user_id = $2 AND status = ANY($4::varchar[]) GROUP BY asset
UNION ALL
SELECT 'wallet', asset, balance - held, NULL, NULL FROM ledger_accounts
WHERE tenant_id = $1 AND asset IN (SELECT code FROM assets WHERE tenant_id = $1) AND user_id = $2
"""
REFERRAL_FIGURES = batched_read(_REFERRAL_FIGURES, {**_USER_KEY, 3: "timestamptz"})  # the statuses are shared


def _user(records: Sequence[Row]) -> UserFields | None:
    return UserFields(*records[0]) if records else None


async def user_by_id(fetch: Fetch, tenant: uuid.UUID, user: uuid.UUID) -> UserFields | None:
    return _user(await fetch(USER_BY_ID, tenant, user))


async def user_by_identity(fetch: Fetch, tenant: uuid.UUID, platform: str, external_id: str) -> UserFields | None:
    return _user(await fetch(USER_BY_IDENTITY, tenant, platform, external_id))


async def balances(fetch: Fetch, tenant: uuid.UUID, user: uuid.UUID, assets: Collection[str]) -> BalancesView:
    if assets:
        records = await fetch(BALANCES_OF, tenant, user, sorted(assets))
    else:
        records = await fetch(BALANCES_ALL, tenant, user)
    return BalancesView(
        user_found=records[0][0],
        assets=frozenset(r[1] for r in records if r[1] is not None),
        wallets={r[1]: (r[2], r[3]) for r in records if r[2] is not None},
    )


async def packages(fetch: Fetch, tenant: uuid.UUID, filters: PackageFilters) -> list[PackageFields]:
    statement = PACKAGES[(bool(filters.category), filters.on_offer, bool(filters.kind))]
    args: list[object] = [tenant]
    if filters.category:
        args.append(filters.category)
    if filters.kind:
        args.append(filters.kind)
    return [_package(record) for record in await fetch(statement, *args, filters.offset, filters.limit)]


_JSON_AT = tuple(PACKAGE_COLUMNS.index(name) for name in PACKAGE_JSON)


def _package(record: Row) -> PackageFields:
    values = list(record)
    for index in _JSON_AT:
        values[index] = json.loads(values[index])
    values[PACKAGE_PRICES] = prices_of(values[PACKAGE_PRICES])
    return PackageFields(*values)


async def entitlements(
    fetch: Fetch,
    tenant: uuid.UUID,
    user: uuid.UUID,
    plan_statuses: Collection[str],
    order_statuses: Collection[str],
    now: dt.datetime,
) -> EntitlementsView:
    records = await fetch(
        ENTITLEMENTS, tenant, user, sorted(str(s) for s in plan_statuses), now, sorted(str(s) for s in order_statuses)
    )
    return EntitlementsView(
        user_found=any(r[0] == 0 for r in records),
        grants=[Grant(r[1], r[2], r[3], r[4]) for r in records if r[0] != 0],
    )


async def referral_figures(
    fetch: Fetch, tenant: uuid.UUID, user: uuid.UUID, payout_statuses: Collection[str], now: dt.datetime
) -> ReferralFigures | None:
    records = await fetch(REFERRAL_FIGURES, tenant, user, now, sorted(str(s) for s in payout_statuses))
    found: tuple[str, str | None] | None = None
    parts: dict[str, dict[str, int]] = {"level": {}, "sales": {}, "bonus": {}, "payout": {}, "wallet": {}}
    commissions: dict[str, tuple[int, int]] = {}
    for part, key, x, y, program in records:  # UNION ALL keeps no order: each row says what it is
        if part == "user":
            found = (key, program)
        elif part == "commission":
            commissions[key] = (int(x), int(y))
        else:
            parts[part][key] = int(x or 0)
    if found is None:
        return None
    code, program_text = found
    return ReferralFigures(
        referral_code=code,
        program=json.loads(program_text) if program_text is not None else {},
        invited_by_level={int(level): count for level, count in parts["level"].items()},
        level1_sales=parts["sales"].get("", 0),
        commissions=commissions,
        bonuses=parts["bonus"],
        payouts=parts["payout"],
        available=parts["wallet"],
    )
