"""The reads a bot makes on every screen (balances, the user, packages, entitlements, referral
stats), each ONE statement without ORM entity loading, so that a read costs little more than the
transport: on PostgreSQL over the fast path's asyncpg pool (reads/postgres.py), on SQLite as
SQLAlchemy Core on a plain connection (reads/sqlite.py). Both select the same columns in the same
order (reads/records.py) and filter every table they touch by the tenant.

What a read finds is returned as is; what it means (NOT_FOUND, the response) is the domain's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from core_server.store.db import Database
from core_server.store.reads import postgres, sqlite
from core_server.store.reads.records import (
    BalancesView,
    EntitlementsView,
    PackageFields,
    PackageFilters,
    ReferralFigures,
    UserFields,
)

__all__ = [
    "BalancesView",
    "EntitlementsView",
    "PackageFields",
    "PackageFilters",
    "ReferralFigures",
    "ScreenReads",
    "UserFields",
]


class ScreenReads:
    """The screen reads of one process: on the fast path's asyncpg pool when there is one
    (PostgreSQL; concurrent reads of a kind share statements there), else on a connection of the
    reader engine (SQLite: never waits for the writer). Each is a call of its own and sees what has
    committed; a use case that must see its own call's writes reads through `Deps.read_uow()`,
    which joins the call's unit."""

    def __init__(self, db: Database, fetch: postgres.Fetch | None) -> None:
        """`fetch`: the fast path's (PgFastPath.read), on PostgreSQL."""
        self._db = db
        self._fetch = fetch

    async def user_by_id(self, tenant: uuid.UUID, user: uuid.UUID) -> UserFields | None:
        if self._fetch is not None:
            return await postgres.user_by_id(self._fetch, tenant, user)
        async with self._db.reader.connect() as connection:
            return await sqlite.user_by_id(connection, tenant, user)

    async def user_by_identity(self, tenant: uuid.UUID, platform: str, external_id: str) -> UserFields | None:
        if self._fetch is not None:
            return await postgres.user_by_identity(self._fetch, tenant, platform, external_id)
        async with self._db.reader.connect() as connection:
            return await sqlite.user_by_identity(connection, tenant, platform, external_id)

    async def balances(self, tenant: uuid.UUID, user: uuid.UUID, assets: Collection[str]) -> BalancesView:
        """The user's wallets in the tenant's assets, or in those of `assets` (none: all)."""
        if self._fetch is not None:
            return await postgres.balances(self._fetch, tenant, user, assets)
        async with self._db.reader.connect() as connection:
            return await sqlite.balances(connection, tenant, user, assets)

    async def packages(self, tenant: uuid.UUID, filters: PackageFilters) -> list[PackageFields]:
        if self._fetch is not None:
            return await postgres.packages(self._fetch, tenant, filters)
        async with self._db.reader.connect() as connection:
            return await sqlite.packages(connection, tenant, filters)

    async def entitlements(
        self,
        tenant: uuid.UUID,
        user: uuid.UUID,
        plan_statuses: Collection[str],
        order_statuses: Collection[str],
        now: dt.datetime,
    ) -> EntitlementsView:
        """Whether the user exists; their plans in `plan_statuses` and service orders in
        `order_statuses` that still run at `now`."""
        if self._fetch is not None:
            return await postgres.entitlements(self._fetch, tenant, user, plan_statuses, order_statuses, now)
        async with self._db.reader.connect() as connection:
            return await sqlite.entitlements(connection, tenant, user, plan_statuses, order_statuses, now)

    async def referral_figures(
        self, tenant: uuid.UUID, user: uuid.UUID, payout_statuses: Collection[str], now: dt.datetime
    ) -> ReferralFigures | None:
        """The referrer's standing and earnings, or None when the user does not exist."""
        if self._fetch is not None:
            return await postgres.referral_figures(self._fetch, tenant, user, payout_statuses, now)
        async with self._db.reader.connect() as connection:
            return await sqlite.referral_figures(connection, tenant, user, payout_statuses, now)
