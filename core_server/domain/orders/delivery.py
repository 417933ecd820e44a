"""What a paid order delivers, as rules both payment paths share: the ORM path's `settle`
(payment.py) and the fast path's (fast_delivery.py) ask this module, so a topup, token_pack or
service order is fulfilled, and a Stars or Premium task asked for, the same way whichever paid it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.orders.model import OrderStatus, move
from core_server.store.models import OrderRow

ISSUED = "issued"  # the system account that issues what topup and token_pack packages credit
INSTANT_KINDS = frozenset({"topup", "token_pack", "service"})  # delivered by the payment's own statements
GIFT_KINDS = frozenset({"telegram_stars", "telegram_premium"})  # delivered by a fulfillment task
TELEGRAM_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")


class Deliverable(Protocol):
    """What an internal delivery reads of its package (a PackageRow, or a fast path's facts)."""

    @property
    def delivers_asset(self) -> str | None: ...
    @property
    def delivers_amount(self) -> int | None: ...
    @property
    def per_unit(self) -> bool: ...
    @property
    def active_days(self) -> int: ...


class Giftable(Protocol):
    """What a Stars or Premium task's payload reads of its package."""

    @property
    def per_unit(self) -> bool: ...
    @property
    def stars_quantity(self) -> int: ...
    @property
    def premium_months(self) -> int: ...


def deliver_instantly(row: OrderRow, package: Deliverable, now: dt.datetime) -> list[tuple[str, Posting]]:
    """Deliver a topup, token_pack or service order: the credit to post, the row fulfilled."""
    if row.package_kind == "service":
        row.active_until = now + dt.timedelta(days=package.active_days or 30)
        row.delivery = {"active_until": row.active_until.isoformat()}
        move(row, OrderStatus.FULFILLED, now)
        return []
    assert package.delivers_asset is not None
    assert package.delivers_amount is not None
    amount = package.delivers_amount * (row.quantity if package.per_unit else 1)
    posting = Posting(System(ISSUED), Wallet(row.user_id), amount, "delivery", reference=f"order:{row.id}")
    row.delivery = {"credited": {"asset": package.delivers_asset, "amount": amount}, "reversed": 0}
    move(row, OrderStatus.FULFILLED, now)
    return [(package.delivers_asset, posting)]


def gift_payload(row: OrderRow, package: Giftable) -> dict[str, object]:
    """The payload of a Stars or Premium order's fulfillment task."""
    if row.package_kind == "telegram_stars":
        return {"recipient": row.recipient, "quantity": row.quantity if package.per_unit else package.stars_quantity}
    return {"recipient": row.recipient, "months": package.premium_months}
