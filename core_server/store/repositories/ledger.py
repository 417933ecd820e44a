"""Ledger queries: balance changes as conditional single-row UPDATEs, transfers as inserts.

Every balance change is one statement that both checks and changes (`... WHERE balance - held >=
:amount RETURNING ...`), so two concurrent debits can never both pass a check made in Python.

THE LOCK ORDER of the whole core. Every transaction takes the row locks it needs in this order,
so that no two transactions wait on each other in a circle (a deadlock would reach a client as an
error instead of a decision):

  1. the business row the call is about: an order (then its fulfillment tasks, its commission
     rows, its subscription, the direct referrer's user row when tiers may be awarded), a hold,
     a payout or top-up request, a promo code;
  2. user wallets, by (user id, asset) ascending: `lock_wallets` when a rule must read a balance
     before deciding what to post, otherwise the wallet legs of `ledger.post_many`;
  3. system accounts, by (name, asset), one bucket per account per transaction
     (`ledger.post_many` applies its system legs last; `move_system` keeps the bucket a
     transaction picked).

The ChargeUsage fast path (store/fastpath_pg.py) is one statement: wallet, then bucket; a batch of
charges written together (store/charge_batches_pg.py) locks its wallets by user id, then its one
bucket. The other
fast units change all their balance rows in one statement on PostgreSQL, each leg chained after
the one before it (ledger_writes.apply_legs), in this same order.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core_server.store.ids import new_id
from core_server.store.models import BUCKETS, AccountRow, HoldRow, PayoutRow, TransferRow
from core_server.store.sums import combine, sum_parts
from core_server.store.unit_of_work import UnitOfWork

ACCOUNTS: Table = AccountRow.__table__  # type: ignore[assignment]  # mapped classes carry a Table
TRANSFERS: Table = TransferRow.__table__  # type: ignore[assignment]

# (tenant, asset, system account) -> the ids of its buckets. Rows are never deleted, so this caches
# identity, never balances; updates then address a bucket by primary key, which no query plan can
# get wrong (by name and bucket, PostgreSQL may pick the wallets' unique index and scan every wallet).
_system_buckets: dict[tuple[uuid.UUID, str, str], tuple[uuid.UUID, ...]] = {}


async def credit_wallet(
    uow: UnitOfWork, tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int, *, limit: int
) -> tuple[uuid.UUID, int] | None:
    """Add to a user's wallet, creating it on first use; returns (account id, balance after), or
    None when the balance would pass `limit` (checked by the statement itself: nothing changes)."""
    if amount > limit:
        return None
    module: Any = postgresql if uow.dialect == "postgresql" else sqlite
    statement = module.insert(ACCOUNTS).values(
        tenant_id=tenant,
        id=new_id(),
        asset=asset,
        user_id=user,
        system_name=None,
        bucket=0,
        balance=amount,
        held=0,
        created_at=func.now(),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "asset", "user_id"],
        set_={"balance": ACCOUNTS.c.balance + statement.excluded.balance},
        where=ACCOUNTS.c.balance <= limit - amount,
    ).returning(ACCOUNTS.c.id, ACCOUNTS.c.balance)
    row = (await uow.session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def debit_wallet(
    uow: UnitOfWork, tenant: uuid.UUID, asset: str, user: uuid.UUID, amount: int, *, from_held: int = 0
) -> tuple[uuid.UUID, int] | None:
    """Take from a wallet's available balance (or, with from_held, from a reserved amount);
    None when it is short or does not exist."""
    condition = ACCOUNTS.c.held >= from_held if from_held else (ACCOUNTS.c.balance - ACCOUNTS.c.held) >= amount
    statement = (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.asset == asset, ACCOUNTS.c.user_id == user, condition)
        .values(balance=ACCOUNTS.c.balance - amount, held=ACCOUNTS.c.held - from_held)
        .returning(ACCOUNTS.c.id, ACCOUNTS.c.balance)
    )
    row = (await uow.session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def change_held(uow: UnitOfWork, tenant: uuid.UUID, account: uuid.UUID, delta: int) -> uuid.UUID | None:
    """Reserve (delta > 0, only within the available balance) or release (delta < 0) an amount."""
    condition = (ACCOUNTS.c.balance - ACCOUNTS.c.held) >= delta if delta > 0 else ACCOUNTS.c.held >= -delta
    statement = (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.id == account, condition)
        .values(held=ACCOUNTS.c.held + delta)
        .returning(ACCOUNTS.c.id)
    )
    changed: uuid.UUID | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return changed


async def lock_wallets(
    uow: UnitOfWork, tenant: uuid.UUID, wallets: set[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], int]:
    """Lock the (user, asset) wallets that exist, in the lock order; their available balances."""
    if not wallets:
        return {}
    users = {user for user, _asset in wallets}
    statement = (
        select(ACCOUNTS.c.user_id, ACCOUNTS.c.asset, ACCOUNTS.c.balance - ACCOUNTS.c.held)
        .where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.user_id.in_(users))
        .order_by(ACCOUNTS.c.user_id, ACCOUNTS.c.asset)
        .with_for_update()
    )
    rows = (await uow.session.execute(statement)).all()
    return {(row[0], row[1]): int(row[2]) for row in rows if (row[0], row[1]) in wallets}


async def wallet_id(uow: UnitOfWork, tenant: uuid.UUID, asset: str, user: uuid.UUID) -> uuid.UUID | None:
    statement = select(ACCOUNTS.c.id).where(
        ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.asset == asset, ACCOUNTS.c.user_id == user
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def lock_wallet(uow: UnitOfWork, tenant: uuid.UUID, asset: str, user: uuid.UUID) -> uuid.UUID | None:
    """Lock one (user, asset) wallet if it exists (step 2 of the lock order); its account id."""
    statement = (
        select(ACCOUNTS.c.id)
        .where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.asset == asset, ACCOUNTS.c.user_id == user)
        .with_for_update()
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


def cached_bucket_ids(tenant: uuid.UUID, asset: str, name: str) -> tuple[uuid.UUID, ...] | None:
    return _system_buckets.get((tenant, asset, name))


def forget_buckets(tenant: uuid.UUID, asset: str, name: str) -> None:
    """Drop a stale belief (a database recreated under a running process, as tests do)."""
    _system_buckets.pop((tenant, asset, name), None)


async def bucket_ids(uow: UnitOfWork, tenant: uuid.UUID, asset: str, name: str) -> tuple[uuid.UUID, ...]:
    """The ids of a system account's buckets, created if missing; cached once the transaction commits."""
    key = (tenant, asset, name)
    cached = _system_buckets.get(key)
    if cached is not None:
        return cached
    await ensure_system_account(uow, tenant, asset, name)
    statement = (
        select(ACCOUNTS.c.id)
        .where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.asset == asset, ACCOUNTS.c.system_name == name)
        .order_by(ACCOUNTS.c.bucket)
    )
    ids = tuple((await uow.session.execute(statement)).scalars().all())
    uow.after_commit(lambda: _system_buckets.__setitem__(key, ids))
    return ids


