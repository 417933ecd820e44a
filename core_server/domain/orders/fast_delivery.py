"""Delivering a paid order on a fast unit (domain/fast_unit.py): `settle`'s deliveries without the
ORM session, for every kind the ORM path delivers in the payment's own transaction.

A topup, token_pack or service order is delivered by the payment's own postings
(delivery.deliver_instantly). A subscription order locks the user's plan (before any wallet: the
lock order), changes it by the very rules of plans.change_plan and writes it back; a Stars or
Premium order asks for a fulfillment task (tasks.new_task_row) that the Fragment worker or an
outside processor leases. The events are the ORM path's, in its order: the delivery's own
(subscription.*, task.created) before the money's.

`pay_and_deliver` is `settle` on a fast unit, referral commissions included
(domain/referrals/fast_commissions.py): for a purchase in one call (a new order), PayOrderFromWallet
(a stored order, locked), and `settle_fast`, a provider's payment credited to the buyer's wallet in
the same fast unit (domain/payments/fast_credit.py). Anything the fast path does not handle raises
TakeOrmPath before anything commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.fulfillment.tasks import Task, TaskOwner, new_task_row, task_event, to_task
from core_server.domain.money import ledger
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.orders.delivery import GIFT_KINDS, INSTANT_KINDS, Deliverable, deliver_instantly, gift_payload
from core_server.domain.orders.model import OrderStatus, move, order_event
from core_server.domain.referrals.fast_commissions import plan_fast, record_fast
from core_server.domain.subscriptions import plans
from core_server.store.ids import new_id
from core_server.store.models import OrderRow
from core_server.store.raw_tx import RawTx
from core_server.store.repositories import delivery_writes, order_writes
from core_server.store.repositories import orders as orders_repo
from core_server.store.repositories.delivery_writes import PackageDelivery

FAST_KINDS = INSTANT_KINDS | GIFT_KINDS | {"subscription"}  # every kind a fast unit delivers


def _nothing(tx: RawTx) -> None:
    """An instant delivery writes no rows of its own: its postings are all of it."""


@dataclass(frozen=True, slots=True)
class FastDelivery:
    """What a delivery posts (with the payment), the task it asked for, and its rows to write
    once the order's own row is written (`write`, deferred)."""

    postings: list[tuple[str, Posting]]
    task: Task | None = None
    write: Callable[[RawTx], None] = _nothing


async def deliver(
    unit: FastUnit, row: OrderRow, package: Deliverable, *, renewed_by: str | None = None
) -> FastDelivery:
    """Deliver a paid order (`row`, moved to paid) as `settle` does, before its money moves.
    `package`: the package's facts; a subscription or gift order reads the rest of them unless
    they are all there (a PackageDelivery). `renewed_by` as for plans.change_plan."""
    kind, now = row.package_kind, unit.now
    if kind in INSTANT_KINDS:
        return FastDelivery(deliver_instantly(row, package, now))
    if kind not in FAST_KINDS:
        raise TakeOrmPath(f"a {kind} order")
    terms = package if isinstance(package, PackageDelivery) else None
    terms = terms or await delivery_writes.package_delivery(unit.tx, unit.tenant, row.package_id)
    if terms is None:
        raise TakeOrmPath("the package is gone")
    if kind == "subscription":
        return await _extend_plan(unit, row, terms, now, renewed_by)
    owner = TaskOwner(tenant_id=row.tenant_id, order_id=row.id, user_id=row.user_id)
    task = new_task_row(owner, kind, gift_payload(row, terms), now, refund_on_failure=True)
    unit.emit("task.created", task_event(task))
    row.delivery = {"task_id": str(task.id)}

    def write(tx: RawTx) -> None:
        delivery_writes.insert_task(tx, task)

    return FastDelivery([], to_task(task), write)


