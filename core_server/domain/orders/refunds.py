"""Refunds: return money to the buyer's wallet, reverse what the order delivered where possible,
and claw back referral commissions in proportion, all in one transaction.

Reversal of a delivery is limited to what the buyer still has: tokens already spent are not
clawed into a negative wallet; the shortfall is recorded on the order (and the commissions').
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.fulfillment.tasks import TaskStatus, lock_open_tasks
from core_server.domain.money import ledger
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
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
from core_server.domain.orders.payment import ISSUED
from core_server.domain.orders.service import lock_order
from core_server.domain.reasons import OrderNotRefundable
from core_server.domain.referrals import commissions
from core_server.domain.referrals.tiers import REFERRAL_EXPENSE
from core_server.domain.subscriptions import plans
from core_server.store.ids import new_id
from core_server.store.models import OrderRow
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.unit_of_work import UnitOfWork


async def _refund(
    deps: Deps, uow: UnitOfWork, row: OrderRow, amount: int, reason: str, now: dt.datetime
) -> list[Transfer]:
    """Refund `amount` of a locked order: its open tasks and subscription first, then the wallets
    (locked in id order, so what is taken back is decided on balances nobody else is changing),
    then all of the money in one `post_many` (the core's lock order)."""
    tenant = row.tenant_id
    refunded_after = row.refunded + amount
    full = refunded_after >= row.total
    delivery = dict(row.delivery or {})
    if full:
        await _end_delivery(deps, uow, row, delivery, now)
    shares = await commissions.clawback_shares(uow, tenant, row, amount)
    credited = delivery.get("credited")
    wallets = {(commission.referrer_id, commission.asset) for commission, _share in shares}
    if credited:
        wallets.add((row.user_id, credited["asset"]))
    available = await ledger_repo.lock_wallets(uow, tenant, wallets)
    refund = Posting(System(REVENUE), Wallet(row.user_id), amount, "refund", reference=f"order:{row.id}", reason=reason)
    postings: list[tuple[str, Posting]] = [(row.asset, refund)]
    if credited:  # take back the refunded share of what was credited, as far as the wallet allows
        due = (
            credited["amount"] * refunded_after // row.total
            - delivery.get("reversed", 0)
            - delivery.get("shortfall", 0)
        )
        take = max(0, min(due, available.get((row.user_id, credited["asset"]), 0)))
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
    transfers = await ledger.post_many(uow, deps.feed, tenant, postings, now, link_id=new_id())
    clawed = [t for t in transfers if t.credit == System(REFERRAL_EXPENSE)]
    await commissions.record_clawbacks(uow, deps.feed, tenant, clawbacks, clawed, now)
    row.delivery = delivery
    row.refunded = refunded_after
    move(row, after_refund(row, refunded_after), now)
    await uow.session.flush()
    await emit(uow, deps.feed, tenant, "order.refunded", order_event(row, refunded_minor=amount, reason=reason), now)
    return transfers


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

    async def refund(
        self, actor: Actor, order_id: str, amount: int | None, reason: str, who: str
    ) -> tuple[Order, list[Transfer]]:
        v = Violations()
        v.id("order_id", order_id)
        v.check_text("reason", reason, max_length=500, required=True, multiline=True)
        v.check_text("actor", who, max_length=100, required=True)
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await lock_order(uow, actor.tenant, order_id)
            remaining = row.total - row.refunded
            if row.status not in REFUNDABLE or remaining <= 0:
                raise OrderNotRefundable(
                    f"order is {row.status}",
                    metadata={"status": row.status, "remaining_minor": str(max(remaining, 0))},
                )
            take = remaining if amount is None else amount
            if not 0 < take <= remaining:
                raise InvalidArgument(
                    [Violation("amount_minor", f"must be between 1 and the {remaining} not yet refunded")]
                )
            before = {"status": row.status, "refunded_minor": row.refunded}
            transfers = await _refund(self._deps, uow, row, take, reason.strip(), now)
            audit.record(
                uow,
                actor,
                who.strip(),
                "order.refunded",
                ("order", str(row.id)),
                reason.strip(),
                before,
                {"status": row.status, "refunded_minor": row.refunded},
                now,
            )
            order = to_order(row)
            await uow.commit()
        return order, transfers


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
