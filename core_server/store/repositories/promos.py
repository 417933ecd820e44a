"""Promo code queries: the codes (locked while a use is counted) and their uses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, update

from core_server.store.models import PackageRow, PromoRow, PromoUseRow
from core_server.store.raw_tx import RawTx, Sql, time_of
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


async def insert_promo_if_absent(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    """Create the code unless the tenant has one with that code; True when created."""
    return await insert_if_absent(uow.session, cast(Table, PromoRow.__table__), values, ("tenant_id", "code"))


async def get_promo(uow: UnitOfWork, tenant: uuid.UUID, code: str, *, for_update: bool = False) -> PromoRow | None:
    """The code; with for_update, its row lock, which serializes every use of the code."""
    return await uow.session.get(PromoRow, (tenant, code), with_for_update=for_update)


async def list_promos(
    uow: UnitOfWork, tenant: uuid.UUID, *, include_disabled: bool, after: str | None, limit: int
) -> Sequence[PromoRow]:
    """Up to `limit` codes in code order, after the code `after`."""
    statement = select(PromoRow).where(PromoRow.tenant_id == tenant).order_by(PromoRow.code)
    if not include_disabled:
        statement = statement.where(PromoRow.disabled.is_(False))
    if after:
        statement = statement.where(PromoRow.code > after)
    return (await uow.session.execute(statement.limit(limit))).scalars().all()


async def known_packages(uow: UnitOfWork, tenant: uuid.UUID, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` are packages of the tenant."""
    statement = select(PackageRow.id).where(PackageRow.tenant_id == tenant, PackageRow.id.in_(ids))
    return set((await uow.session.execute(statement)).scalars().all())