async def move_system(
    uow: UnitOfWork, tenant: uuid.UUID, asset: str, name: str, delta: int, *, limit: int
) -> uuid.UUID | None:
    """Change a system account by delta in one of its buckets whose balance stays within
    [-limit, limit]: the bucket this transaction already uses for the account (else a random one)
    first, the others only when it has no room, so that a transaction keeps to one bucket per
    account (the lock order). None when no bucket has room (each UPDATE checks the bound itself)."""
    ids = list(await bucket_ids(uow, tenant, asset, name))
    random.shuffle(ids)
    picked = uow.picked_buckets.get((tenant, asset, name))
    if picked in ids:
        ids.remove(picked)
        ids.insert(0, picked)
    room = ACCOUNTS.c.balance <= limit - delta if delta > 0 else ACCOUNTS.c.balance >= -limit - delta
    for bucket in ids:
        statement = (
            update(ACCOUNTS)
            .where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.id == bucket, room)
            .values(balance=ACCOUNTS.c.balance + delta)
            .returning(ACCOUNTS.c.id)
        )
        account: uuid.UUID | None = (await uow.session.execute(statement)).scalar_one_or_none()
        if account is not None:
            uow.picked_buckets[(tenant, asset, name)] = account
            return account
    exists = select(ACCOUNTS.c.id).where(ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.id == ids[0])
    if (await uow.session.execute(exists)).first() is None:
        # a process-local belief went stale (tests dropping databases): look again
        forget_buckets(tenant, asset, name)
        uow.picked_buckets.pop((tenant, asset, name), None)
        return await move_system(uow, tenant, asset, name, delta, limit=limit)
    return None


async def ensure_system_account(uow: UnitOfWork, tenant: uuid.UUID, asset: str, name: str) -> None:
    """Create the buckets of a system account if missing. Rows are never deleted, so remembering
    that they exist is safe (a cache of existence, never of balances)."""
    module: Any = postgresql if uow.dialect == "postgresql" else sqlite
    rows = [
        {
            "tenant_id": tenant,
            "id": new_id(),
            "asset": asset,
            "user_id": None,
            "system_name": name,
            "bucket": bucket,
            "balance": 0,
            "held": 0,
            "created_at": func.now(),
        }
        for bucket in range(BUCKETS)
    ]
    async with uow.savepoint():
        for row in rows:
            statement = (
                module.insert(ACCOUNTS)
                .values(**row)
                .on_conflict_do_nothing(index_elements=["tenant_id", "asset", "system_name", "bucket"])
            )
            await uow.session.execute(statement)


async def insert_transfers(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    await uow.session.execute(insert(TRANSFERS), list(rows))


async def wallets_of(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID) -> Sequence[AccountRow]:
    statement = select(AccountRow).where(AccountRow.tenant_id == tenant, AccountRow.user_id == user)
    return (await uow.session.execute(statement)).scalars().all()


async def account_owners(
    uow: UnitOfWork, tenant: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID | None, str | None]]:
    """account id -> (user id, system name), for showing transfers."""
    if not ids:
        return {}
    statement = select(ACCOUNTS.c.id, ACCOUNTS.c.user_id, ACCOUNTS.c.system_name).where(
        ACCOUNTS.c.tenant_id == tenant, ACCOUNTS.c.id.in_(ids)
    )
    return {row[0]: (row[1], row[2]) for row in await uow.session.execute(statement)}


