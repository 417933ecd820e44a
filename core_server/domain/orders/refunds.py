"""Refunds: return money to the buyer's wallet, reverse what the order delivered where possible,
and claw back referral commissions in proportion, all in one transaction.

Reversal of a delivery is limited to what the buyer still has: tokens already spent are not
clawed into a negative wallet; the shortfall is recorded on the order (and the commissions').
A refund that continues past the wallet (a payment given back to its provider, `refund_whole`)
takes the delivery back in full or not at all, and posts its own postings with the refund's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.fulfillment.tasks import TaskStatus, lock_open_tasks
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.orders.delivery import ISSUED
from core_server.domain.orders.model import (
    AWAITING_DELIVERY,
    REFUNDABLE,
    Order,
    OrderStatus,
    after_refund,
    move,
    order_event,
    to_order,
)
from core_server.domain.orders.service import lock_order
from core_server.domain.reasons import OrderNotRefundable
from core_server.domain.referrals import commissions
from core_server.domain.referrals.tiers import REFERRAL_EXPENSE
from core_server.domain.subscriptions import plans
from core_server.store.ids import new_id
from core_server.store.models import CommissionRow, OrderRow
from core_server.store.repositories import audit as audit_repo
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.repositories import refund_writes, wallet_locks
from core_server.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a refund posts and records, decided on locked rows and balances (on either path)."""

    postings: list[tuple[str, Posting]]
    delivery: dict[str, Any]
    clawbacks: list[commissions.ClawbackPlan]


def _wallets_to_lock(
    row: OrderRow, delivery: dict[str, Any], shares: Sequence[tuple[CommissionRow, int]]
) -> set[tuple[uuid.UUID, str]]:
    """The wallets whose balances decide a refund: the referrers' (clawbacks), the buyer's (what
    the order credited)."""
    wallets = {(commission.referrer_id, commission.asset) for commission, _share in shares}
    credited = delivery.get("credited")
    if credited:
        wallets.add((row.user_id, credited["asset"]))
    return wallets


def _plan(
    row: OrderRow,
    amount: int,
    reason: str,
    delivery: dict[str, Any],
    shares: list[tuple[CommissionRow, int]],
    available: dict[tuple[uuid.UUID, str], int],
    whole_delivery: bool,
) -> _Plan:
    refunded_after = row.refunded + amount
    credited = delivery.get("credited")
    refund = Posting(System(REVENUE), Wallet(row.user_id), amount, "refund", reference=f"order:{row.id}", reason=reason)
    postings: list[tuple[str, Posting]] = [(row.asset, refund)]
    if credited:  # take back the refunded share of what was credited, as far as the wallet allows
        due = (
            credited["amount"] * refunded_after // row.total
            - delivery.get("reversed", 0)
            - delivery.get("shortfall", 0)
        )
        take = max(0, min(due, available.get((row.user_id, credited["asset"]), 0)))
        if whole_delivery and take < due:
            raise InsufficientFunds(credited["asset"], due)
        if take:
            reversal = Posting(Wallet(row.user_id), System(ISSUED), take, "reversal", reference=f"order:{row.id}")
            postings.append((credited["asset"], reversal))
        delivery["reversed"] = delivery.get("reversed", 0) + take
        delivery["shortfall"] = delivery.get("shortfall", 0) + max(0, due - take)
    clawbacks = commissions.plan_clawbacks(shares, available)
    for plan in clawbacks:
        if plan.amount:  # nothing is posted for a clawback the referrer's wallet cannot give
            posting = Posting(
                Wallet(plan.commission.referrer_id),
                System(REFERRAL_EXPENSE),
                plan.amount,
                "reversal",
                reference=f"order:{row.id}",
                reason=reason,
            )
            postings.append((plan.commission.asset, posting))
    return _Plan(postings, delivery, clawbacks)


def _settle(row: OrderRow, plan: _Plan, amount: int, now: dt.datetime) -> None:
    row.delivery = plan.delivery
    row.refunded += amount
    move(row, after_refund(row, row.refunded), now)