async def add_use(uow: UnitOfWork, row: PromoUseRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def count_uses(uow: UnitOfWork, tenant: uuid.UUID, code: str, user: uuid.UUID) -> int:
    """The user's uses of the code that were not given back."""
    statement = (
        select(func.count())
        .select_from(PromoUseRow)
        .where(
            PromoUseRow.tenant_id == tenant,
            PromoUseRow.code == code,
            PromoUseRow.user_id == user,
            PromoUseRow.released.is_(False),
        )
    )
    return (await uow.session.scalar(statement)) or 0


async def uses_of_user(uow: UnitOfWork, tenant: uuid.UUID, code: str, user: uuid.UUID) -> Sequence[PromoUseRow]:
    """The user's uses of the code that were not given back, latest first."""
    statement = (
        select(PromoUseRow)
        .where(
            PromoUseRow.tenant_id == tenant,
            PromoUseRow.code == code,
            PromoUseRow.user_id == user,
            PromoUseRow.released.is_(False),
        )
        .order_by(PromoUseRow.created_at.desc(), PromoUseRow.id.desc())
    )
    return (await uow.session.execute(statement)).scalars().all()


async def uses_of_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> Sequence[PromoUseRow]:
    """The uses an order's discount took that were not given back."""
    statement = select(PromoUseRow).where(
        PromoUseRow.tenant_id == tenant, PromoUseRow.order_id == order, PromoUseRow.released.is_(False)
    )
    return (await uow.session.execute(statement)).scalars().all()


async def uncount_use(uow: UnitOfWork, tenant: uuid.UUID, code: str) -> None:
    """Take one use off the code's count (never below zero), in the database."""
    await uow.session.execute(
        update(PromoRow)
        .where(PromoRow.tenant_id == tenant, PromoRow.code == code, PromoRow.used_count > 0)
        .values(used_count=PromoRow.used_count - 1)
    )


# --- the fast path (store/raw_tx.py): a redemption ---------------------------------------------

_PROMO_COLUMNS = (
    "kind, credit_asset, credit_amount, percent_bps, per_user_limit, total_limit, used_count, starts_at,"
    " ends_at, package_ids, categories, disabled, created_at"
)
# The user's `blocked` flag: NULL when the tenant has no such user.
_LOCK_FOR_USE = Sql(
    f"SELECT {_PROMO_COLUMNS}, (SELECT blocked FROM users WHERE tenant_id = $1 AND id = $3)"  # noqa: S608
    " FROM promo_codes WHERE tenant_id = $1 AND code = $2 FOR UPDATE",
    f"SELECT {_PROMO_COLUMNS}, (SELECT blocked FROM users WHERE tenant_id = $1 AND id = $3)"  # noqa: S608
    " FROM promo_codes WHERE tenant_id = $1 AND code = $2",  # SQLite: the writer's transaction is the lock
)
# Its own statement, after the lock: in READ COMMITTED a subquery of the locking statement would
# count with the snapshot taken before the wait, missing the use that the lock holder just added.
_USES = Sql("SELECT count(*) FROM promo_uses WHERE tenant_id = $1 AND code = $2 AND user_id = $3 AND NOT released")
_COUNT_USE = Sql("UPDATE promo_codes SET used_count = $3 WHERE tenant_id = $1 AND code = $2")
_INSERT_USE = Sql(
    "INSERT INTO promo_uses (tenant_id, id, code, user_id, order_id, transfer_id, released, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)


async def lock_for_use(
    tx: RawTx, tenant: uuid.UUID, code: str, user: uuid.UUID
) -> tuple[PromoRow, bool | None, int] | None:
    """The code (locked: every use of it queues here), whether the user is blocked (None: not the
    tenant's user), and how many uses the user holds of it; None for an unknown code."""
    row = await tx.fetchrow(_LOCK_FOR_USE, tenant, code, user)
    if row is None:
        return None
    uses = await tx.fetchrow(_USES, tenant, code, user)
    assert uses is not None
    return _promo_of(tenant, code, row), None if row[13] is None else bool(row[13]), int(uses[0])


def _promo_of(tenant: uuid.UUID, code: str, row: Sequence[Any]) -> PromoRow:
    """A code as _PROMO_COLUMNS read it (a transient row: the caller stores what changes)."""
    return PromoRow(
        tenant_id=tenant, code=code, kind=row[0], credit_asset=row[1], credit_amount=row[2], percent_bps=row[3],
        per_user_limit=row[4], total_limit=row[5], used_count=row[6],
        starts_at=time_of(row[7]) if row[7] is not None else None,
        ends_at=time_of(row[8]) if row[8] is not None else None,
        package_ids=_json_list(row[9]), categories=_json_list(row[10]), disabled=bool(row[11]),
        created_at=time_of(row[12]),
    )  # fmt: skip


def _json_list(value: Any) -> list[str]:
    return list(json.loads(value)) if isinstance(value, str) else list(value or [])


def count_use(tx: RawTx, promo: PromoRow, use: PromoUseRow) -> None:
    """Store a use taken by the domain: the code's new count and the use's row, both deferred to
    the unit's last statement (the code's row is locked by lock_for_use and read no more)."""
    tx.defer(_COUNT_USE, promo.tenant_id, promo.code, promo.used_count)
    tx.defer(
        _INSERT_USE, use.tenant_id, use.id, use.code, use.user_id, use.order_id, use.transfer_id, False,
        use.created_at,
    )  # fmt: skip


# --- the fast path: a discount code on an order (domain/promos/fast_discounts.py) ---------------

_LOCK_FOR_DISCOUNT = Sql(
    f"SELECT {_PROMO_COLUMNS}, (SELECT category FROM packages WHERE tenant_id = $1 AND id = $3)"  # noqa: S608
    " FROM promo_codes WHERE tenant_id = $1 AND code = $2 FOR UPDATE",
    f"SELECT {_PROMO_COLUMNS}, (SELECT category FROM packages WHERE tenant_id = $1 AND id = $3)"  # noqa: S608
    " FROM promo_codes WHERE tenant_id = $1 AND code = $2",  # SQLite: the writer's transaction is the lock
)


async def lock_for_discount(
    tx: RawTx, tenant: uuid.UUID, code: str, user: uuid.UUID, package: uuid.UUID
) -> tuple[PromoRow, str, int] | None:
    """The code (locked, as get_promo(for_update=True) locks it), the category of the package
    ordered and how many uses the user holds of the code (counted after the lock, in its own
    statement: see _USES); None for an unknown code."""
    row = await tx.fetchrow(_LOCK_FOR_DISCOUNT, tenant, code, package)
    if row is None:
        return None
    uses = await tx.fetchrow(_USES, tenant, code, user)
    assert uses is not None
    return _promo_of(tenant, code, row), str(row[13] or ""), int(uses[0])
