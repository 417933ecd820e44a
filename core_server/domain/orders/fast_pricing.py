"""Pricing an order on a fast unit: `OrderService.create`'s rules for a raw transaction, shared by
the one-call purchase (PurchaseFromWallet) and CreateOrder.

The request is checked field by field exactly as the ORM path checks it (the same violations,
raised the same way); the buyer, the package, its price in the asset asked for and the tenant's
order lifetime are read in one statement; a discount code is reserved under its row lock
(domain/promos/fast_discounts.py). What the ORM path refuses after reading (an unknown buyer or
package, a package not offered, a quantity or recipient out of its rules, no price in the asset,
a price too large) takes the ORM path, which explains it precisely.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money.amounts import MAX_AMOUNT
from core_server.domain.orders.delivery import GIFT_KINDS, TELEGRAM_USERNAME
from core_server.domain.orders.model import Order, order_event, to_order
from core_server.domain.orders.service import check_order_request, new_order_row
from core_server.domain.promos.fast_discounts import reserve_fast
from core_server.domain.reasons import UserBlocked
from core_server.domain.tenancy.settings import OrderSettings
from core_server.store.ids import new_id
from core_server.store.models import OrderRow
from core_server.store.repositories import orders as orders_repo
from core_server.store.repositories.orders import PurchaseFacts


@dataclass(frozen=True, slots=True)
class Priced:
    """A pending order priced (its discount code's use taken), not stored yet, and what was read."""

    row: OrderRow
    facts: PurchaseFacts


async def price_fast(
    unit: FastUnit,
    user_id: str,
    package_id: str,
    quantity: int,
    recipient: str,
    promo_code: str,
    pay_asset: str,
    *,
    kinds: Collection[str] | None = None,
) -> Priced:
    """The order `OrderService.create` would make, priced in `pay_asset` (empty: the package's
    primary price). `kinds`: the package kinds the caller handles (others take the ORM path
    before any lock is taken)."""
    asked = check_order_request(user_id, package_id, quantity, recipient, promo_code, pay_asset)
    user, package, quantity, recipient = asked.user, asked.package, asked.quantity, asked.recipient
    promo_code, pay_asset = asked.promo_code, asked.pay_asset
    facts = await orders_repo.purchase_facts(unit.tx, unit.tenant, user, package, pay_asset)
    if facts is None or (kinds is not None and facts.kind not in kinds):
        raise TakeOrmPath("a buyer or package to explain, or a delivery this caller does not make")
    if facts.buyer_blocked:  # read with the buyer's row: no round trip of its own
        raise UserBlocked(user_id)
    quantity = quantity or facts.min_quantity
    if not facts.active or facts.archived or not _recipient_fits(facts.kind, recipient):
        raise TakeOrmPath("a package not offered or a recipient to explain")
    if not facts.min_quantity <= quantity <= facts.max_quantity or facts.price_asset is None:
        raise TakeOrmPath("a quantity to explain, or no price in the asset asked for")
    assert facts.price_amount is not None
    subtotal = facts.price_amount * (quantity if facts.per_unit else 1)
    if subtotal > MAX_AMOUNT:
        raise TakeOrmPath("a price too large to explain")
    order_id, discount = new_id(), 0
    if promo_code:
        discount = (await reserve_fast(unit, user, promo_code, package, subtotal, order_id)).amount
    row = new_order_row(
        unit.tenant, user, package, facts.kind, quantity, recipient, facts.price_asset, subtotal, discount,
        promo_code, order_id,
    )  # fmt: skip
    ttl = facts.order_ttl_seconds or OrderSettings().order_ttl_seconds
    row.expires_at, row.created_at = unit.now + dt.timedelta(seconds=ttl), unit.now
    return Priced(row, facts)


def _recipient_fits(kind: str, recipient: str) -> bool:
    """OrderService.create's rule: Stars and Premium need a @username, nothing else takes one."""
    return bool(TELEGRAM_USERNAME.match(recipient)) if kind in GIFT_KINDS else not recipient


async def create_fast(
    unit: FastUnit,
    user_id: str,
    package_id: str,
    quantity: int,
    recipient: str,
    promo_code: str,
    pay_asset: str = "",
) -> Order:
    """`OrderService.create` on a fast unit: the pending order stored, order.created emitted."""
    row = (await price_fast(unit, user_id, package_id, quantity, recipient, promo_code, pay_asset)).row
    orders_repo.insert_order(unit.tx, row)
    unit.emit("order.created", order_event(row))
    return to_order(row)


def parse_id(text: str) -> uuid.UUID:
    """An id of a request; a malformed one takes the ORM path, which names the field."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise TakeOrmPath("an id to explain") from None
