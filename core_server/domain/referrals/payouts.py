"""Payout requests: a referrer withdraws earnings; the amount is held until an admin pays it out
(the hold is captured into the `payouts` system account) or rejects it (the hold is released).

The hold is an ordinary ledger hold, so the wallet's available balance drops at once and the
ledger check covers it; it never expires on its own, because the decision is a person's. Creating
a request locks the wallet row first: two requests of one user cannot both pass the withdrawable
check.

    pending ─┬─► paid      (the hold is captured)
             └─► rejected  (the hold is voided)
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_AMOUNT, InsufficientFunds, Money
from core_server.domain.money.hold_model import VOIDED, HoldStatus, mark_captured
from core_server.domain.money.hold_rules import PAYOUT_REFERENCE
from core_server.domain.money.holds import place_hold, release_hold
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.money.wallets import require_buyer, require_user
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import (
    BelowMinPayout,
    NothingToWithdraw,
    PayoutAssetAmbiguous,
    PayoutNotPending,
    PayoutRequestNotFound,
)
from core_server.domain.referrals.earnings import earnings
from core_server.domain.referrals.payout_model import PayoutStatus, decidable, move
from core_server.domain.referrals.program import load_program
from core_server.domain.tenant_reads import TENANT_PAYOUT_READS
from core_server.store.ids import new_id
from core_server.store.models import AuditRow, HoldRow, PayoutRow
from core_server.store.repositories import audit as audit_repo
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.repositories import payouts as repo
from core_server.store.unit_of_work import UnitOfWork

PAYOUTS = "payouts"
HOLD_LIFETIME = dt.timedelta(days=3650)  # held until an admin decides; the hold expiry worker never meets it


@dataclass(frozen=True, slots=True, kw_only=True)
class Payout:
    id: uuid.UUID
    user_id: uuid.UUID
    asset: str
    amount: int
    destination: str
    status: PayoutStatus
    payment_reference: str
    reason: str
    decided_by: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


def to_payout(row: PayoutRow) -> Payout:
    return Payout(
        id=row.id,
        user_id=row.user_id,
        asset=row.asset,
        amount=row.amount,
        destination=row.destination,
        status=PayoutStatus(row.status),
        payment_reference=row.payment_reference,
        reason=row.reason,
        decided_by=row.decided_by,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def event_of(row: PayoutRow) -> dict[str, Any]:
    return {
        "payout_request_id": str(row.id),
        "hold_id": str(row.hold_id) if row.hold_id else None,
        "user_id": str(row.user_id),
        "asset": row.asset,
        "amount_minor": row.amount,
        "status": row.status,
        "destination": row.destination,
        "payment_reference": row.payment_reference,
        "reason": row.reason,
    }


def request_checked(user_id: str, amount: int, destination: str) -> tuple[uuid.UUID, str]:
    """A CreatePayoutRequest's user and destination, checked (on either path)."""
    v = Violations()
    user = v.id("user_id", user_id)
    if not 0 < amount <= MAX_AMOUNT:
        v.add("amount_minor", f"must be between 1 and {MAX_AMOUNT}")
    destination = v.check_text("destination", destination, max_length=200, required=True)
    v.raise_if_any()
    assert user is not None
    return user, destination.strip()


def approval(payout_id: str, reference: str, who: str) -> uuid.UUID:
    v = Violations()
    parsed = v.id("payout_request_id", payout_id)
    v.check_text("payment_reference", reference, max_length=200, required=True)
    v.check_text("actor", who, max_length=100, required=True)
    v.raise_if_any()
    assert parsed is not None
    return parsed


def rejection(payout_id: str, reason: str, who: str) -> uuid.UUID:
    v = Violations()
    parsed = v.id("payout_request_id", payout_id)
    v.check_text("reason", reason, max_length=500, required=True, multiline=True)
    v.check_text("actor", who, max_length=100, required=True)
    v.raise_if_any()
    assert parsed is not None
    return parsed


def require_decidable(row: PayoutRow) -> None:
    if not decidable(row):  # its status and who decided it: a second admin's bot says "already paid by …"
        metadata = {"status": row.status, "decided_by": row.decided_by or ""}
        raise PayoutNotPending(f"payout request is {row.status}", metadata=metadata)


def new_payout_row(tenant: uuid.UUID, user: uuid.UUID, money: Money, destination: str, now: dt.datetime) -> PayoutRow:
    """A pending request (its hold is placed next, and named on it)."""
    return PayoutRow(
        tenant_id=tenant,
        id=new_id(),
        user_id=user,
        asset=money.asset,
        amount=money.amount,
        destination=destination,
        status=PayoutStatus.PENDING,
        hold_id=None,
        payment_reference="",
        reason="",
        decided_by="",
        transfer_id=None,
        created_at=now,
        decided_at=None,
    )


def payout_posting(row: PayoutRow, reference: str, who: str) -> Posting:
    """The paid request: its amount leaves the wallet out of its hold, into `payouts`."""
    return Posting(
        Wallet(row.user_id),
        System(PAYOUTS),
        row.amount,
        "payout",
        reference=f"payout:{row.id}",
        reason=reference.strip(),
        actor=who.strip(),
        from_held=row.amount,
    )