async def _refund(
    deps: Deps,
    uow: UnitOfWork,
    row: OrderRow,
    amount: int,
    reason: str,
    now: dt.datetime,
    *,
    whole_delivery: bool = False,
    extra: Sequence[tuple[str, Posting]] = (),
) -> list[Transfer]:
    """Refund `amount` of a locked order: its open tasks and subscription first, then the wallets
    (locked in id order, so what is taken back is decided on balances nobody else is changing),
    then all of the money in one `post_many` (the core's lock order), `extra` postings last.
    `whole_delivery`: what the order credited must be taken back in full (InsufficientFunds
    when the wallet no longer holds it) instead of as far as the wallet allows."""
    tenant = row.tenant_id
    delivery = dict(row.delivery or {})
    if row.refunded + amount >= row.total:
        await _end_delivery(deps, uow, row, delivery, now)
    shares = await commissions.clawback_shares(uow, tenant, row, amount)
    available = await ledger_repo.lock_wallets(uow, tenant, _wallets_to_lock(row, delivery, shares))
    plan = _plan(row, amount, reason, delivery, shares, available, whole_delivery)
    transfers = await ledger.post_many(uow, deps.feed, tenant, [*plan.postings, *extra], now, link_id=new_id())
    clawed = [t for t in transfers if t.credit == System(REFERRAL_EXPENSE)]
    await commissions.record_clawbacks(uow, deps.feed, tenant, plan.clawbacks, clawed, now)
    _settle(row, plan, amount, now)
    await uow.session.flush()
    await emit(uow, deps.feed, tenant, "order.refunded", order_event(row, refunded_minor=amount, reason=reason), now)
    return transfers


async def _refund_fast(
    unit: FastUnit, actor: Actor, row: OrderRow, amount: int, reason: str, who: str
) -> list[Transfer]:
    """`_refund_audited` on a fast unit, for a refund that ends nothing outside the order (a
    partial one, or a whole top-up or token pack): the same locks in the same order, the same
    plan, transfers, rows, events and audit entry."""
    tenant, now = unit.tenant, unit.now
    if row.refunded + amount >= row.total and row.package_kind not in ENDS_IN_PLACE:
        raise TakeOrmPath("a whole refund that ends a task, a plan or a service")
    before = {"status": row.status, "refunded_minor": row.refunded}
    shares = commissions.shares_of(row, amount, await refund_writes.lock_commissions(unit.tx, tenant, row))
    delivery = dict(row.delivery or {})
    available = await wallet_locks.lock_wallets(unit.tx, tenant, _wallets_to_lock(row, delivery, shares))
    plan = _plan(row, amount, reason, delivery, shares, available, False)
    transfers = await ledger.post_answered(unit, plan.postings, link_id=new_id())  # the wallets are locked
    clawed = [t for t in transfers if t.credit == System(REFERRAL_EXPENSE)]
    for data in commissions.apply_clawbacks(plan.clawbacks, clawed):
        unit.emit("referral.clawback", data)
    refund_writes.store_clawbacks(unit.tx, [clawback.commission for clawback in plan.clawbacks])
    _settle(row, plan, amount, now)
    refund_writes.store_refund(unit.tx, row)
    unit.emit("order.refunded", order_event(row, refunded_minor=amount, reason=reason))
    after = {"status": row.status, "refunded_minor": row.refunded}
    target = ("order", str(row.id))
    audit_repo.insert(unit.tx, audit.entry(actor, who, "order.refunded", target, reason, before, after, now))
    return transfers


# Kinds whose whole refund ends nothing outside the order (no task, no plan, no service period).
ENDS_IN_PLACE = frozenset({"topup", "token_pack"})


async def _end_delivery(deps: Deps, uow: UnitOfWork, row: OrderRow, delivery: dict[str, Any], now: dt.datetime) -> None:
    """A full refund ends what the order still grants: queued work is not delivered any more, the
    period it added to a plan is taken back, a service stops now."""
    for task in await lock_open_tasks(uow, row.tenant_id, row.id):
        task.status, task.last_error, task.updated_at = TaskStatus.FAILED, "order refunded", now
    if "subscription_id" in delivery:
        await plans.shorten_for_refund(uow, deps.feed, row.tenant_id, delivery, now)
    if row.package_kind == "service":
        row.active_until = min(row.active_until or now, now)


