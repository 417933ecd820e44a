"""Payout requests on the fast path (domain/fast_unit.py): a request, an approval, a rejection
as a few raw statements, with the rules, lock order, rows, events and audit entries of
payouts.py's ORM path.

What it leaves to the ORM path (TakeOrmPath, before anything commits): an unknown user or
request, a program without a payout asset (the asset is then whichever single one was earned), a
user without a wallet in the asset, a payout whose hold is not pending (a broken invariant the
ORM path reports), a cold bucket cache of the `payouts` account.
"""

from __future__ import annotations

import uuid

from core_server.domain.actor import Actor
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds, Money
from core_server.domain.money.hold_model import PENDING, VOIDED, mark_captured
from core_server.domain.money.hold_rules import PAYOUT_REFERENCE, new_hold_row
from core_server.domain.money.holds import release_hold_fast
from core_server.domain.reasons import BelowMinPayout, UserBlocked
from core_server.domain.referrals.earnings import combine_earnings
from core_server.domain.referrals.payout_model import OPEN_OR_PAID, PayoutStatus, move
from core_server.domain.referrals.payouts import (
    HOLD_LIFETIME,
    Payout,
    approval,
    decided_entry,
    event_of,
    new_payout_row,
    payout_posting,
    rejection,
    request_checked,
    require_decidable,
    to_payout,
)
from core_server.domain.referrals.program import Program
from core_server.store.models import HoldRow, PayoutRow
from core_server.store.repositories import audit as audit_repo
from core_server.store.repositories import hold_writes, payout_writes


async def create(unit: FastUnit, user_id: str, amount: int, destination: str) -> Payout:
    """PayoutService.create on a fast unit, for a program with a payout asset."""
    user, destination = request_checked(user_id, amount, destination)
    tenant, now = unit.tenant, unit.now
    wallet = await payout_writes.lock_payout_wallet(unit.tx, tenant, user)
    if wallet is None:
        raise TakeOrmPath("no payout asset (then it is found among the earnings), no such user or wallet")
    account, available, stored, blocked = wallet
    if blocked:  # read with the wallet's lock: no round trip of its own
        raise UserBlocked(user_id)
    rules = Program.from_stored(stored)
    asset = rules.payout_asset
    if amount < rules.min_payout_minor:
        raise BelowMinPayout(
            f"the smallest payout is {rules.min_payout_minor}",
            metadata={"min_payout_minor": str(rules.min_payout_minor)},
        )
    facts = await payout_writes.withdrawal_figures(unit.tx, tenant, user, asset, now, OPEN_OR_PAID)
    figures = combine_earnings(
        {asset: facts.commissions} if facts.commissions is not None else {},
        {asset: facts.bonuses} if facts.bonuses is not None else {},
        {asset: facts.requested} if facts.requested is not None else {},
        {asset: available},
    )
    withdrawable = figures[asset].withdrawable if asset in figures else 0
    if amount > withdrawable:
        short = InsufficientFunds(asset, amount)
        short.metadata["withdrawable_minor"] = str(withdrawable)
        raise short
    row = new_payout_row(tenant, user, Money(asset, amount), destination, now)
    hold = new_hold_row(
        tenant, account, user, Money(asset, amount), f"{PAYOUT_REFERENCE}{row.id}", now + HOLD_LIFETIME, now
    )
    row.hold_id = hold.id
    # the wallet is locked and its available balance covers the amount: on PostgreSQL the
    # reservation joins the last statement (no round trip of its own) and cannot fail there
    if not await hold_writes.place(unit.tx, hold):
        raise InsufficientFunds(asset, amount)
    payout_writes.insert_payout(unit.tx, row)
    unit.emit("referral.payout_requested", event_of(row))
    return to_payout(row)


async def _pending(unit: FastUnit, payout: uuid.UUID) -> tuple[PayoutRow, HoldRow]:
    """The request and its hold, locked in that order, the request still waiting for a decision."""
    row = await payout_writes.lock_payout(unit.tx, unit.tenant, payout)
    if row is None:
        raise TakeOrmPath("an unknown request to explain")
    require_decidable(row)
    assert row.hold_id is not None
    hold = await hold_writes.lock_hold(unit.tx, unit.tenant, row.hold_id)
    if hold is None or hold.status != PENDING:
        raise TakeOrmPath("a pending request whose hold is not: the ORM path reports it")
    return row, hold


async def approve(unit: FastUnit, actor: Actor, payout_id: str, reference: str, who: str) -> Payout:
    """PayoutService.approve on a fast unit: the hold captured into `payouts`, the request paid."""
    parsed = approval(payout_id, reference, who)
    row, hold = await _pending(unit, parsed)
    [transfer] = await ledger.post_raw(unit, [(row.asset, payout_posting(row, reference, who))])
    mark_captured(hold, row.amount, transfer.id, unit.now)
    hold_writes.store_closed(unit.tx, hold)
    move(row, PayoutStatus.PAID, unit.now)
    row.payment_reference, row.transfer_id = reference.strip(), transfer.id
    _decided(unit, actor, row, who, "referral.payout_paid")
    return to_payout(row)


async def reject(unit: FastUnit, actor: Actor, payout_id: str, reason: str, who: str) -> Payout:
    """PayoutService.reject on a fast unit: the hold released, the request rejected."""
    parsed = rejection(payout_id, reason, who)
    row, hold = await _pending(unit, parsed)
    await release_hold_fast(unit, hold, VOIDED)
    move(row, PayoutStatus.REJECTED, unit.now)
    row.reason = reason.strip()
    _decided(unit, actor, row, who, "referral.payout_rejected")
    return to_payout(row)


def _decided(unit: FastUnit, actor: Actor, row: PayoutRow, who: str, event: str) -> None:
    row.decided_by = who.strip()
    payout_writes.store_decision(unit.tx, row)
    unit.emit(event, event_of(row))
    audit_repo.insert(unit.tx, decided_entry(actor, row, who, event, unit.now))
