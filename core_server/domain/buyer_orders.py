"""An order as its buyer reads it through a gateway or partner key (ListOrderTasks, GetServiceQuota,
GetOrder and ListOrders naming the user).

Those keys act for end users, so the call names the user, and an order of anyone else is
NOT_FOUND, exactly as another tenant's is: never a hint that it exists. Admin keys may leave the
user out and read any order of their tenant. One place for the rule, so every buyer read keeps it.

GetOrder and ListOrders may also leave the user out with a gateway key, but only for a bot admin
holding TENANT_ORDER_READS (the bot's orders section), named in `x-on-behalf-of`: see
core_server/api/access.py for why that permission. A partner key keeps its rights: it may read any
order of its tenant by id, and lists one user's orders at a time.

The by-id mutations a bot makes for its user (PayOrderFromWallet, CancelOrder, SubmitServiceInput)
keep the same rule (`buyer_write`, `require_buyers`): naming the user makes another user's order
NOT_FOUND, checked on the row the mutation has locked (no check-then-act race), and a gateway key
naming nobody acts for a bot admin holding TENANT_ORDER_WRITES. A Telegram client sends whatever
callback data it likes, so the order id in a button proves nothing about whose order it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core_server.domain.actor import ADMIN_ROLES, Actor, AdminPermission
from core_server.domain.errors import Violations
from core_server.domain.reasons import OrderNotFound
from core_server.store.models import OrderRow
from core_server.store.repositories import orders as orders_repo
from core_server.store.unit_of_work import UnitOfWork

# what a bot admin needs for a gateway key to read orders across the tenant (api/access.py says why)
TENANT_ORDER_READS = AdminPermission.REFUNDS
# and to pay, cancel or feed another user's order by id: the same orders section's admin
TENANT_ORDER_WRITES = AdminPermission.REFUNDS


@dataclass(frozen=True, slots=True)
class BuyerRead:
    """The checked ids of a buyer's read: `user` is None only for admin keys that named nobody."""

    order_id: str
    order: uuid.UUID | None
    user: uuid.UUID | None


def buyer_read(actor: Actor, v: Violations, order_id: str, user_id: str) -> BuyerRead:
    """The order and user ids of the request; their problems are added to `v` (raised by the
    caller with the request's other ones)."""
    if actor.role not in ADMIN_ROLES and not user_id:
        v.add("user_id", "is required for partner and gateway keys")
    return BuyerRead(order_id, v.id("order_id", order_id), v.id("user_id", user_id, required=False))


async def buyers_order(uow: UnitOfWork, tenant: uuid.UUID, read: BuyerRead) -> OrderRow:
    """The order, when it is in the tenant and (a user named) that user's; else OrderNotFound."""
    row = await orders_repo.get_order(uow, tenant, read.order) if read.order is not None else None
    if row is None or (read.user is not None and row.user_id != read.user):
        raise OrderNotFound(read.order_id)
    return row


def buyer_write(actor: Actor, order_id: str, user_id: str) -> uuid.UUID | None:
    """The user a by-id mutation of an order names (None: nobody), checked with the order id; a
    gateway key naming nobody must act for a bot admin holding TENANT_ORDER_WRITES."""
    v = Violations()
    v.id("order_id", order_id)
    user = v.id("user_id", user_id, required=False)
    v.raise_if_any()
    actor.require_staff_for_tenant_read(user_id, TENANT_ORDER_WRITES, doing="acting on an order by id")
    return user


def require_buyers(row: OrderRow, user: uuid.UUID | None, order_id: str) -> None:
    """OrderNotFound when a user is named and the (locked) order is someone else's: the same answer
    as a missing order, so a forged id learns nothing."""
    if user is not None and row.user_id != user:
        raise OrderNotFound(order_id)
