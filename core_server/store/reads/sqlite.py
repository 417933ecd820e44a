"""The screen reads on SQLite (the embedded default): the same single statement per read as
store/reads/postgres.py, built with SQLAlchemy Core and run on a plain connection, returning rows
of columns rather than ORM objects (no session, no identity map, no instance state).

The models' column types still convert the values (ids, UTC datetimes, JSON), and sums are taken
in two exact parts, since SQLite's SUM fails past int64 (store/sums.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from itertools import product
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from core_server.store.models import (
    AccountRow,
    AssetRow,
    CommissionRow,
    OrderRow,
    PackagePriceRow,
    PackageRow,
    PayoutRow,
    SubscriptionRow,
    TenantSettingsRow,
    TierAwardRow,
    TransferRow,
    UserRow,
)
from core_server.store.reads.records import (
    PACKAGE_COLUMNS,
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
from core_server.store.sums import combine, sum_parts

USERS = cast(Table, UserRow.__table__)
ASSETS = cast(Table, AssetRow.__table__)
ACCOUNTS = cast(Table, AccountRow.__table__)
PACKAGES = cast(Table, PackageRow.__table__)
PRICES = cast(Table, PackagePriceRow.__table__)
SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
ORDERS = cast(Table, OrderRow.__table__)
SETTINGS = cast(Table, TenantSettingsRow.__table__)
COMMISSIONS = cast(Table, CommissionRow.__table__)
AWARDS = cast(Table, TierAwardRow.__table__)
TRANSFERS = cast(Table, TransferRow.__table__)
PAYOUTS = cast(Table, PayoutRow.__table__)

# The statements are built once; a call only binds its values (compared with a column, a parameter
# takes the column's type, so ids and times convert as the models store them).
TENANT: BindParameter[Any] = bindparam("tenant")
USER: BindParameter[Any] = bindparam("user")
NOW: BindParameter[Any] = bindparam("now")

_USER = select(*(USERS.c[name] for name in USER_COLUMNS)).where(USERS.c.tenant_id == TENANT)
USER_BY_ID = _USER.where(USERS.c.id == USER)
USER_BY_IDENTITY = _USER.where(USERS.c.platform == bindparam("platform"), USERS.c.external_id == bindparam("external"))


def _balances(asked: bool) -> Select[Any]:
    """One row per asset even when the user has no wallet in it (see postgres.py)."""
    found = select(exists().where(USERS.c.tenant_id == TENANT, USERS.c.id == USER).label("found")).subquery("u")
    asset_on = [
        ASSETS.c.tenant_id == TENANT,
        *([ASSETS.c.code.in_(bindparam("assets", expanding=True))] if asked else []),
    ]
    wallet_on = and_(ACCOUNTS.c.tenant_id == TENANT, ACCOUNTS.c.asset == ASSETS.c.code, ACCOUNTS.c.user_id == USER)
    joined = found.outerjoin(ASSETS, and_(*asset_on)).outerjoin(ACCOUNTS, wallet_on)
    return select(found.c.found, ASSETS.c.code, ACCOUNTS.c.balance, ACCOUNTS.c.held).select_from(joined)


BALANCES_ALL, BALANCES_OF = _balances(asked=False), _balances(asked=True)


def _packages(category: bool, on_offer: bool, kind: bool) -> Select[Any]:
    # every price of the package, as JSON [[position, asset, amount], ...] (records.prices_of)
    prices = (
        select(func.json_group_array(func.json_array(PRICES.c.position, PRICES.c.asset, PRICES.c.amount)))
        .where(PRICES.c.tenant_id == TENANT, PRICES.c.package_id == PACKAGES.c.id)
        .scalar_subquery()
    )
    columns = [PACKAGES.c[name] for name in PACKAGE_COLUMNS]
    statement = select(*columns, prices).where(PACKAGES.c.tenant_id == TENANT)
    if category:
        statement = statement.where(PACKAGES.c.category == bindparam("category"))
    if on_offer:
        statement = statement.where(PACKAGES.c.active.is_(True), PACKAGES.c.archived.is_(False))
    if kind:
        statement = statement.where(PACKAGES.c.kind == bindparam("kind"))
    statement = statement.order_by(PACKAGES.c.category, PACKAGES.c.sort_order, PACKAGES.c.id)
    return statement.offset(bindparam("offset")).limit(bindparam("limit"))


PACKAGE_PAGES = {flags: _packages(*flags) for flags in product((False, True), repeat=3)}


def _entitlements() -> CompoundSelect[Any]:
    # The first SELECT types the columns of the union (ids, UTC datetimes), so it is a typed one.
    services = select(literal(2), null(), ORDERS.c.package_id, ORDERS.c.id, ORDERS.c.active_until).where(
        ORDERS.c.tenant_id == TENANT,
        ORDERS.c.user_id == USER,
        ORDERS.c.package_kind == "service",
        ORDERS.c.status.in_(bindparam("order_statuses", expanding=True)),
        ORDERS.c.active_until > NOW,
    )
    plans = select(literal(1), SUBSCRIPTIONS.c.plan_code, null(), SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.end_at).where(
        SUBSCRIPTIONS.c.tenant_id == TENANT,
        SUBSCRIPTIONS.c.user_id == USER,
        SUBSCRIPTIONS.c.status.in_(bindparam("plan_statuses", expanding=True)),
        SUBSCRIPTIONS.c.end_at > NOW,
    )
    known = select(literal(0), null(), null(), null(), null()).where(USERS.c.tenant_id == TENANT, USERS.c.id == USER)
    return services.union_all(plans, known)


ENTITLEMENTS = _entitlements()


def _figure(part: str, key: ColumnElement[Any] | str, x: list[ColumnElement[Any]], y: list[Any]) -> list[Any]:
    """A row of the referral figures union: (part, key, x high, x low, y high, y low, program)."""
    return [literal(part), key if not isinstance(key, str) else literal(key), *x, *y, null()]


def _referral_figures() -> CompoundSelect[Any]:
    """(part, key, x, y, program) rows as in postgres.py, each sum in two exact parts."""
    zero = [literal(0, BigInteger)]
    nothing = [null(), null()]
    program = select(SETTINGS.c.referral_program).where(SETTINGS.c.tenant_id == TENANT).scalar_subquery()
    # as deep as the program has levels: level 1 always (NULL without a program stops there too)
    levels = (
        select(func.json_array_length(SETTINGS.c.referral_program, "$.level_rates_bps"))
        .where(SETTINGS.c.tenant_id == TENANT)
        .scalar_subquery()
    )
    tree = (
        select(USERS.c.id.label("id"), literal(1).label("level"))
        .where(USERS.c.tenant_id == TENANT, USERS.c.referrer_id == USER)
        .cte("tree", recursive=True)
    )
    below = USERS.alias("below")
    tree = tree.union_all(
        select(below.c.id, tree.c.level + 1).where(
            below.c.tenant_id == TENANT, below.c.referrer_id == tree.c.id, tree.c.level < levels
        )
    )
    net = COMMISSIONS.c.amount - COMMISSIONS.c.clawed_back - COMMISSIONS.c.shortfall
    mine = [COMMISSIONS.c.tenant_id == TENANT, COMMISSIONS.c.referrer_id == USER]
    bonus_transfer = and_(TRANSFERS.c.tenant_id == TENANT, TRANSFERS.c.id == AWARDS.c.transfer_id)
    first = select(
        literal("user"), USERS.c.referral_code, *[null().cast(BigInteger)] * 4, program.label("program")
    ).where(USERS.c.tenant_id == TENANT, USERS.c.id == USER)
    parts = [
        select(*_figure("level", tree.c.level.cast(String), [*zero, func.count()], nothing)).group_by(tree.c.level),
        select(*_figure("sales", "", sum_parts("sqlite", COMMISSIONS.c.base_amount), nothing)).where(
            *mine, COMMISSIONS.c.level == 1
        ),
        select(
            *_figure(
                "commission",
                COMMISSIONS.c.asset,
                sum_parts("sqlite", net),
                sum_parts("sqlite", case((COMMISSIONS.c.available_at > NOW, net), else_=0)),
            )
        )
        .where(*mine)
        .group_by(COMMISSIONS.c.asset),
        select(*_figure("bonus", TRANSFERS.c.asset, sum_parts("sqlite", TRANSFERS.c.amount), nothing))
        .select_from(AWARDS.join(TRANSFERS, bonus_transfer))
        .where(AWARDS.c.tenant_id == TENANT, AWARDS.c.user_id == USER)
        .group_by(TRANSFERS.c.asset),
        select(*_figure("payout", PAYOUTS.c.asset, sum_parts("sqlite", PAYOUTS.c.amount), nothing))
        .where(
            PAYOUTS.c.tenant_id == TENANT,
            PAYOUTS.c.user_id == USER,
            PAYOUTS.c.status.in_(bindparam("payout_statuses", expanding=True)),
        )
        .group_by(PAYOUTS.c.asset),
        # by the tenant's assets, for the wallets' unique index (tenant, asset, user): see postgres.py
        select(*_figure("wallet", ACCOUNTS.c.asset, [*zero, ACCOUNTS.c.balance - ACCOUNTS.c.held], nothing)).where(
            ACCOUNTS.c.tenant_id == TENANT,
            ACCOUNTS.c.asset.in_(select(ASSETS.c.code).where(ASSETS.c.tenant_id == TENANT)),
            ACCOUNTS.c.user_id == USER,
        ),
    ]
    return first.union_all(*parts)


REFERRAL_FIGURES = _referral_figures()


async def _user(connection: AsyncConnection, statement: Select[Any], values: dict[str, Any]) -> UserFields | None:
    row = (await connection.execute(statement, values)).first()
    return UserFields(*row) if row is not None else None


async def user_by_id(connection: AsyncConnection, tenant: uuid.UUID, user: uuid.UUID) -> UserFields | None:
    return await _user(connection, USER_BY_ID, {"tenant": tenant, "user": user})


async def user_by_identity(
    connection: AsyncConnection, tenant: uuid.UUID, platform: str, external_id: str
) -> UserFields | None:
    return await _user(connection, USER_BY_IDENTITY, {"tenant": tenant, "platform": platform, "external": external_id})


async def balances(
    connection: AsyncConnection, tenant: uuid.UUID, user: uuid.UUID, assets: Collection[str]
) -> BalancesView:
    values: dict[str, Any] = {"tenant": tenant, "user": user}
    if assets:
        values["assets"] = list(assets)
    rows = (await connection.execute(BALANCES_OF if assets else BALANCES_ALL, values)).all()
    return BalancesView(
        user_found=bool(rows[0][0]),
        assets=frozenset(r[1] for r in rows if r[1] is not None),
        wallets={r[1]: (r[2], r[3]) for r in rows if r[2] is not None},
    )


async def packages(connection: AsyncConnection, tenant: uuid.UUID, filters: PackageFilters) -> list[PackageFields]:
    statement = PACKAGE_PAGES[(bool(filters.category), filters.on_offer, bool(filters.kind))]
    values = {
        "tenant": tenant,
        "category": filters.category,
        "kind": filters.kind,
        "offset": filters.offset,
        "limit": filters.limit,
    }
    return [
        PackageFields._make([*row[:PACKAGE_PRICES], prices_of(row[PACKAGE_PRICES])])
        for row in await connection.execute(statement, values)
    ]


async def entitlements(
    connection: AsyncConnection,
    tenant: uuid.UUID,
    user: uuid.UUID,
    plan_statuses: Collection[str],
    order_statuses: Collection[str],
    now: dt.datetime,
) -> EntitlementsView:
    values = {
        "tenant": tenant,
        "user": user,
        "now": now,
        "plan_statuses": [str(s) for s in plan_statuses],
        "order_statuses": [str(s) for s in order_statuses],
    }
    rows = (await connection.execute(ENTITLEMENTS, values)).all()
    return EntitlementsView(
        user_found=any(r[0] == 0 for r in rows),
        grants=[Grant(r[1], r[2], r[3], r[4]) for r in rows if r[0] != 0],
    )


async def referral_figures(
    connection: AsyncConnection,
    tenant: uuid.UUID,
    user: uuid.UUID,
    payout_statuses: Collection[str],
    now: dt.datetime,
) -> ReferralFigures | None:
    values = {"tenant": tenant, "user": user, "now": now, "payout_statuses": [str(s) for s in payout_statuses]}
    rows = (await connection.execute(REFERRAL_FIGURES, values)).all()
    found: tuple[str, dict[str, Any] | None] | None = None
    figures: dict[str, dict[str, int]] = {"level": {}, "sales": {}, "bonus": {}, "payout": {}, "wallet": {}}
    commissions: dict[str, tuple[int, int]] = {}
    for part, key, x_high, x_low, y_high, y_low, stored in rows:
        if part == "user":
            found = (key, stored)
        elif part == "commission":
            commissions[key] = (combine((x_high, x_low)), combine((y_high, y_low)))
        else:
            figures[part][key] = combine((x_high, x_low))
    if found is None:
        return None
    code, stored_program = found
    return ReferralFigures(
        referral_code=code,
        program=stored_program or {},
        invited_by_level={int(level): count for level, count in figures["level"].items()},
        level1_sales=figures["sales"].get("", 0),
        commissions=commissions,
        bonuses=figures["bonus"],
        payouts=figures["payout"],
        available=figures["wallet"],
    )
