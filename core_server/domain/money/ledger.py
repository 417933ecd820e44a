"""The double-entry ledger: postings, transfers and the invariants.

A posting moves a positive amount from one account to another; `post` applies a list of them in
the caller's transaction (linked: all or none) and records one immutable transfer each. User
wallets are debited by a conditional UPDATE that fails rather than go below zero; system accounts
("revenue", "adjustments", "referral_expense", "provider:<name>", ...) may go negative.

Invariants (VerifyLedger): per asset the balances sum to zero; every balance equals its credits
minus its debits; every held amount equals the account's pending holds; no wallet is negative.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import Any

from core_server.domain.events import EventFeed, emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money.amounts import MAX_BALANCE, BalanceLimit, InsufficientFunds
from core_server.domain.money.hold_model import HoldStatus
from core_server.store.ids import new_id
from core_server.store.models import TransferRow
from core_server.store.raw_tx import Later, PgTx
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.repositories import ledger_writes
from core_server.store.unit_of_work import UnitOfWork

REVENUE = "revenue"
ADJUSTMENTS = "adjustments"


@dataclass(frozen=True, slots=True)
class Wallet:
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class System:
    name: str


Account = Wallet | System


@dataclass(frozen=True, slots=True)
class Posting:
    """One movement. `from_held` debits a wallet out of a reservation of that size (a hold's
    capture): the reservation is released in the same statement."""

    debit: Account
    credit: Account
    amount: int
    kind: str
    reference: str = ""
    reason: str = ""
    actor: str = ""
    from_held: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    id: uuid.UUID
    asset: str
    kind: str
    amount: int
    debit: Account
    credit: Account
    reference: str
    link_id: uuid.UUID | None
    reason: str
    actor: str
    debit_balance_after: int | None
    credit_balance_after: int | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Drift:
    asset: str
    account: Account | None
    check: str
    expected: int
    actual: int


@dataclass(frozen=True, slots=True)
class Verification:
    drifts: list[Drift]
    accounts: int
    transfers: int


async def _apply(
    uow: UnitOfWork, tenant: uuid.UUID, asset: str, account: Account, delta: int, from_held: int
) -> tuple[uuid.UUID, int | None]:
    if isinstance(account, System):
        moved = await ledger_repo.move_system(uow, tenant, asset, account.name, delta, limit=MAX_BALANCE)
        if moved is None:
            raise BalanceLimit(asset)
        return moved, None
    if delta > 0:
        credited = await ledger_repo.credit_wallet(uow, tenant, asset, account.user_id, delta, limit=MAX_BALANCE)
        if credited is None:
            raise BalanceLimit(asset)
        return credited
    debited = await ledger_repo.debit_wallet(uow, tenant, asset, account.user_id, -delta, from_held=from_held)
    if debited is None:
        raise InsufficientFunds(asset, -delta)
    return debited


def _wallet_event(
    transfer: Transfer, side: Account, balance: int | Later | None, type_: str
) -> tuple[str, dict[str, Any]]:
    assert isinstance(side, Wallet)
    return type_, {
        "user_id": str(side.user_id),
        "asset": transfer.asset,
        "amount_minor": transfer.amount,
        "balance_minor": balance,
        "transfer_id": str(transfer.id),
        "kind": transfer.kind,
        "reference": transfer.reference,
    }


async def post(
    uow: UnitOfWork,
    feed: EventFeed,
    tenant: uuid.UUID,
    asset: str,
    postings: Sequence[Posting],
    now: dt.datetime,
    *,
    linked: bool = False,
    link_id: uuid.UUID | None = None,
) -> list[Transfer]:
    """Apply postings of one asset in the caller's transaction; see `post_many`."""
    if link_id is None and linked and len(postings) > 1:
        link_id = new_id()
    return await post_many(uow, feed, tenant, [(asset, posting) for posting in postings], now, link_id=link_id)


