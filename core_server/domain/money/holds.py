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
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath, fast_unit
from core_server.domain.ids import require_id
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds, Money, check_money
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
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.money.wallets import require_user
from core_server.domain.reasons import HoldNotFound, HoldNotPending, HoldOfPayout
from core_server.domain.states import IllegalTransition
from core_server.store.ids import new_id
from core_server.store.models import HoldRow
from core_server.store.repositories import hold_writes
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.unit_of_work import UnitOfWork

DEFAULT_TTL = 3600
MAX_TTL = 30 * 24 * 3600
PAYOUT_REFERENCE = "payout:"  # the reference payout holds carry (a label only: a caller may use it too)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    id: uuid.UUID
    user_id: uuid.UUID
    asset: str
    amount: int
    status: HoldStatus
    reference: str
    captured_amount: int | None
    capture_transfer_id: uuid.UUID | None
    expires_at: dt.datetime
    created_at: dt.datetime
    closed_at: dt.datetime | None


def to_hold(row: HoldRow) -> Hold:
    return Hold(
        id=row.id,
        user_id=row.user_id,
        asset=row.asset,
        amount=row.amount,
        status=HoldStatus(row.status),
        reference=row.reference,
        captured_amount=row.captured_amount,
        capture_transfer_id=row.capture_transfer_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def _event(hold: HoldRow) -> dict[str, object]:
    return {
        "hold_id": str(hold.id),
        "user_id": str(hold.user_id),
        "asset": hold.asset,
        "amount_minor": hold.amount,
        "status": hold.status,
        "reference": hold.reference,
        "captured_minor": hold.captured_amount,
    }


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


def new_hold_row(
    tenant: uuid.UUID,
    account: uuid.UUID,
    user: uuid.UUID,
    money: Money,
    reference: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> HoldRow:
    """A pending hold of a reserved amount (on either path)."""
    return HoldRow(
        tenant_id=tenant,
        id=new_id(),
        account_id=account,
        user_id=user,
        asset=money.asset,
        amount=money.amount,
        status=PENDING,
        reference=reference,
        captured_amount=None,
        capture_transfer_id=None,
        expires_at=expires_at,
        created_at=now,
        closed_at=None,
    )


async def release_hold(uow: UnitOfWork, tenant: uuid.UUID, row: HoldRow, status: HoldStatus, now: dt.datetime) -> None:
    """Give a pending hold's reservation back and close it as `status` (voided, expired)."""
    if status not in RELEASED:
        raise IllegalTransition(f"hold {row.id}: {status} does not release a hold")
    if await ledger_repo.change_held(uow, tenant, row.account_id, -row.amount) is None:
        raise RuntimeError(f"hold {row.id} is pending but its account holds less than it")
    move(row, status, now)
    await uow.session.flush()


@dataclass(frozen=True, slots=True)
class _HoldRequest:
    """A checked CreateHold request (on either path)."""

    user: uuid.UUID
    money: Money
    reference: str
    ttl_seconds: int

    def expires(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.ttl_seconds or DEFAULT_TTL)


def _hold_request(user_id: str, money: Money | None, reference: str, ttl_seconds: int) -> _HoldRequest:
    violations = Violations()
    user = violations.id("user_id", user_id)
    check_money(violations, "amount", money)
    reference = violations.check_text("reference", reference, max_length=200)
    if not 0 <= ttl_seconds <= MAX_TTL:
        violations.add("ttl_seconds", f"must be between 0 and {MAX_TTL}")
    violations.raise_if_any()
    assert user is not None
    assert money is not None
    return _HoldRequest(user, money, reference, ttl_seconds)


def _capture_request(hold_id: str, amount: int | None) -> uuid.UUID:
    v = Violations()
    hold = v.id("hold_id", hold_id)
    if amount is not None and amount <= 0:
        v.add("amount_minor", "must be positive")
    v.raise_if_any()
    assert hold is not None
    return hold


def _require_pending(row: HoldRow) -> None:
    if row.status != PENDING:
        raise HoldNotPending(f"hold is {row.status}", metadata={"status": row.status})


def _take(row: HoldRow, amount: int | None) -> int:
    """What a capture takes of the held amount (all of it unless told)."""
    take = row.amount if amount is None else amount
    if not 0 < take <= row.amount:
        raise InvalidArgument([Violation("amount_minor", f"must be between 1 and the held {row.amount}")])
    return take


def _capture(row: HoldRow, take: int) -> Posting:
    """The wallet pays `take` to revenue out of the whole reservation, which ends with it."""
    return Posting(
        Wallet(row.user_id), System(REVENUE), take, "hold_capture", reference=f"hold:{row.id}", from_held=row.amount
    )


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
        asked = _hold_request(user_id, money, reference, ttl_seconds)
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
            await emit(uow, self._deps.feed, tenant, "hold.created", _event(row), now)
            await uow.commit()
        return to_hold(row)

    async def create_fast(
        self, unit: FastUnit, user_id: str, money: Money | None, reference: str, ttl_seconds: int
    ) -> Hold:
        """`create` on a fast unit: reserve, insert, emit, in two round trips. A wallet that is
        short or absent takes the ORM path, which says why (no user, no asset, short funds)."""
        asked = _hold_request(user_id, money, reference, ttl_seconds)
        asset, amount = asked.money.asset, asked.money.amount
        account = await hold_writes.reserve(unit.tx, unit.tenant, asset, asked.user, amount)
        if account is None:
            raise TakeOrmPath("a short or absent wallet to explain")
        row = new_hold_row(
            unit.tenant, account, asked.user, asked.money, asked.reference, asked.expires(unit.now), unit.now
        )
        hold_writes.insert_hold(unit.tx, row)
        unit.emit("hold.created", _event(row))
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
        _require_pending(row)
        if await ledger_repo.is_payout_hold(uow, tenant, row.id):  # by the payout's own link, not a name
            raise HoldOfPayout("the hold belongs to a payout request: approve or reject it")
        return row

    async def _pending_fast(self, unit: FastUnit, hold: uuid.UUID) -> HoldRow:
        """The hold locked and pending, as `_pending` decides; the rarer answers (not found, past
        its expiry, perhaps a payout's) take the ORM path, which gives them."""
        row = await hold_writes.lock_hold(unit.tx, unit.tenant, hold)
        if row is None or (row.status == PENDING and row.expires_at <= unit.now):
            raise TakeOrmPath("not found, or past its expiry: the ORM path expires it")
        _require_pending(row)
        if row.reference.startswith(PAYOUT_REFERENCE):  # every payout hold has it: the ORM path checks the link
            raise TakeOrmPath("perhaps a payout's hold")
        return row

    async def capture(self, actor: Actor, hold_id: str, amount: int | None) -> tuple[Hold, Transfer | None]:
        _capture_request(hold_id, amount)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await self._pending(uow, tenant, hold_id)
            take = _take(row, amount)
            [transfer] = await ledger.post(uow, self._deps.feed, tenant, row.asset, [_capture(row, take)], now)
            mark_captured(row, take, transfer.id, now)
            await uow.session.flush()
            await emit(uow, self._deps.feed, tenant, "hold.captured", _event(row), now)
            await uow.commit()
        return to_hold(row), transfer

    async def capture_fast(self, unit: FastUnit, hold_id: str, amount: int | None) -> tuple[Hold, Transfer | None]:
        """`capture` on a fast unit: the same posting (out of the reservation), state and events."""
        row = await self._pending_fast(unit, _capture_request(hold_id, amount))
        take = _take(row, amount)
        [transfer] = await ledger.post_raw(unit, [(row.asset, _capture(row, take))])
        mark_captured(row, take, transfer.id, unit.now)
        hold_writes.store_closed(unit.tx, row)
        unit.emit("hold.captured", _event(row))
        return to_hold(row), transfer

    async def void(self, actor: Actor, hold_id: str) -> Hold:
        async with self._deps.uow() as uow:
            row = await self._pending(uow, actor.tenant, hold_id)
            await self._release(uow, actor.tenant, row, VOIDED)
            await uow.commit()
        return to_hold(row)

    async def void_fast(self, unit: FastUnit, hold_id: str) -> Hold:
        """`void` on a fast unit: the reservation given back, the hold closed, its event."""
        row = await self._pending_fast(unit, require_id("hold_id", hold_id))
        await release_hold_fast(unit, row, VOIDED)
        unit.emit(f"hold.{VOIDED}", _event(row))
        return to_hold(row)

    async def _release(self, uow: UnitOfWork, tenant: uuid.UUID, row: HoldRow, status: HoldStatus) -> None:
        now = self._deps.clock.now()
        await release_hold(uow, tenant, row, status, now)
        await emit(uow, self._deps.feed, tenant, f"hold.{status}", _event(row), now)

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
                    unit.emit(f"hold.{EXPIRED}", _event(row))
                    expired += 1
        return expired