async def _extend_plan(
    unit: FastUnit, row: OrderRow, terms: PackageDelivery, now: dt.datetime, renewed_by: str | None
) -> FastDelivery:
    """plans.activate_or_extend on the fast unit. A plan started here is inserted at once (its
    unique key on the user and plan is what a concurrent first purchase waits on, as a lock);
    when another transaction started it first, the ORM path extends the plan it committed."""
    await unit.before_locks()
    current = await delivery_writes.lock_user_plan(unit.tx, unit.tenant, row.user_id, plans.plan_of(terms))
    change = plans.change_plan(unit.tenant, current, row, terms, now, renewed_by=renewed_by)
    if change.created and not await delivery_writes.insert_plan(unit.tx, change.row):
        raise TakeOrmPath("the plan was started by a purchase running beside this one")
    unit.emit(change.event_type, change.event(row))
    row.delivery = change.delivery()
    move(row, OrderStatus.FULFILLED, now)
    if change.created:
        return FastDelivery([])

    def write(tx: RawTx) -> None:
        delivery_writes.update_plan(tx, change.row)

    return FastDelivery([], None, write)


@dataclass(frozen=True, slots=True)
class Settled:
    """What settling an order posted (in posting order) and the task its delivery asked for."""

    transfers: list[Transfer]
    task: Task | None


async def pay_and_deliver(
    unit: FastUnit,
    row: OrderRow,
    buyer_has_referrer: bool,
    package: Deliverable,
    paid_via: str,
    *,
    stored: bool,
    renewed_by: str | None = None,
    paid_by: str = "",
    answer_later: bool = False,
    unlocked: bool = False,
) -> Settled:
    """`settle` on a fast unit: `row` (pending; `stored`: in the database already and locked, else
    a new row to insert) paid from its buyer's wallet, which holds the total. As on the ORM path:
    the commissions planned first (the direct referrer's tier lock), then the delivery (its rows'
    locks), then the payment, the commissions and what the delivery posts as one linked set; the
    order's row, the delivery's rows, the commission rows; the events in the ORM path's order
    (the delivery's, wallet.*, referral.commission, order.paid, order.fulfilled). InsufficientFunds
    when the wallet is short.

    `answer_later`: the caller's answer may take the wallets' balances after from the unit's last
    statement (ledger.post_answered), which the postings then join when one statement can make
    them: a token pack bought without a code by a buyer without referrers is then its read and one
    statement. A short wallet then fails the statement and the ORM path answers.

    `unlocked` (with `stored` and `answer_later`): the order was read without its lock
    (order_writes.read_order), so its payment is the last statement's first part, taken only while
    the order is still pending (a payment racing it wins or this one changes nothing), and the
    postings must join that statement (else TakeOrmPath). A delivery or commission that locks a
    row (a subscription's plan, a referrer's tier) locks the order first (FastUnit.lock_first)."""
    move(row, OrderStatus.PAID, unit.now)
    row.paid_via = paid_via
    commission_plans = await plan_fast(unit, row) if buyer_has_referrer else []
    delivery = await deliver(unit, row, package, renewed_by=renewed_by)
    postings: list[tuple[str, Posting]] = []
    if row.total > 0:
        payment = Posting(Wallet(row.user_id), System(REVENUE), row.total, "order_payment", reference=f"order:{row.id}")
        postings.append((row.asset, payment))
    postings += [(plan.asset, plan.posting(row.id)) for plan in commission_plans]
    postings += delivery.postings
    if unlocked:
        paid = order_writes.pay_if_still_pending(unit.tx, row)
        transfers = await ledger.post_answered(unit, postings, link_id=new_id(), after=paid)
    else:
        post = ledger.post_answered if answer_later else ledger.post_raw
        transfers = await post(unit, postings, link_id=new_id())
    if not stored:
        orders_repo.insert_order(unit.tx, row)
    elif not unlocked:  # else the guard wrote it
        order_writes.store_paid(unit.tx, row)
    delivery.write(unit.tx)  # after the order's row: they reference it
    record_fast(unit, row, commission_plans, [t for t in transfers if t.kind == "referral_commission"])
    unit.emit("order.paid", order_event(row, paid_by=paid_by))
    if row.status == OrderStatus.FULFILLED:
        unit.emit("order.fulfilled", order_event(row, paid_by=paid_by))
    return Settled(transfers, delivery.task)


async def settle_fast(
    unit: FastUnit, found: order_writes.OrderToSettle, paid_via: str, *, renewed_by: str | None = None
) -> list[Transfer]:
    """`settle` of a locked pending order from its buyer's wallet (a provider's payment credited
    it the total in this fast unit): `pay_and_deliver` of a stored order."""
    settled = await pay_and_deliver(
        unit, found.row, found.buyer_has_referrer, found.package, paid_via, stored=True, renewed_by=renewed_by
    )
    return settled.transfers