def _lock_key(leg: tuple[int, str, Account]) -> tuple[int, str, str]:
    """THE LOCK ORDER of balance rows (see store/repositories/ledger.py): user wallets by (user id,
    asset), then system accounts by (name, asset)."""
    _index, asset, account = leg
    if isinstance(account, Wallet):
        return (0, account.user_id.hex, asset)
    return (1, account.name, asset)


async def post_many(
    uow: UnitOfWork,
    feed: EventFeed,
    tenant: uuid.UUID,
    postings: Sequence[tuple[str, Posting]],
    now: dt.datetime,
    *,
    link_id: uuid.UUID | None = None,
) -> list[Transfer]:
    """Apply (asset, posting) pairs in the caller's transaction: all or none, once the caller's
    unit of work commits or rolls back (InsufficientFunds when a wallet would go below zero).

    The balance rows are changed in the core's one lock order, not in posting order: every wallet
    leg first (by user id, then asset), then every system leg (by name, then asset), each row once
    per leg in a stable order, so that two transactions touching the same rows never wait on each
    other in a circle. Transfers are recorded in posting order. Emits wallet.debited/credited."""

    async def apply(asset: str, account: Account, delta: int, from_held: int) -> tuple[uuid.UUID, int | None]:
        return await _apply(uow, tenant, asset, account, delta, from_held)

    transfers, rows = await _post(apply, tenant, postings, now, link_id)
    if rows:
        await ledger_repo.insert_transfers(uow, rows)
    for type_, data in _wallet_events(transfers):
        await emit(uow, feed, tenant, type_, data, now)
    return transfers


async def post_raw(
    unit: FastUnit, postings: Sequence[tuple[str, Posting]], *, link_id: uuid.UUID | None = None
) -> list[Transfer]:
    """`post_many` on a fast unit's raw transaction: the same legs in the same lock order, the
    same transfers and events, a few prepared statements. TakeOrmPath when a system account's
    buckets are not cached here yet or none has room (the ORM path then decides). The cache is
    asked before any statement: an asset no account of which was ever cached (one the tenant may
    not even have) takes the ORM path before a wallet is touched."""
    tenant = unit.tenant
    for asset, posting in postings:
        for side in (posting.debit, posting.credit):
            if isinstance(side, System) and ledger_repo.cached_bucket_ids(tenant, asset, side.name) is None:
                raise TakeOrmPath(f"the buckets of {side.name} {asset} are not cached yet")

    async def apply(asset: str, account: Account, delta: int, from_held: int) -> tuple[uuid.UUID, int | None]:
        if isinstance(account, System):
            return await _move_system_raw(unit, asset, account.name, delta), None
        if delta > 0:
            credited = await ledger_writes.credit_wallet(
                unit.tx, tenant, asset, account.user_id, delta, limit=MAX_BALANCE, now=unit.now
            )
            if credited is None:
                raise BalanceLimit(asset)
            return credited
        debited = await ledger_writes.debit_wallet(unit.tx, tenant, asset, account.user_id, -delta, from_held=from_held)
        if debited is None:
            raise InsufficientFunds(asset, -delta)
        return debited

    transfers, rows = await _post(apply, tenant, postings, unit.now, link_id, partial(_apply_leading_raw, unit))
    if rows:
        ledger_writes.insert_transfers(unit.tx, [list(row.values()) for row in rows])
    for type_, data in _wallet_events(transfers):
        unit.emit(type_, data)
    return transfers


@dataclass(frozen=True, slots=True)
class WalletLater:
    """A wallet as the unit's last statement leaves it (PostgreSQL): values only it computes."""

    balance: Later
    held: Later


@dataclass(frozen=True, slots=True)
class PostedLater:
    """Postings made parts of the unit's last statement: the transfers (a wallet's balance after
    is 0 in them) and, in transfer order, debit before credit, each wallet side as that statement
    leaves it: values only it computes."""

    transfers: list[Transfer]
    wallets: list[WalletLater]

    @property
    def balances(self) -> list[Later]:
        return [wallet.balance for wallet in self.wallets]


