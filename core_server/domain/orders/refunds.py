"""Refunds: return money to the buyer's wallet, reverse what the order delivered where possible,
and claw back referral commissions in proportion, all in one transaction.

Reversal of a delivery is limited to what the buyer still has: tokens already spent are not
clawed into a negative wallet; the shortfall is recorded on the order (and the commissions').
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import FailedPrecondition, InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.money import ledger
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.money.wallets import balance_of
from core_server.domain.orders.payment import ISSUED
from core_server.domain.orders.service import Order, lock_order, order_event, to_order
from core_server.domain.referrals import commissions
from core_server.domain.referrals.tiers import REFERRAL_EXPENSE
from core_server.domain.subscriptions import plans
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, TaskRow
from core_server.store.unit_of_work import UnitOfWork

REFUNDABLE = ("paid", "fulfilled", "partially_refunded", "failed")


async def _refund(
    deps: Deps, uow: UnitOfWork, row: OrderRow, amount: int, reason: str, now: dt.datetime
) -> list[Transfer]:
    tenant, link_id = row.tenant_id, new_id()
    refunded_after = row.refunded + amount
    transfers = await ledger.post(
        uow,
        deps.feed,
        tenant,
        row.asset,
        [Posting(System(REVENUE), Wallet(row.user_id), amount, "refund", reference=f"order:{row.id}", reason=reason)],
        now,
        link_id=link_id,
    )
    transfers += await _reverse_delivery(deps, uow, row, refunded_after, now, link_id)
    clawbacks = await commissions.plan_clawbacks(uow, tenant, row, amount, now)
    clawed: list[Transfer] = []
    for plan in clawbacks:
        if plan.amount == 0:  # the referrer's wallet is empty: all of it is shortfall
            continue
        posting = Posting(
            Wallet(plan.commission.referrer_id),
            System(REFERRAL_EXPENSE),
            plan.amount,
            "reversal",
            reference=f"order:{row.id}",
            reason=reason,
        )
        clawed += await ledger.post(uow, deps.feed, tenant, plan.commission.asset, [posting], now, link_id=link_id)
    await commissions.record_clawbacks(uow, deps.feed, tenant, clawbacks, clawed, now)
    row.refunded = refunded_after
    row.status = "refunded" if refunded_after >= row.total else "partially_refunded"
    row.closed_at = now if row.status == "refunded" else row.closed_at
    await uow.session.flush()
    await emit(uow, deps.feed, tenant, "order.refunded", order_event(row, refunded_minor=amount, reason=reason), now)
    return transfers + clawed


async def _reverse_delivery(
    deps: Deps, uow: UnitOfWork, row: OrderRow, refunded_after: int, now: dt.datetime, link_id: uuid.UUID
) -> list[Transfer]:
    delivery = dict(row.delivery or {})
    full = refunded_after >= row.total
    transfers: list[Transfer] = []
    credited = delivery.get("credited")
    if credited:  # take back the refunded share of what was credited, as far as the wallet allows
        due = (
            credited["amount"] * refunded_after // row.total
            - delivery.get("reversed", 0)
            - delivery.get("shortfall", 0)
        )
        available = (await balance_of(uow, row.tenant_id, row.user_id, credited["asset"])).available
        take = max(0, min(due, available))
        if take:
            posting = Posting(Wallet(row.user_id), System(ISSUED), take, "reversal", reference=f"order:{row.id}")
            transfers = await ledger.post(
                uow, deps.feed, row.tenant_id, credited["asset"], [posting], now, link_id=link_id
            )
        delivery["reversed"] = delivery.get("reversed", 0) + take
        delivery["shortfall"] = delivery.get("shortfall", 0) + max(0, due - take)
    if full and "subscription_id" in delivery:
        await plans.shorten_for_refund(uow, deps.feed, row.tenant_id, delivery, now)
    if full and row.package_kind == "service":
        row.active_until = min(row.active_until or now, now)
    if full:  # queued work of a fully refunded order must not be delivered any more
        tasks = await uow.session.execute(
            select(TaskRow)
            .where(
                TaskRow.tenant_id == row.tenant_id, TaskRow.order_id == row.id, TaskRow.status.in_(("queued", "leased"))
            )
            .with_for_update()
        )
        for task in tasks.scalars():
            task.status, task.last_error, task.updated_at = "failed", "order refunded", now
    row.delivery = delivery
    return transfers


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
                raise FailedPrecondition(
                    f"order is {row.status}",
                    reason="ORDER_NOT_REFUNDABLE",
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
    """A fulfillment that failed for good: the order fails and is refunded in full, same transaction."""
    row = await lock_order(uow, tenant, str(order_id))
    if row.status not in ("paid", "failed"):
        return
    row.status, row.failure_reason = "failed", reason
    await uow.session.flush()
    await emit(uow, deps.feed, tenant, "order.failed", order_event(row, reason=reason), now)
    if row.total - row.refunded > 0:
        await _refund(deps, uow, row, row.total - row.refunded, f"fulfillment failed: {reason}", now)