async def get_transfer(uow: UnitOfWork, tenant: uuid.UUID, transfer: uuid.UUID) -> TransferRow | None:
    return await uow.session.get(TransferRow, (tenant, transfer))


def transfer_filters(
    tenant: uuid.UUID,
    account_ids: Sequence[uuid.UUID] | None,
    asset: str | None,
    kinds: Sequence[str],
    start: Any,
    end: Any,
) -> list[Any]:
    conditions: list[Any] = [TransferRow.tenant_id == tenant]
    if account_ids is not None:
        conditions.append(
            TransferRow.debit_account_id.in_(account_ids) | TransferRow.credit_account_id.in_(account_ids)
        )
    if asset:
        conditions.append(TransferRow.asset == asset)
    if kinds:
        conditions.append(TransferRow.kind.in_(kinds))
    if start is not None:
        conditions.append(TransferRow.created_at >= start)
    if end is not None:
        conditions.append(TransferRow.created_at < end)
    return conditions


async def list_transfers(
    uow: UnitOfWork, conditions: list[Any], *, before: uuid.UUID | None, limit: int
) -> Sequence[TransferRow]:
    statement = select(TransferRow).where(*conditions).order_by(TransferRow.id.desc()).limit(limit)
    if before is not None:
        statement = statement.where(TransferRow.id < before)
    return (await uow.session.execute(statement)).scalars().all()


async def add_hold(uow: UnitOfWork, row: HoldRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_hold(uow: UnitOfWork, tenant: uuid.UUID, hold: uuid.UUID, *, for_update: bool = False) -> HoldRow | None:
    statement = select(HoldRow).where(HoldRow.tenant_id == tenant, HoldRow.id == hold)
    if for_update:
        statement = statement.with_for_update()
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def is_payout_hold(uow: UnitOfWork, tenant: uuid.UUID, hold: uuid.UUID) -> bool:
    """Whether a payout request reserved its amount through this hold (then only the request decides it)."""
    statement = select(PayoutRow.id).where(PayoutRow.tenant_id == tenant, PayoutRow.hold_id == hold).limit(1)
    return (await uow.session.execute(statement)).first() is not None


async def expired_holds(uow: UnitOfWork, pending: str, now: Any, limit: int) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
    statement = (
        select(HoldRow.tenant_id, HoldRow.id)
        .where(HoldRow.status == pending, HoldRow.expires_at <= now)
        .order_by(HoldRow.expires_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await uow.session.execute(statement)]


async def _sums_by(uow: UnitOfWork, key: Any, value: Any, *conditions: Any) -> dict[uuid.UUID, int]:
    """key -> SUM(value) over the rows that meet the conditions, exact (store/sums.py)."""
    rows = await uow.session.execute(select(key, *sum_parts(uow.dialect, value)).where(*conditions).group_by(key))
    return {row[0]: combine(row[1:]) for row in rows}


async def verification_rows(uow: UnitOfWork, tenant: uuid.UUID, pending_hold: str) -> dict[str, Any]:
    """Everything the invariants are computed from, aggregated in the database (sums exact
    whatever their size: store/sums.py)."""
    accounts = (
        await uow.session.execute(
            select(
                ACCOUNTS.c.id,
                ACCOUNTS.c.asset,
                ACCOUNTS.c.user_id,
                ACCOUNTS.c.system_name,
                ACCOUNTS.c.balance,
                ACCOUNTS.c.held,
            ).where(ACCOUNTS.c.tenant_id == tenant)
        )
    ).all()
    in_tenant = TRANSFERS.c.tenant_id == tenant
    debits = await _sums_by(uow, TRANSFERS.c.debit_account_id, TRANSFERS.c.amount, in_tenant)
    credits = await _sums_by(uow, TRANSFERS.c.credit_account_id, TRANSFERS.c.amount, in_tenant)
    pending = (HoldRow.tenant_id == tenant, HoldRow.status == pending_hold)
    holds = await _sums_by(uow, HoldRow.account_id, HoldRow.amount, *pending)
    count = (
        await uow.session.execute(select(func.count()).select_from(TRANSFERS).where(TRANSFERS.c.tenant_id == tenant))
    ).scalar_one()
    return {"accounts": accounts, "debits": debits, "credits": credits, "holds": holds, "transfers": count}


async def export_batch(
    uow: UnitOfWork, conditions: list[Any], *, after: uuid.UUID | None, limit: int
) -> Sequence[TransferRow]:
    """The next `limit` transfers by id (time order), keyset-paged."""
    statement = select(TransferRow).where(*conditions).order_by(TransferRow.id).limit(limit)
    if after is not None:
        statement = statement.where(TransferRow.id > after)
    return (await uow.session.execute(statement)).scalars().all()
