"""Two-phase holds: reserve now, then capture (all or part) or release; unclaimed holds expire.

A pending hold counts against the wallet's available balance at once (`held` on the account row,
raised by a conditional UPDATE within the available balance). Capture debits the wallet out of the
reservation and credits revenue in one statement pair; void and expiry only release.

    pending ─┬─► captured
             ├─► voided
             └─► expired

Every status change goes through `move()`, which knows these edges and stamps `closed_at`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.events import emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath, fast_unit
from core_server.domain.ids import require_id
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds, Money
from core_server.domain.money.assets import require_asset
from core_server.domain.money.hold_model import (
    EXPIRED,
    PENDING,
    RELEASED,
    VOIDED,
    HoldStatus,
    mark_captured,
    move,
)
from core_server.domain.money.hold_rules import (
    PAYOUT_REFERENCE,
    Hold,
    capture_posting,
    capture_request,
    capture_take,
    hold_event,
    hold_request,
    new_hold_row,
    require_pending,
    to_hold,
)
from core_server.domain.money.ledger import Transfer
from core_server.domain.money.wallets import require_user
from core_server.domain.reasons import HoldNotFound, HoldOfPayout
from core_server.domain.states import IllegalTransition
from core_server.store.ids import new_id
from core_server.store.models import HoldRow
from core_server.store.repositories import hold_writes
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.unit_of_work import UnitOfWork

# a fast hold's account before its statement runs: the reservation's wallet (see hold_writes.place)
RESERVED_WALLET = uuid.UUID(int=0)


async def place_hold(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    account: uuid.UUID | None,
    user: uuid.UUID,
    money: Money,
    reference: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> HoldRow | None:
    """Reserve within the wallet's available balance and record the hold, together (VerifyLedger
    checks that `held` equals the pending holds); None when the wallet is short or absent."""
    if account is None or await ledger_repo.change_held(uow, tenant, account, money.amount) is None:
        return None
    row = new_hold_row(tenant, account, user, money, reference, expires_at, now)
    await ledger_repo.add_hold(uow, row)
    return row


async def release_hold(uow: UnitOfWork, tenant: uuid.UUID, row: HoldRow, status: HoldStatus, now: dt.datetime) -> None:
    """Give a pending hold's reservation back and close it as `status` (voided, expired)."""
    if status not in RELEASED:
        raise IllegalTransition(f"hold {row.id}: {status} does not release a hold")
    if await ledger_repo.change_held(uow, tenant, row.account_id, -row.amount) is None:
        raise RuntimeError(f"hold {row.id} is pending but its account holds less than it")
    move(row, status, now)
    await uow.session.flush()


async def release_hold_fast(unit: FastUnit, row: HoldRow, status: HoldStatus) -> None:
    """`release_hold` on a fast unit (the hold is locked)."""
    if status not in RELEASED:
        raise IllegalTransition(f"hold {row.id}: {status} does not release a hold")
    if not await hold_writes.release(unit.tx, unit.tenant, row.account_id, row.amount):
        raise RuntimeError(f"hold {row.id} is pending but its account holds less than it")
    move(row, status, unit.now)
    hold_writes.store_closed(unit.tx, row)