class OrderRefunds:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def refund(
        self, actor: Actor, order_id: str, amount: int | None, reason: str, who: str
    ) -> tuple[Order, list[Transfer]]:
        _refund_request(order_id, reason, who)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await lock_order(uow, actor.tenant, order_id)
            take = _refundable(row, amount)
            transfers = await _refund_audited(self._deps, uow, actor, row, take, reason.strip(), who.strip(), now)
            order = to_order(row)
            await uow.commit()
        return order, transfers

    async def refund_fast(
        self, unit: FastUnit, actor: Actor, order_id: str, amount: int | None, reason: str, who: str
    ) -> tuple[Order, list[Transfer]]:
        """`refund` on a fast unit (see `_refund_fast`); an unknown order takes the ORM path."""
        parsed = _refund_request(order_id, reason, who)
        row = await refund_writes.lock_order(unit.tx, unit.tenant, parsed)
        if row is None:
            raise TakeOrmPath("an unknown order to explain")
        take = _refundable(row, amount)
        transfers = await _refund_fast(unit, actor, row, take, reason.strip(), who.strip())
        return to_order(row), transfers


def _refund_request(order_id: str, reason: str, who: str) -> uuid.UUID:
    v = Violations()
    parsed = v.id("order_id", order_id)
    v.check_text("reason", reason, max_length=500, required=True, multiline=True)
    v.check_text("actor", who, max_length=100, required=True)
    v.raise_if_any()
    assert parsed is not None
    return parsed


def _refundable(row: OrderRow, amount: int | None) -> int:
    """What a RefundOrder of `amount` (None: the rest) takes back of a locked order, or why not."""
    remaining = row.total - row.refunded
    if row.status not in REFUNDABLE or remaining <= 0:
        raise OrderNotRefundable(
            f"order is {row.status}",
            metadata={"status": row.status, "remaining_minor": str(max(remaining, 0))},
        )
    take = remaining if amount is None else amount
    if not 0 < take <= remaining:
        raise InvalidArgument([Violation("amount_minor", f"must be between 1 and the {remaining} not yet refunded")])
    return take


async def _refund_audited(
    deps: Deps,
    uow: UnitOfWork,
    actor: Actor,
    row: OrderRow,
    amount: int,
    reason: str,
    who: str,
    now: dt.datetime,
    *,
    whole_delivery: bool = False,
    extra: Sequence[tuple[str, Posting]] = (),
) -> list[Transfer]:
    """`_refund` with the audit entry naming the admin who refunded."""
    before = {"status": row.status, "refunded_minor": row.refunded}
    transfers = await _refund(deps, uow, row, amount, reason, now, whole_delivery=whole_delivery, extra=extra)
    after = {"status": row.status, "refunded_minor": row.refunded}
    audit.record(uow, actor, who, "order.refunded", ("order", str(row.id)), reason, before, after, now)
    return transfers


def refundable_rest(row: OrderRow) -> int:
    """What is left to refund of an order (0 when it cannot be refunded)."""
    return row.total - row.refunded if row.status in REFUNDABLE else 0


async def refund_whole(
    deps: Deps,
    uow: UnitOfWork,
    actor: Actor,
    row: OrderRow,
    reason: str,
    who: str,
    now: dt.datetime,
    extra: Sequence[tuple[str, Posting]],
) -> list[Transfer]:
    """Refund what is left of a locked, refundable order in the caller's transaction, as
    RefundOrder does, for money that goes on past the wallet (a payment given back to its
    provider): what the order delivered is taken back in full, or InsufficientFunds, and `extra`
    (what leaves the wallet after the refund) is posted with the refund in one `post_many`."""
    rest = refundable_rest(row)
    assert rest > 0, "only a refundable order is refunded"
    return await _refund_audited(deps, uow, actor, row, rest, reason, who, now, whole_delivery=True, extra=extra)


async def refund_failed_order(
    deps: Deps, uow: UnitOfWork, tenant: uuid.UUID, order_id: uuid.UUID, reason: str, now: dt.datetime
) -> None:
    """A delivery that failed for good: the order fails and what is left of it is refunded, in the
    caller's transaction (which holds the order's lock). A partly refunded order gets the rest."""
    row = await lock_order(uow, tenant, str(order_id))
    if row.status in AWAITING_DELIVERY:
        move(row, OrderStatus.FAILED, now)
        row.failure_reason = reason
        await uow.session.flush()
        await emit(uow, deps.feed, tenant, "order.failed", order_event(row, reason=reason), now)
    if row.status == OrderStatus.FAILED and row.total - row.refunded > 0:
        await _refund(deps, uow, row, row.total - row.refunded, f"fulfillment failed: {reason}", now)