def post_many_later(
    unit: FastUnit,
    postings: Sequence[tuple[str, Posting]],
    *,
    link_id: uuid.UUID | None = None,
    after: Later | None = None,
    transfer_ids: Sequence[uuid.UUID] = (),
) -> PostedLater | None:
    """`post_raw` as parts of the unit's last statement (PostgreSQL): the same legs in the same
    lock order, the same transfers and wallet events, and no statement of their own, so that a
    unit that writes nothing else (a purchase, an adjustment) is one round trip.

    None, before anything is deferred, when one statement cannot make them: not PostgreSQL, a
    wallet changed by two legs, or a system account both debited and credited (a statement changes
    a row once; a system account's changes all one way are one leg of their sum), a system account
    whose buckets are not cached, a wallet credit no wallet can take. The caller then posts them with `post_raw`, which
    decides exactly. A leg whose condition fails when the statement runs (a short wallet, a full
    bucket, a new wallet of a user or asset the tenant does not have) fails the statement,
    changing nothing: TakeOrmPath, and the ORM path decides. `after`: a guard the legs come after
    (the business row they settle, first in the lock order); `transfer_ids`: the transfers' ids
    when the caller wrote them already (in that row, say)."""
    tx = unit.tx
    if not isinstance(tx, PgTx) or not postings:
        return None
    legs: list[tuple[int, str, Account]] = []
    for index, (asset, posting) in enumerate(postings):
        if posting.amount <= 0:
            raise ValueError("postings move positive amounts")
        legs += [(2 * index, asset, posting.debit), (2 * index + 1, asset, posting.credit)]
    by_row: dict[tuple[int, str, str], list[tuple[int, tuple[str, Account, int, int]]]] = {}  # in the lock order
    for key, (index, asset, account) in sorted(((_lock_key(leg), leg) for leg in legs), key=itemgetter(0)):
        by_row.setdefault(key, []).append((index, _change(postings[index // 2][1], index, asset, account)))
    batch: list[ledger_writes.Leg] = []
    for members in by_row.values():
        changes = [change for _index, change in members]
        leg = _statement_leg(unit, *_one_change(changes)) if _one_row_change(changes) else None
        if leg is None:
            return None
        batch.append(leg)
    afters = {
        index: leg_after
        for members, leg_after in zip(by_row.values(), ledger_writes.defer_legs(tx, batch, after), strict=True)
        for index, _change_of_it in members
    }
    transfer_rows: list[list[Any]] = []
    transfers: list[Transfer] = []
    wallets: list[WalletLater] = []
    events: list[tuple[str, dict[str, Any]]] = []
    ids = list(transfer_ids) or [new_id() for _ in postings]
    for index, (asset, posting) in enumerate(postings):
        debit, credit = afters[2 * index], afters[2 * index + 1]
        debit_wallet, credit_wallet = isinstance(posting.debit, Wallet), isinstance(posting.credit, Wallet)
        transfer = _transfer(
            asset, posting, link_id, 0 if debit_wallet else None, 0 if credit_wallet else None, unit.now, ids[index]
        )
        row = _row(unit.tenant, transfer, debit.account, credit.account)
        if debit_wallet:
            row["debit_balance_after"] = debit.balance
            wallets.append(WalletLater(debit.balance, debit.held))
            events.append(_wallet_event(transfer, posting.debit, debit.balance, "wallet.debited"))
        if credit_wallet:
            row["credit_balance_after"] = credit.balance
            wallets.append(WalletLater(credit.balance, credit.held))
            events.append(_wallet_event(transfer, posting.credit, credit.balance, "wallet.credited"))
        transfers.append(transfer)
        transfer_rows.append(list(row.values()))
    ledger_writes.insert_transfers(tx, transfer_rows)
    for type_, data in events:
        unit.emit(type_, data)
    return PostedLater(transfers, wallets)


async def post_answered(
    unit: FastUnit,
    postings: Sequence[tuple[str, Posting]],
    *,
    link_id: uuid.UUID | None = None,
    after: Later | None = None,
) -> list[Transfer]:
    """`post_many_later` when one statement can make the postings, its wallets' balances after
    answered from the unit's last statement (FastUnit.answer_with: the caller's patch puts them
    into the transfers it answers with, api/wallet_convert.put_balances_after); else `post_raw`.
    `after`: a guard the legs must come after (a business row read unlocked): then there is no
    `post_raw` to fall back on, and a statement that cannot make them is TakeOrmPath."""
    later = post_many_later(unit, postings, link_id=link_id, after=after)
    if later is None and after is not None:
        raise TakeOrmPath("postings one statement cannot make, after a row read unlocked")
    if later is None:
        return await post_raw(unit, postings, link_id=link_id)
    unit.answer_with(*later.balances)
    return later.transfers


def _one_row_change(changes: Sequence[tuple[str, Account, int, int]]) -> bool:
    """Whether one leg can make these changes of one row: a wallet's one change, or a system
    account's changes all one way (two commissions paid from referral_expense, say), which its
    bucket takes as their sum (a system account's transfers record no balance after, so nothing
    tells one leg of the sum from two)."""
    if len(changes) == 1:
        return True
    deltas = [delta for _asset, _account, delta, _held in changes]
    return isinstance(changes[0][1], System) and (all(d > 0 for d in deltas) or all(d < 0 for d in deltas))


def _one_change(changes: Sequence[tuple[str, Account, int, int]]) -> tuple[str, Account, int, int]:
    asset, account, _delta, from_held = changes[0]
    return asset, account, sum(delta for _asset, _account, delta, _held in changes), from_held


def _statement_leg(
    unit: FastUnit, asset: str, account: Account, delta: int, from_held: int
) -> ledger_writes.Leg | None:
    """A leg as a statement of several legs makes it (`post_many_later`, `_apply_leading_raw`): a
    system account's on the bucket the unit picked for it (picking one now if none); None when no
    such statement can make it (the buckets not cached yet, a credit no wallet can take)."""
    tenant = unit.tenant
    if isinstance(account, System):
        buckets = ledger_repo.cached_bucket_ids(tenant, asset, account.name)
        if buckets is None:
            return None
        bucket = unit.picked_buckets.get((asset, account.name)) or random.choice(buckets)
        unit.picked_buckets[(asset, account.name)] = bucket
        return ledger_writes.move_leg(tenant, bucket, delta, limit=MAX_BALANCE)
    if delta > MAX_BALANCE:
        return None
    if delta > 0:
        return ledger_writes.credit_leg(tenant, asset, account.user_id, delta, limit=MAX_BALANCE, now=unit.now)
    return ledger_writes.debit_leg(tenant, asset, account.user_id, -delta, from_held=from_held)


def post_later(
    unit: FastUnit, asset: str, posting: Posting, *, after: Later | None = None, transfer_id: uuid.UUID | None = None
) -> tuple[Transfer, WalletLater]:
    """One posting between a wallet and a system account as parts of the unit's last statement
    (`post_many_later`), and the wallet as the statement leaves it, for the caller's writes and
    answer (FastUnit.answer_with). TakeOrmPath when a statement cannot make it."""
    wallet = posting.credit if isinstance(posting.credit, Wallet) else posting.debit
    if not isinstance(wallet, Wallet) or isinstance(posting.credit, Wallet) == isinstance(posting.debit, Wallet):
        raise ValueError("post_later moves between a wallet and a system account")
    if posting.amount > MAX_BALANCE:
        raise TakeOrmPath("an amount no wallet can take: the ORM path explains")
    posted = post_many_later(
        unit, [(asset, posting)], after=after, transfer_ids=[transfer_id] if transfer_id is not None else ()
    )
    if posted is None:
        raise TakeOrmPath(f"the system account's buckets in {asset} are not cached yet: the ORM path posts it")
    [transfer], [wallet_after] = posted.transfers, posted.wallets
    return transfer, wallet_after


async def _apply_leading_raw(
    unit: FastUnit, legs: Sequence[tuple[str, Account, int, int]]
) -> list[tuple[uuid.UUID, int | None]]:
    """On PostgreSQL, the leading legs (in the lock order) in one statement instead of one each: a
    purchase's four balance changes cost one round trip instead of four. It stops before a leg
    that would change a row a leg before it changes (one statement cannot), and returns the applied
    prefix; `_post` applies the rest one by one, which also decides what a failed leg means (short,
    full, another bucket)."""
    if unit.tx.dialect != "postgresql":
        return []
    batch: list[ledger_writes.Leg] = []
    seen: set[tuple[object, str]] = set()
    for asset, account, delta, from_held in legs:
        row_key = (account.user_id if isinstance(account, Wallet) else account.name, asset)
        leg = None if row_key in seen else _statement_leg(unit, asset, account, delta, from_held)
        if leg is None:
            break
        seen.add(row_key)
        batch.append(leg)
    if len(batch) < 2:  # one leg: its own statement is the same round trip
        return []
    applied = await ledger_writes.apply_legs(unit.tx, batch)
    for (asset, account, _delta, _held), (bucket, _balance) in zip(legs, applied, strict=False):
        if isinstance(account, System):
            unit.picked_buckets[(asset, account.name)] = bucket
    return applied


async def _move_system_raw(unit: FastUnit, asset: str, name: str, delta: int) -> uuid.UUID:
    buckets = ledger_repo.cached_bucket_ids(unit.tenant, asset, name)
    if buckets is None:
        raise TakeOrmPath(f"the buckets of {name} {asset} are not cached yet")
    picked = unit.picked_buckets.get((asset, name))
    order = [picked] if picked is not None else []
    order += random.sample([b for b in buckets if b != picked], len(buckets) - len(order))
    for bucket in order:
        if await ledger_writes.move_bucket(unit.tx, unit.tenant, bucket, delta, limit=MAX_BALANCE):
            unit.picked_buckets[(asset, name)] = bucket
            return bucket
    raise TakeOrmPath(f"no bucket of {name} {asset} has room (or the cache is stale)")


Apply = Callable[[str, Account, int, int], Awaitable[tuple[uuid.UUID, int | None]]]
ApplyLeading = Callable[[Sequence[tuple[str, Account, int, int]]], Awaitable[list[tuple[uuid.UUID, int | None]]]]


async def _post(
    apply: Apply,
    tenant: uuid.UUID,
    postings: Sequence[tuple[str, Posting]],
    now: dt.datetime,
    link_id: uuid.UUID | None,
    apply_leading: ApplyLeading | None = None,
) -> tuple[list[Transfer], list[dict[str, Any]]]:
    """The legs of `postings` applied in the lock order; the transfers and their rows.
    `apply_leading` may apply a prefix of the ordered legs at once; `apply` does the rest."""
    if not postings:  # a free order, say: nothing moves, and an empty insert is no statement at all
        return [], []
    legs: list[tuple[int, str, Account]] = []
    for index, (asset, posting) in enumerate(postings):
        if posting.amount <= 0:
            raise ValueError("postings move positive amounts")
        legs += [(2 * index, asset, posting.debit), (2 * index + 1, asset, posting.credit)]
    ordered = sorted(legs, key=_lock_key)
    changes = [_change(postings[index // 2][1], index, asset, account) for index, asset, account in ordered]
    applied: dict[int, tuple[uuid.UUID, int | None]] = {}
    done = await apply_leading(changes) if apply_leading is not None else []
    for (index, _asset, _account), result in zip(ordered, done, strict=False):
        applied[index] = result
    for (index, _asset, _account), change in zip(ordered[len(done) :], changes[len(done) :], strict=True):
        applied[index] = await apply(*change)
    transfers: list[Transfer] = []
    rows: list[dict[str, Any]] = []
    for index, (asset, posting) in enumerate(postings):
        (debit_id, debit_after), (credit_id, credit_after) = applied[2 * index], applied[2 * index + 1]
        transfer = _transfer(asset, posting, link_id, debit_after, credit_after, now, new_id())
        transfers.append(transfer)
        rows.append(_row(tenant, transfer, debit_id, credit_id))
    return transfers, rows


def _transfer(
    asset: str,
    posting: Posting,
    link_id: uuid.UUID | None,
    debit_after: int | None,
    credit_after: int | None,
    now: dt.datetime,
    transfer_id: uuid.UUID,
) -> Transfer:
    return Transfer(
        id=transfer_id,
        asset=asset,
        kind=posting.kind,
        amount=posting.amount,
        debit=posting.debit,
        credit=posting.credit,
        reference=posting.reference,
        link_id=link_id,
        reason=posting.reason,
        actor=posting.actor,
        debit_balance_after=debit_after,
        credit_balance_after=credit_after,
        created_at=now,
    )


def _change(posting: Posting, index: int, asset: str, account: Account) -> tuple[str, Account, int, int]:
    """Leg `index` of a posting as (asset, account, delta, from_held): even legs debit, odd credit."""
    if index % 2 == 0:
        return asset, account, -posting.amount, posting.from_held
    return asset, account, posting.amount, 0


def _wallet_events(transfers: Sequence[Transfer]) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for transfer in transfers:
        if isinstance(transfer.debit, Wallet):
            events.append(_wallet_event(transfer, transfer.debit, transfer.debit_balance_after, "wallet.debited"))
        if isinstance(transfer.credit, Wallet):
            events.append(_wallet_event(transfer, transfer.credit, transfer.credit_balance_after, "wallet.credited"))
    return events


def _row(
    tenant: uuid.UUID, transfer: Transfer, debit_id: uuid.UUID | Later, credit_id: uuid.UUID | Later
) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "id": transfer.id,
        "asset": transfer.asset,
        "kind": transfer.kind,
        "amount": transfer.amount,
        "debit_account_id": debit_id,
        "credit_account_id": credit_id,
        "debit_balance_after": transfer.debit_balance_after,
        "credit_balance_after": transfer.credit_balance_after,
        "reference": transfer.reference,
        "link_id": transfer.link_id,
        "reason": transfer.reason,
        "actor": transfer.actor,
        "created_at": transfer.created_at,
    }


def owner_account(user_id: uuid.UUID | None, system_name: str | None) -> Account:
    if user_id is not None:
        return Wallet(user_id)
    assert system_name is not None
    return System(system_name)


async def to_transfers(uow: UnitOfWork, tenant: uuid.UUID, rows: Sequence[TransferRow]) -> list[Transfer]:
    """Transfers as callers see them: accounts named by owner, not by internal account id."""
    owners = await ledger_repo.account_owners(
        uow, tenant, {r.debit_account_id for r in rows} | {r.credit_account_id for r in rows}
    )
    return [
        Transfer(
            id=row.id,
            asset=row.asset,
            kind=row.kind,
            amount=row.amount,
            debit=owner_account(*owners[row.debit_account_id]),
            credit=owner_account(*owners[row.credit_account_id]),
            reference=row.reference,
            link_id=row.link_id,
            reason=row.reason,
            actor=row.actor,
            debit_balance_after=row.debit_balance_after,
            credit_balance_after=row.credit_balance_after,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def verify(uow: UnitOfWork, tenant: uuid.UUID) -> Verification:
    data = await ledger_repo.verification_rows(uow, tenant, HoldStatus.PENDING)
    drifts: list[Drift] = []
    sums: dict[str, int] = defaultdict(int)
    for account_id, asset, user_id, system_name, balance, held in data["accounts"]:
        account = owner_account(user_id, system_name)
        sums[asset] += balance
        expected = int(data["credits"].get(account_id, 0)) - int(data["debits"].get(account_id, 0))
        if balance != expected:
            drifts.append(Drift(asset, account, "BALANCE_MISMATCH", expected, balance))
        pending = int(data["holds"].get(account_id, 0))
        if held != pending:
            drifts.append(Drift(asset, account, "HELD_MISMATCH", pending, held))
        if user_id is not None and (balance < held or held < 0):
            drifts.append(Drift(asset, account, "NEGATIVE_WALLET", held, balance))
    for asset, total in sorted(sums.items()):
        if total != 0:
            drifts.append(Drift(asset, None, "ASSET_SUM_NONZERO", 0, total))
    return Verification(drifts, len(data["accounts"]), int(data["transfers"]))