class HoldService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def create(self, actor: Actor, user_id: str, money: Money | None, reference: str, ttl_seconds: int) -> Hold:
        asked = hold_request(user_id, money, reference, ttl_seconds)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_user(uow, tenant, asked.user, user_id)
            await require_asset(uow, tenant, asked.money.asset)
            account = await ledger_repo.wallet_id(uow, tenant, asked.money.asset, asked.user)
            row = await place_hold(
                uow, tenant, account, asked.user, asked.money, asked.reference, asked.expires(now), now
            )
            if row is None:
                raise InsufficientFunds(asked.money.asset, asked.money.amount)
            await emit(uow, self._deps.feed, tenant, "hold.created", hold_event(row), now)
            await uow.commit()
        return to_hold(row)

    async def create_fast(
        self, unit: FastUnit, user_id: str, money: Money | None, reference: str, ttl_seconds: int
    ) -> Hold:
        """`create` on a fast unit: reserve, insert, emit; on PostgreSQL one statement with the
        idempotency record (store/repositories/hold_writes.py's `place`). A wallet that is short or
        absent takes the ORM path, which says why (no user, no asset, short funds)."""
        asked = hold_request(user_id, money, reference, ttl_seconds)
        row = new_hold_row(
            unit.tenant, RESERVED_WALLET, asked.user, asked.money, asked.reference, asked.expires(unit.now), unit.now
        )
        if not await hold_writes.place(unit.tx, row):
            raise TakeOrmPath("a short or absent wallet to explain")
        unit.emit("hold.created", hold_event(row))
        return to_hold(row)

    async def get(self, actor: Actor, hold_id: str) -> Hold:
        hold = require_id("hold_id", hold_id)
        async with self._deps.read_uow() as uow:
            row = await ledger_repo.get_hold(uow, actor.tenant, hold)
            if row is None:
                raise HoldNotFound(hold_id)
            return to_hold(row)

    async def _pending(self, uow: UnitOfWork, tenant: uuid.UUID, hold_id: str) -> HoldRow:
        row = await ledger_repo.get_hold(uow, tenant, require_id("hold_id", hold_id), for_update=True)
        if row is None:
            raise HoldNotFound(hold_id)
        if row.status == PENDING and row.expires_at <= self._deps.clock.now():
            await self._release(uow, tenant, row, EXPIRED)
            await uow.commit()
        require_pending(row)
        if await ledger_repo.is_payout_hold(uow, tenant, row.id):  # by the payout's own link, not a name
            raise HoldOfPayout("the hold belongs to a payout request: approve or reject it")
        return row

    async def _pending_fast(self, unit: FastUnit, hold: uuid.UUID, *, locked: bool = True) -> HoldRow:
        """The hold pending, as `_pending` decides (locked, or read unlocked for a statement that
        checks its status again); the rarer answers (not found, past its expiry, perhaps a
        payout's) take the ORM path, which gives them."""
        read = hold_writes.lock_hold if locked else hold_writes.read_hold
        row = await read(unit.tx, unit.tenant, hold)
        if row is None or (row.status == PENDING and row.expires_at <= unit.now):
            raise TakeOrmPath("not found, or past its expiry: the ORM path expires it")
        require_pending(row)
        if row.reference.startswith(PAYOUT_REFERENCE):  # every payout hold has it: the ORM path checks the link
            raise TakeOrmPath("perhaps a payout's hold")
        return row

    async def capture(self, actor: Actor, hold_id: str, amount: int | None) -> tuple[Hold, Transfer | None]:
        capture_request(hold_id, amount)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await self._pending(uow, tenant, hold_id)
            take = capture_take(row, amount)
            [transfer] = await ledger.post(uow, self._deps.feed, tenant, row.asset, [capture_posting(row, take)], now)
            mark_captured(row, take, transfer.id, now)
            await uow.session.flush()
            await emit(uow, self._deps.feed, tenant, "hold.captured", hold_event(row), now)
            await uow.commit()
        return to_hold(row), transfer

    async def capture_fast(self, unit: FastUnit, hold_id: str, amount: int | None) -> tuple[Hold, Transfer | None]:
        """`capture` on a fast unit: the same posting (out of the reservation), state and events.

        On PostgreSQL the hold is read unlocked, then closed, paid and recorded in one statement
        that takes only a hold still pending (an expiry, a void or another capture that won
        meanwhile makes it change nothing: the ORM path says why); the transfer's balance after
        comes back from that statement (FastUnit.answer_with: the caller's patch)."""
        in_one = unit.tx.dialect == "postgresql"
        row = await self._pending_fast(unit, capture_request(hold_id, amount), locked=not in_one)
        take = capture_take(row, amount)
        posting = capture_posting(row, take)
        if in_one:
            transfer_id = new_id()
            mark_captured(row, take, transfer_id, unit.now)
            closed = hold_writes.close_if_still(unit.tx, row, PENDING)
            transfer, wallet = ledger.post_later(unit, row.asset, posting, after=closed, transfer_id=transfer_id)
            unit.answer_with(wallet.balance)
        else:
            [transfer] = await ledger.post_raw(unit, [(row.asset, posting)])
            mark_captured(row, take, transfer.id, unit.now)
            hold_writes.store_closed(unit.tx, row)
        unit.emit("hold.captured", hold_event(row))
        return to_hold(row), transfer

    async def void(self, actor: Actor, hold_id: str) -> Hold:
        async with self._deps.uow() as uow:
            row = await self._pending(uow, actor.tenant, hold_id)
            await self._release(uow, actor.tenant, row, VOIDED)
            await uow.commit()
        return to_hold(row)

    async def void_fast(self, unit: FastUnit, hold_id: str) -> Hold:
        """`void` on a fast unit: the reservation given back, the hold closed, its event. On
        PostgreSQL the hold is read unlocked, then closed (only while still pending), released
        and recorded in one statement, as a capture is."""
        in_one = unit.tx.dialect == "postgresql"
        row = await self._pending_fast(unit, require_id("hold_id", hold_id), locked=not in_one)
        if not in_one:
            await release_hold_fast(unit, row, VOIDED)
            unit.emit(f"hold.{VOIDED}", hold_event(row))
            return to_hold(row)
        move(row, VOIDED, unit.now)
        closed = hold_writes.close_if_still(unit.tx, row, PENDING)
        released = hold_writes.release_after(unit.tx, row, closed)
        # the event's amount is read through the release: a release that found no row fails it
        unit.emit(f"hold.{VOIDED}", hold_event(row) | {"amount_minor": released.plus(row.amount)})
        return to_hold(row)

    async def _release(self, uow: UnitOfWork, tenant: uuid.UUID, row: HoldRow, status: HoldStatus) -> None:
        now = self._deps.clock.now()
        await release_hold(uow, tenant, row, status, now)
        await emit(uow, self._deps.feed, tenant, f"hold.{status}", hold_event(row), now)

    async def expire_due(self, limit: int = 500) -> int:
        """Release pending holds past their expiry (the expiry worker's step); returns how many."""
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            due = await ledger_repo.expired_holds(uow, PENDING, now, limit)
        expired = 0
        for tenant, hold in due:
            async with fast_unit(self._deps, tenant, now) as unit:
                row = await hold_writes.lock_hold(unit.tx, tenant, hold)
                if row is not None and row.status == PENDING:
                    await release_hold_fast(unit, row, EXPIRED)
                    unit.emit(f"hold.{EXPIRED}", hold_event(row))
                    expired += 1
        return expired
