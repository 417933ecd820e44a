"""A provider's credit of a wallet top-up on a fast unit (domain/fast_unit.py).

Most webhooks say "this top-up was paid": the payment is locked, the wallet credited from the
`provider:<name>` account and the payment marked, in a few prepared statements. Everything else
(an order to settle, another asset, a payment without its provider id yet, a bucket cache still
cold) raises TakeOrmPath before anything is written, and `PaymentService._apply` decides on the
ORM path with the same rules.
"""

from __future__ import annotations

import uuid

from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_AMOUNT
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.payments.model import RECEIVED, PaymentStatus, move, payment_event
from core_server.domain.provider_api import ProviderPayment, ProviderState, Received
from core_server.store.repositories import payments as repo


async def credit_topup(unit: FastUnit, provider: str, reported: ProviderPayment, payment: uuid.UUID) -> bool:
    """Credit a paid top-up. False when it was credited already (nothing written)."""
    assert reported.state is ProviderState.PAID  # the caller opens a fast unit for credits only
    row = await repo.lock_payment(unit.tx, unit.tenant, payment)
    if row is None or row.provider != provider or row.provider_ref is None:
        raise TakeOrmPath("unknown, or its provider id still to store")
    if reported.provider_ref and reported.provider_ref != row.provider_ref:
        raise TakeOrmPath("another payment id: the ORM path logs it")
    if row.status in RECEIVED:
        return False
    received = reported.paid or Received(row.asset, row.amount)
    if row.order_id is not None or received.asset != row.asset or not 0 < received.amount <= MAX_AMOUNT:
        raise TakeOrmPath("an order to settle, or another asset to check")
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
        unit.emit("payment.succeeded", payment_event(row, order_settled=False))
    await repo.store_credit(unit.tx, row)
    return True
