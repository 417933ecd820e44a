"""Order queries: an order (locked while it changes: step 1 of the lock order in ledger.py), lists,
and the expiry worker's candidates. Statuses come in as values from the domain, which owns what
they mean."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from core_server.store.models import OrderRow
from core_server.store.raw_tx import RawTx, Sql
from core_server.store.repositories.keyset import newest_first
from core_server.store.unit_of_work import UnitOfWork


async def add_order(uow: UnitOfWork, row: OrderRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> OrderRow | None:
    return await uow.session.get(OrderRow, (tenant, order))


async def orders_by_id(uow: UnitOfWork, tenant: uuid.UUID, orders: Collection[uuid.UUID]) -> list[OrderRow]:
    """The tenant's orders among `orders` (a page's worth: one statement)."""
    statement = select(OrderRow).where(OrderRow.tenant_id == tenant, OrderRow.id.in_(list(orders)))
    return list((await uow.session.execute(statement)).scalars())


async def lock_order(uow: UnitOfWork, tenant: uuid.UUID, order: uuid.UUID) -> OrderRow | None:
    """The order, locked (FOR UPDATE): the first lock of every path that changes it."""
    statement = select(OrderRow).where(OrderRow.tenant_id == tenant, OrderRow.id == order).with_for_update()
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def list_orders(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    package: uuid.UUID | None,
    statuses: Collection[str],
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[OrderRow]:
    """Up to `limit` orders, newest first, older than `before`, of one user, package and any of
    `statuses` when given."""
    statement = select(OrderRow).where(OrderRow.tenant_id == tenant)
    if user is not None:
        statement = statement.where(OrderRow.user_id == user)
    if package is not None:
        statement = statement.where(OrderRow.package_id == package)
    if statuses:
        statement = statement.where(OrderRow.status.in_(statuses))
    return await newest_first(uow, statement, OrderRow.id, before, limit)


async def export_batch(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    start: dt.datetime | None,
    end: dt.datetime | None,
    statuses: Collection[str],
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[OrderRow]:
    """The next `limit` orders by id (time order) after `after`, created in [start, end) and in any
    of `statuses` when given: keyset-paged on the primary key, so every batch costs the same."""
    statement = select(OrderRow).where(OrderRow.tenant_id == tenant)
    if start is not None:
        statement = statement.where(OrderRow.created_at >= start)
    if end is not None:
        statement = statement.where(OrderRow.created_at < end)
    if statuses:
        statement = statement.where(OrderRow.status.in_(statuses))
    if after is not None:
        statement = statement.where(OrderRow.id > after)
    return (await uow.session.execute(statement.order_by(OrderRow.id).limit(limit))).scalars().all()


async def due_to_expire(
    uow: UnitOfWork, status: str, now: dt.datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, id) of up to `limit` orders in `status` whose expiry is past, read without locks
    (the caller locks each one and checks again)."""
    statement = (
        select(OrderRow.tenant_id, OrderRow.id)
        .where(OrderRow.status == status, OrderRow.expires_at <= now)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await uow.session.execute(statement)]


# --- the fast path (store/raw_tx.py): a purchase from the wallet -------------------------------

# The price is the one in the asset asked for ($4; '' = the primary price's asset), NULL when the
# package has none in it.
_FACTS = Sql(
    "SELECT u.referrer_id IS NOT NULL, p.kind, p.active, p.archived, pp.asset, pp.amount, p.per_unit,"
    " p.min_quantity, p.max_quantity, p.delivers_asset, p.delivers_amount, p.active_days,"
    " (SELECT s.order_ttl_seconds FROM tenant_settings s WHERE s.tenant_id = $1), u.blocked,"
    " COALESCE((SELECT w.balance - w.held FROM ledger_accounts w"
    " WHERE w.tenant_id = $1 AND w.asset = pp.asset AND w.user_id = u.id), 0)"
    " FROM users u JOIN packages p ON p.tenant_id = $1 AND p.id = $3"
    " LEFT JOIN package_prices pp ON pp.tenant_id = $1 AND pp.package_id = p.id"
    " AND pp.asset = CASE WHEN $4 = '' THEN p.price_asset ELSE $4 END"
    " WHERE u.tenant_id = $1 AND u.id = $2"
)
_ORDER_COLUMNS = (
    "tenant_id, id, user_id, package_id, package_kind, quantity, recipient, asset, subtotal, discount, total,"
    " promo_code, status, paid_via, refunded, failure_reason, delivery, expires_at, active_until, created_at,"
    " paid_at, fulfilled_at, closed_at"
)
_INSERT_ORDER = Sql(
    f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES"  # noqa: S608  # constant column names
    " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
)


@dataclass(frozen=True, slots=True)
class PurchaseFacts:
    """What a purchase needs to know of its buyer and package, read in one statement."""

    buyer_has_referrer: bool
    kind: str
    active: bool
    archived: bool
    price_asset: str | None  # the price in the asset asked for: None when the package has none there
    price_amount: int | None
    per_unit: bool
    min_quantity: int
    max_quantity: int
    delivers_asset: str | None
    delivers_amount: int | None
    active_days: int
    order_ttl_seconds: int | None
    buyer_blocked: bool  # by the tenant's admin: the buyer may not order (USER_BLOCKED)
    buyer_available: int  # in the price's asset when read: a purchase it cannot pay is refused at once


async def purchase_facts(
    tx: RawTx, tenant: uuid.UUID, user: uuid.UUID, package: uuid.UUID, pay_asset: str
) -> PurchaseFacts | None:
    """The buyer and the package with its price in `pay_asset` ('' = the primary price), in one
    statement; None when the user or the package is not the tenant's. It locks nothing, so it
    is read before the transaction begins (RawTx.read): in READ COMMITTED a read inside sees no
    more than that, and what the purchase must be sure of, the buyer's funds, its debit checks
    again (the available balance read here only refuses at once a purchase it cannot pay)."""
    row = await tx.read(_FACTS, tenant, user, package, pay_asset)
    if row is None:
        return None
    return PurchaseFacts(
        bool(row[0]), row[1], bool(row[2]), bool(row[3]), row[4], None if row[5] is None else int(row[5]),
        bool(row[6]), int(row[7]), int(row[8]), row[9], row[10], int(row[11]), row[12], bool(row[13]), int(row[14]),
    )  # fmt: skip


def insert_order(tx: RawTx, row: OrderRow) -> None:
    """An order built by the domain (a transient OrderRow), inserted without the session (deferred)."""
    tx.defer(
        _INSERT_ORDER,
        row.tenant_id, row.id, row.user_id, row.package_id, row.package_kind, row.quantity, row.recipient,
        row.asset, row.subtotal, row.discount, row.total, row.promo_code, row.status, row.paid_via, row.refunded,
        row.failure_reason, json.dumps(row.delivery), row.expires_at, row.active_until, row.created_at,
        row.paid_at, row.fulfilled_at, row.closed_at,
    )  # fmt: skip
