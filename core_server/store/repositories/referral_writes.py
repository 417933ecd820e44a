"""Referral commissions on the fast path (store/raw_tx.py): the program with the buyer's referrer
chain in one statement, the direct referrer's tier lock and standing, and the commission rows.

The same reads and rows as store/repositories/referrals.py and commissions.py do through the
ORM; the domain (domain/referrals/fast_commissions.py) applies the same rules to them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from core_server.store.models import CommissionRow
from core_server.store.raw_tx import RawTx, Sql, uuid_of
from core_server.store.sums import SPLIT, combine

CHAIN_LEVELS = 5  # the deepest chain a program pays (domain/referrals/program.py MAX_LEVELS)

# u1 is the buyer; u<n>.referrer_id is the referrer at level n (NULL past the chain's end).
_PROGRAM_AND_CHAIN = Sql(
    "SELECT (SELECT s.referral_program FROM tenant_settings s WHERE s.tenant_id = $1),"
    " u1.referrer_id, u2.referrer_id, u3.referrer_id, u4.referrer_id, u5.referrer_id"
    " FROM users u1"
    " LEFT JOIN users u2 ON u2.tenant_id = $1 AND u2.id = u1.referrer_id"
    " LEFT JOIN users u3 ON u3.tenant_id = $1 AND u3.id = u2.referrer_id"
    " LEFT JOIN users u4 ON u4.tenant_id = $1 AND u4.id = u3.referrer_id"
    " LEFT JOIN users u5 ON u5.tenant_id = $1 AND u5.id = u4.referrer_id"
    " WHERE u1.tenant_id = $1 AND u1.id = $2"
)
# referrals.lock_referrer: FOR NO KEY UPDATE, which the KEY SHARE of registering referrals passes.
_LOCK_REFERRER = Sql(
    "SELECT id FROM users WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE",
    "SELECT id FROM users WHERE tenant_id = $1 AND id = $2",  # SQLite: the writer's transaction is the lock
)
# Its own statement, after the lock: in READ COMMITTED a subquery of the locking statement would
# read with the snapshot taken before the wait, missing the sale the lock holder just recorded.
_STANDING = Sql(
    "SELECT (SELECT count(*) FROM users WHERE tenant_id = $1 AND referrer_id = $2),"
    " (SELECT sum(base_amount) FROM referral_commissions WHERE tenant_id = $1 AND referrer_id = $2 AND level = 1),"
    " NULL",
    "SELECT (SELECT count(*) FROM users WHERE tenant_id = $1 AND referrer_id = $2),"  # noqa: S608  # a constant
    f" (SELECT sum(base_amount / {SPLIT}) FROM referral_commissions"
    " WHERE tenant_id = $1 AND referrer_id = $2 AND level = 1),"
    f" (SELECT sum(base_amount % {SPLIT}) FROM referral_commissions"
    " WHERE tenant_id = $1 AND referrer_id = $2 AND level = 1)",
)
_AWARDED = Sql("SELECT tier_name FROM referral_tier_awards WHERE tenant_id = $1 AND user_id = $2")
_COMMISSION_COLUMNS = (
    "tenant_id, id, order_id, referrer_id, buyer_id, level, asset, amount, base_amount, clawed_back, shortfall,"
    " transfer_id, available_at, created_at"
)
_INSERT_COMMISSION = Sql(
    f"INSERT INTO referral_commissions ({_COMMISSION_COLUMNS})"  # noqa: S608  # constant column names
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
)


async def program_and_chain(
    tx: RawTx, tenant: uuid.UUID, buyer: uuid.UUID
) -> tuple[dict[str, Any], list[uuid.UUID | None]] | None:
    """The tenant's stored referral program ({} when it has none) and the buyer's referrers by
    level (1 first, CHAIN_LEVELS of them, None past the chain's end); None for no such buyer. It
    locks nothing, so it is read before the transaction begins if it has not (RawTx.read): a
    purchase by a referred buyer whose commissions take no tier lock is then its reads and one
    statement."""
    row = await tx.read(_PROGRAM_AND_CHAIN, tenant, buyer)
    if row is None:
        return None
    stored = row[0]
    program = json.loads(stored) if isinstance(stored, str) else dict(stored or {})
    return program or {}, [uuid_of(value) if value is not None else None for value in row[1:]]


async def lock_referrer(tx: RawTx, tenant: uuid.UUID, referrer: uuid.UUID) -> None:
    """Serialize tier decisions per referrer (referrals.lock_referrer on a raw transaction)."""
    await tx.execute(_LOCK_REFERRER, tenant, referrer)


async def standing(tx: RawTx, tenant: uuid.UUID, referrer: uuid.UUID) -> tuple[int, int]:
    """(direct referrals, level 1 sales), exact as referrals.standing reads them."""
    row = await tx.fetchrow(_STANDING, tenant, referrer)
    assert row is not None
    sales = combine([row[1]] if tx.dialect == "postgresql" else [row[1], row[2]])
    return int(row[0] or 0), sales


async def awarded_tiers(tx: RawTx, tenant: uuid.UUID, referrer: uuid.UUID) -> set[str]:
    """The names of the tiers the referrer was already awarded."""
    return {str(row[0]) for row in await tx.fetch(_AWARDED, tenant, referrer)}


def insert_commissions(tx: RawTx, rows: Sequence[CommissionRow]) -> None:
    """Commission rows built by the domain, inserted without the session (deferred, after the
    order's own row: they reference it)."""
    for row in rows:
        tx.defer(
            _INSERT_COMMISSION,
            row.tenant_id, row.id, row.order_id, row.referrer_id, row.buyer_id, row.level, row.asset, row.amount,
            row.base_amount, 0, 0, row.transfer_id, row.available_at, row.created_at,
        )  # fmt: skip
