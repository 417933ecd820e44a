"""Settling an order on a fast unit: `payment.settle` for an instantly delivered order paid from
the wallet, in a raw transaction.

The same postings as one linked set (the payment to revenue, the referral commissions, what the
order credits), posted by `ledger.post_raw` in the core's one lock order after the direct
referrer's tier lock; the same order row, commission rows and events in the same order
(wallet.*, referral.commission, order.paid, order.fulfilled). The caller holds the order (a new
row it priced, or the pending row it locked) and says how it is delivered.
"""

from __future__ import annotations

from collections.abc import Callable

from core_server.domain.fast_unit import FastUnit
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.orders.model import OrderStatus, move, order_event
from core_server.domain.referrals.fast_commissions import plan_fast, record_fast
from core_server.store.ids import new_id
from core_server.store.models import OrderRow
from core_server.store.repositories import order_writes
from core_server.store.repositories import orders as orders_repo

Delivery = Callable[[OrderRow], list[tuple[str, Posting]]]


async def settle_fast(
    unit: FastUnit, row: OrderRow, buyer_has_referrer: bool, deliver: Delivery, *, stored: bool
) -> list[Transfer]:
    """Pay `row` from its buyer's wallet and deliver it (`deliver`: the credit it posts, the row
    moved on); `stored`: the row is in the database already (else it is inserted). Returns the
    transfers in posting order. InsufficientFunds for the order's total when the wallet is short."""
    move(row, OrderStatus.PAID, unit.now)
    row.paid_via = "wallet"
    plans = await plan_fast(unit, row) if buyer_has_referrer else []
    postings: list[tuple[str, Posting]] = []
    if row.total > 0:
        payment = Posting(Wallet(row.user_id), System(REVENUE), row.total, "order_payment", reference=f"order:{row.id}")
        postings.append((row.asset, payment))
    postings += [(plan.asset, plan.posting(row.id)) for plan in plans]
    postings += deliver(row)
    try:
        transfers = await ledger.post_raw(unit, postings, link_id=new_id())
    except InsufficientFunds as short:
        raise InsufficientFunds(row.asset, row.total) from short
    if stored:
        order_writes.mark_paid(unit.tx, row)
    else:
        orders_repo.insert_order(unit.tx, row)
    record_fast(unit, row, plans, [t for t in transfers if t.kind == "referral_commission"])
    unit.emit("order.paid", order_event(row))
    if row.status == OrderStatus.FULFILLED:
        unit.emit("order.fulfilled", order_event(row))
    return transfers
