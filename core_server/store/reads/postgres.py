"""The screen reads on PostgreSQL: one statement and one round trip each, on the fast path's asyncpg
pool (store/fastpath_pg.py), where each statement is prepared once per connection. The reads of a
user (the user, balances, entitlements) run for many calls at once (`_for_each`, reads/coalescer.py).

No ORM, no session, no BEGIN/COMMIT: a single SELECT sees one snapshot in its implicit
transaction. Every statement filters every table it reads by the tenant (`$1`).

asyncpg hands back `json` columns as text (parsed here), sums of bigint as numeric (Decimal, turned
into exact ints here) and timestamptz as aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Collection, Sequence
from itertools import product
from typing import Any

import asyncpg

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

_USER = f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE tenant_id = $1"  # noqa: S608  # our column names
USER_BY_ID = f"{_USER} AND id = $2"
USER_BY_IDENTITY = f"{_USER} AND platform = $2 AND external_id = $3"

# One row per asset of the tenant even when the user has no wallet in it (or the tenant no asset at
# all: then one row with a NULL code), each carrying whether the user exists. A call that asks for
# some assets narrows this in Python (balances_in): one statement serves every call at once.
BALANCES_ALL = """
SELECT u.found, a.code, w.balance, w.held
FROM (SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2) AS found) AS u
LEFT JOIN assets AS a ON a.tenant_id = $1
LEFT JOIN ledger_accounts AS w ON w.tenant_id = $1 AND w.asset = a.code AND w.user_id = $2
"""


def _packages_statement(category: bool, on_offer: bool, kind: bool) -> str:
    conditions, args = ["tenant_id = $1"], 1
    if category:
        args += 1
        conditions.append(f"category = ${args}")
    if on_offer:
        conditions.append("active AND NOT archived")
    if kind:
        args += 1
        conditions.append(f"kind = ${args}")
    return (
        f"SELECT {', '.join(PACKAGE_COLUMNS)}, {_PRICES} FROM packages"  # noqa: S608  # no input
        f" WHERE {' AND '.join(conditions)} ORDER BY category, sort_order, id OFFSET ${args + 1} LIMIT ${args + 2}"
    )


# Every price of the package, as JSON [[position, asset, amount], ...] (records.prices_of).
_PRICES = (
    "(SELECT json_agg(json_build_array(pp.position, pp.asset, pp.amount)) FROM package_prices AS pp"
    " WHERE pp.tenant_id = $1 AND pp.package_id = packages.id)"
)


# A statement per combination of filters, so each keeps a plan of its own.
PACKAGES = {flags: _packages_statement(*flags) for flags in product((False, True), repeat=3)}

# The user's row (part 0) says the user exists; parts 1 and 2 are what grants something now.
ENTITLEMENTS = """
SELECT 0, NULL, NULL::uuid, NULL::uuid, NULL::timestamptz FROM users WHERE tenant_id = $1 AND id = $2
UNION ALL
SELECT 1, plan_code, NULL, id, end_at FROM subscriptions
WHERE tenant_id = $1 AND user_id = $2 AND status = ANY($3::varchar[]) AND end_at > $4
UNION ALL
SELECT 2, NULL, package_id, id, active_until FROM orders
WHERE tenant_id = $1 AND user_id = $2 AND package_kind = 'service' AND status = ANY($5::varchar[])
  AND active_until > $4
"""

# Rows (part, key, x, y, program). The invited users by level are a walk down the referral tree
# as deep as the program has levels, so a deeper tree below costs nothing; level 1 always (without
# a program the depth is NULL, which stops there too). The user's wallets are looked up by the
# tenant's assets: the wallets' unique index is (tenant, asset, user), and by (tenant, user) alone
# the query would read every account of the tenant.
REFERRAL_FIGURES = """
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


_PLACEHOLDER = re.compile(r"\$(\d+)")


def _for_each(statement: str, keys: Sequence[tuple[str, str]], params: dict[int, str]) -> str:
    """`statement` for every row of the key arrays given as $1, $2, ... (one array per key column,
    named and typed by `keys`), as one statement: a LATERAL join runs the statement's own text once
    per row, its placeholders replaced by `params` (a key column, or a parameter shared by every
    row), and each result row comes tagged with its key's position (1-based). Same SQL, same plans
    per key: the batched read answers exactly what the lone one would. (`OFFSET 0` keeps the
    statement a subquery run per key, on its indexes, whatever number of keys a generic plan
    assumes.)"""
    body = _PLACEHOLDER.sub(lambda match: params[int(match.group(1))], statement)
    arrays = ", ".join(f"${index}::{sql_type}[]" for index, (_, sql_type) in enumerate(keys, 1))
    names = ", ".join(name for name, _ in keys)
    keyed = f"unnest({arrays}) WITH ORDINALITY AS k({names}, n)"
    return f"SELECT k.n, r.* FROM {keyed} CROSS JOIN LATERAL ({body} OFFSET 0) AS r"  # noqa: S608


