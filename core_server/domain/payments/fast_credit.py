"""A provider's credit of a payment on a fast unit (domain/fast_unit.py).

Most webhooks say "this payment was paid": the payment is locked, the wallet credited from the
`provider:<name>` account and the payment marked, in a few prepared statements. A payment of an
order paid in full (or overpaid: the surplus stays in the wallet) then settles the order from the
wallet in the same transaction, as `PaymentService._credit` does on the ORM path: the order locked
after the payment, the delivery of any kind domain/orders/fast_delivery.py handles, the same
transfers and events. An underpaid order's payment is credited and the order left pending.
Everything else (another asset, an order no longer pending, a
payment without its provider id yet, a bucket cache still cold, a settlement the ORM path would
refuse) raises TakeOrmPath before anything is written, and `PaymentService._apply` decides on the
ORM path with the same rules.
"""

from __future__ import annotations

import uuid

from core_server.domain.errors import DomainError
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_AMOUNT
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.orders.fast_delivery import settle_fast
from core_server.domain.orders.model import OrderStatus
from core_server.domain.payments.model import RECEIVED, PaymentStatus, move, payment_event
from core_server.domain.provider_api import ProviderPayment, ProviderState, Received
from core_server.store.repositories import order_writes
from core_server.store.repositories import payments as repo


async def credit_payment(unit: FastUnit, provider: str, reported: ProviderPayment, payment: uuid.UUID) -> bool:
    """Credit a paid payment, and settle the order it pays. False when it was credited already
    (nothing written)."""
    assert reported.state is ProviderState.PAID  # the caller opens a fast unit for credits only
    row = await repo.lock_payment(unit.tx, unit.tenant, payment)
    if row is None or row.provider != provider or row.provider_ref is None:
        raise TakeOrmPath("unknown, or its provider id still to store")
    if reported.provider_ref and reported.provider_ref != row.provider_ref:
        raise TakeOrmPath("another payment id: the ORM path logs it")
    if row.status in RECEIVED:
        return False
    received = reported.paid or Received(row.asset, row.amount)
    if received.asset != row.asset or not 0 < received.amount <= MAX_AMOUNT:
        raise TakeOrmPath("another asset to check")
    order = None
    if row.order_id is not None and received.amount >= row.amount:
        order = await order_writes.lock_order(unit.tx, unit.tenant, row.order_id)
        if order is None or order.row.status != OrderStatus.PENDING:
            raise TakeOrmPath("an order not settled to explain")
    reference = f"payment:{row.id}"
    credit = Posting(System(f"provider:{provider}"), Wallet(row.user_id), received.amount, "topup", reference=reference)
    [transfer] = await ledger.post_raw(unit, [(received.asset, credit)])
    row.received_asset, row.received_amount, row.credit_transfer_id = received.asset, received.amount, transfer.id
    row.provider_status = reported.raw_status[:64] or row.provider_status
    if received.amount < row.amount:
        move(row, PaymentStatus.UNDERPAID, unit.now)
        row.failure_reason = f"asked {row.amount} {row.asset}, received {received.amount}: credited to the wallet"
        unit.emit("payment.underpaid", payment_event(row, credited=True))
    else:
        move(row, PaymentStatus.SUCCEEDED, unit.now)
        if order is not None:
            renewed_by = provider if reported.recurring else None
            try:
                await settle_fast(unit, order, f"provider:{provider}", renewed_by=renewed_by)
            except DomainError as refused:  # the ORM path records why and keeps the credit
                raise TakeOrmPath(f"the order was not settled: {refused.reason}") from refused
        row.order_settled = order is not None
        unit.emit("payment.succeeded", payment_event(row, order_settled=order is not None))
    await repo.store_credit(unit.tx, row)
    return True