def decided_entry(actor: Actor, row: PayoutRow, who: str, event: str, now: dt.datetime) -> AuditRow:
    after = {"status": row.status, "payment_reference": row.payment_reference, "reason": row.reason}
    target = ("payout_request", str(row.id))
    return audit.entry(actor, who.strip(), event, target, row.reason, {"status": PayoutStatus.PENDING}, after, now)


class PayoutService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def create(self, actor: Actor, user_id: str, amount: int, destination: str) -> Payout:
        user, destination = request_checked(user_id, amount, destination)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_buyer(uow, tenant, user, user_id)
            rules = await load_program(uow, tenant)
            figures = await earnings(uow, tenant, user, now)
            asset = rules.payout_asset or (next(iter(figures)) if len(figures) == 1 else "")
            if not asset:
                if figures:
                    raise PayoutAssetAmbiguous("no single payout asset to withdraw in")
                raise NothingToWithdraw("nothing was earned to withdraw")
            if amount < rules.min_payout_minor:
                raise BelowMinPayout(
                    f"the smallest payout is {rules.min_payout_minor}",
                    metadata={"min_payout_minor": str(rules.min_payout_minor)},
                )
            account = await ledger_repo.lock_wallet(uow, tenant, asset, user)
            figures = await earnings(uow, tenant, user, now)  # again, under the wallet's lock
            withdrawable = figures[asset].withdrawable if asset in figures else 0
            if account is None or amount > withdrawable:
                short = InsufficientFunds(asset, amount)
                short.metadata["withdrawable_minor"] = str(withdrawable)
                raise short
            row = new_payout_row(tenant, user, Money(asset, amount), destination, now)
            hold = await place_hold(
                uow,
                tenant,
                account,
                user,
                Money(asset, amount),
                f"{PAYOUT_REFERENCE}{row.id}",
                now + HOLD_LIFETIME,
                now,
            )
            if hold is None:
                raise InsufficientFunds(asset, amount)
            row.hold_id = hold.id
            await repo.add_payout(uow, row)
            await emit(uow, self._deps.feed, tenant, "referral.payout_requested", event_of(row), now)
            payout = to_payout(row)
            await uow.commit()
        return payout

    async def _pending(
        self, uow: UnitOfWork, tenant: uuid.UUID, parsed: uuid.UUID, payout_id: str
    ) -> tuple[PayoutRow, HoldRow]:
        row = await repo.get_payout(uow, tenant, parsed, for_update=True)
        if row is None:
            raise PayoutRequestNotFound(payout_id)
        require_decidable(row)
        assert row.hold_id is not None
        hold = await ledger_repo.get_hold(uow, tenant, row.hold_id, for_update=True)
        if hold is None or hold.status != HoldStatus.PENDING:
            raise RuntimeError(f"payout {row.id} is pending but its hold is not")
        return row, hold

    async def approve(self, actor: Actor, payout_id: str, reference: str, who: str) -> Payout:
        parsed = approval(payout_id, reference, who)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row, hold = await self._pending(uow, tenant, parsed, payout_id)
            posting = payout_posting(row, reference, who)
            [transfer] = await ledger.post(uow, self._deps.feed, tenant, row.asset, [posting], now)
            mark_captured(hold, row.amount, transfer.id, now)
            move(row, PayoutStatus.PAID, now)
            row.payment_reference, row.transfer_id = reference.strip(), transfer.id
            await self._decided(uow, actor, row, who, "referral.payout_paid", now)
            payout = to_payout(row)
            await uow.commit()
        return payout

    async def reject(self, actor: Actor, payout_id: str, reason: str, who: str) -> Payout:
        parsed = rejection(payout_id, reason, who)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row, hold = await self._pending(uow, tenant, parsed, payout_id)
            await release_hold(uow, tenant, hold, VOIDED, now)
            move(row, PayoutStatus.REJECTED, now)
            row.reason = reason.strip()
            await self._decided(uow, actor, row, who, "referral.payout_rejected", now)
            payout = to_payout(row)
            await uow.commit()
        return payout

    async def _decided(
        self, uow: UnitOfWork, actor: Actor, row: PayoutRow, who: str, event: str, now: dt.datetime
    ) -> None:
        row.decided_by = who.strip()  # the key that acted is in the audit entry; move() stamped decided_at
        await uow.session.flush()
        await emit(uow, self._deps.feed, actor.tenant, event, event_of(row), now)
        audit_repo.add(uow, decided_entry(actor, row, who, event, now))

    async def list_payouts(
        self,
        actor: Actor,
        user_id: str,
        status: str | None,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[Payout], str]:
        """`violations`: those found converting the request, reported with these filters' own."""
        actor.require_user_filter(user_id)
        actor.require_staff_for_tenant_read(user_id, TENANT_PAYOUT_READS)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        page = page_request(page_size, page_token, {"u": user_id, "s": status}, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            if user is not None:  # a filter naming no user of this tenant is NOT_FOUND, as reading it is
                await require_user(uow, actor.tenant, user, user_id)
            rows = await repo.list_payouts(
                uow, actor.tenant, user=user, status=status, before=before, limit=page.size + 1
            )
            found, token = id_page(page, rows, to_payout)
        return found, token