_BY_USER = (("tenant", "uuid"), ("usr", "uuid"))
BALANCES_MANY = _for_each(BALANCES_ALL, _BY_USER, {1: "k.tenant", 2: "k.usr"})
USERS_BY_ID = _for_each(USER_BY_ID, _BY_USER, {1: "k.tenant", 2: "k.usr"})
USERS_BY_IDENTITY = _for_each(
    USER_BY_IDENTITY,
    (("tenant", "uuid"), ("platform", "text"), ("ext", "text")),
    {1: "k.tenant", 2: "k.platform", 3: "k.ext"},
)
ENTITLEMENTS_MANY = _for_each(
    ENTITLEMENTS, (*_BY_USER, ("moment", "timestamptz")), {1: "k.tenant", 2: "k.usr", 3: "$4", 4: "k.moment", 5: "$5"}
)


async def _fetch_for_each(pool: asyncpg.Pool, statement: str, count: int, *args: Any) -> list[list[Sequence[Any]]]:
    """The rows of each of `count` keys, in key order, without the tag."""
    rows: list[list[Sequence[Any]]] = [[] for _ in range(count)]
    for record in await pool.fetch(statement, *args):
        rows[record[0] - 1].append(tuple(record)[1:])
    return rows


async def users_by_id(pool: asyncpg.Pool, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[UserFields | None]:
    """user_by_id for (tenant, user) keys in one statement."""
    found = await _fetch_for_each(pool, USERS_BY_ID, len(keys), [k[0] for k in keys], [k[1] for k in keys])
    return [UserFields(*rows[0]) if rows else None for rows in found]


async def users_by_identity(pool: asyncpg.Pool, keys: Sequence[tuple[uuid.UUID, str, str]]) -> list[UserFields | None]:
    """user_by_identity for (tenant, platform, external id) keys in one statement."""
    found = await _fetch_for_each(
        pool, USERS_BY_IDENTITY, len(keys), [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]
    )
    return [UserFields(*rows[0]) if rows else None for rows in found]


async def balances_many(pool: asyncpg.Pool, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[BalancesView]:
    """balances in every asset of the tenant, for (tenant, user) keys in one statement."""
    found = await _fetch_for_each(pool, BALANCES_MANY, len(keys), [k[0] for k in keys], [k[1] for k in keys])
    return [_balances_view(rows) for rows in found]


def balances_in(view: BalancesView, assets: Collection[str]) -> BalancesView:
    """A view of every asset narrowed to `assets` (none: all), as BALANCES_OF would have read it."""
    if not assets:
        return view
    asked = set(assets)
    return BalancesView(
        user_found=view.user_found,
        assets=view.assets & asked,
        wallets={asset: wallet for asset, wallet in view.wallets.items() if asset in asked},
    )


async def entitlements_many(
    pool: asyncpg.Pool,
    plan_statuses: Sequence[str],
    order_statuses: Sequence[str],
    keys: Sequence[tuple[uuid.UUID, uuid.UUID, dt.datetime]],
) -> list[EntitlementsView]:
    """entitlements for (tenant, user, now) keys in one statement (the statuses shared)."""
    found = await _fetch_for_each(
        pool, ENTITLEMENTS_MANY, len(keys), [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
        list(plan_statuses), list(order_statuses),
    )  # fmt: skip
    return [_entitlements_view(rows) for rows in found]


def _balances_view(records: Sequence[Sequence[Any]]) -> BalancesView:
    return BalancesView(
        user_found=records[0][0],
        assets=frozenset(r[1] for r in records if r[1] is not None),
        wallets={r[1]: (r[2], r[3]) for r in records if r[2] is not None},
    )


async def packages(pool: asyncpg.Pool, tenant: uuid.UUID, filters: PackageFilters) -> list[PackageFields]:
    statement = PACKAGES[(bool(filters.category), filters.on_offer, bool(filters.kind))]
    args: list[object] = [tenant]
    if filters.category:
        args.append(filters.category)
    if filters.kind:
        args.append(filters.kind)
    return [_package(record) for record in await pool.fetch(statement, *args, filters.offset, filters.limit)]


_JSON_AT = tuple(PACKAGE_COLUMNS.index(name) for name in PACKAGE_JSON)


def _package(record: asyncpg.Record) -> PackageFields:
    values = list(record)
    for index in _JSON_AT:
        values[index] = json.loads(values[index])
    values[PACKAGE_PRICES] = prices_of(values[PACKAGE_PRICES])
    return PackageFields(*values)


def _entitlements_view(records: Sequence[Sequence[Any]]) -> EntitlementsView:
    return EntitlementsView(
        user_found=any(r[0] == 0 for r in records),
        grants=[Grant(r[1], r[2], r[3], r[4]) for r in records if r[0] != 0],
    )


async def referral_figures(
    pool: asyncpg.Pool, tenant: uuid.UUID, user: uuid.UUID, payout_statuses: Collection[str], now: dt.datetime
) -> ReferralFigures | None:
    records = await pool.fetch(REFERRAL_FIGURES, tenant, user, now, [str(s) for s in payout_statuses])
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
