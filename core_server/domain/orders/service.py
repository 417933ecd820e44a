"""Orders: pricing (the asset paid with, quantity, promo code), reading, cancelling, expiry, and
the tenant's order settings. Payment and delivery live in order_payment.py, refunds in
order_refunds.py.

An order is in one asset, the one its buyer pays with (`pay_asset`, the package's primary price's
when not given): its subtotal is the package's price in that asset times the quantity, its promo
discount is taken off in that asset, and its payment, commissions and refunds move that asset. No
price is ever converted from another asset."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.buyer_orders import TENANT_ORDER_READS, BuyerRead, buyer_write, buyers_order, require_buyers
from core_server.domain.catalog.packages import require_package, require_package_prices
from core_server.domain.deps import Deps
from core_server.domain.errors import FailedPrecondition, InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.exports import batches, check_period
from core_server.domain.ids import require_id
from core_server.domain.money.amounts import ASSET_CODE, MAX_AMOUNT
from core_server.domain.money.wallets import require_buyer, require_user
from core_server.domain.orders.delivery import GIFT_KINDS, TELEGRAM_USERNAME
from core_server.domain.orders.model import Order, OrderStatus, move, order_event, to_order
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.promos import uses
from core_server.domain.reasons import OrderNotFound, OrderNotPending, PackageInactive, PriceNotAvailable
from core_server.domain.tenancy.settings import OrderSettings, check_order_settings, order_settings, settings_row
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, PackageRow
from core_server.store.repositories import orders as repo
from core_server.store.unit_of_work import UnitOfWork

STATUSES = tuple(OrderStatus)


async def lock_order(uow: UnitOfWork, tenant: uuid.UUID, order_id: str) -> OrderRow:
    row = await repo.lock_order(uow, tenant, require_id("order_id", order_id))
    if row is None:
        raise OrderNotFound(order_id)
    return row


def new_order_row(
    tenant: uuid.UUID,
    user: uuid.UUID,
    package: uuid.UUID,
    kind: str,
    quantity: int,
    recipient: str,
    asset: str,
    subtotal: int,
    discount: int,
    promo_code: str,
    order_id: uuid.UUID | None = None,
) -> OrderRow:
    """A pending order (its times are the caller's to set), whichever path creates it."""
    return OrderRow(
        tenant_id=tenant,
        id=order_id or new_id(),
        user_id=user,
        package_id=package,
        package_kind=kind,
        quantity=quantity,
        recipient=recipient,
        asset=asset,
        subtotal=subtotal,
        discount=discount,
        total=subtotal - discount,
        promo_code=promo_code or None,
        status=OrderStatus.PENDING,
        paid_via="",
        refunded=0,
        failure_reason="",
        delivery={},
        active_until=None,
        paid_at=None,
        fulfilled_at=None,
        closed_at=None,
    )


def not_pending(row: OrderRow) -> FailedPrecondition:
    return OrderNotPending(f"order is {row.status}", metadata={"status": row.status})


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """CreateOrder's fields, checked and normalized (the same on the ORM and the fast path)."""

    user: uuid.UUID
    package: uuid.UUID
    quantity: int  # 0: the package's minimum
    recipient: str  # without its @
    promo_code: str  # upper-case
    pay_asset: str  # upper-case; empty: the primary price


def check_order_request(
    user_id: str, package_id: str, quantity: int, recipient: str, promo_code: str, pay_asset: str
) -> OrderRequest:
    """Every malformed field named at once (INVALID_ARGUMENT), before anything is read."""
    v = Violations()
    user = v.id("user_id", user_id)
    package = v.id("package_id", package_id)
    if quantity < 0:
        v.add("quantity", "must not be negative")
    recipient = v.check_text("recipient", recipient, max_length=64).removeprefix("@")
    promo_code = v.check_text("promo_code", promo_code, max_length=32, fold=str.upper).upper()
    pay_asset = check_pay_asset(v, pay_asset)
    v.raise_if_any()
    assert user is not None
    assert package is not None
    return OrderRequest(user, package, quantity, recipient, promo_code, pay_asset)


def check_pay_asset(v: Violations, pay_asset: str) -> str:
    """A request's pay_asset, upper-cased: empty (the primary price's asset) or an asset code."""
    code = v.check_text("pay_asset", pay_asset, max_length=10, fold=str.upper).upper()
    if code and not v.has("pay_asset") and not ASSET_CODE.match(code):
        v.add("pay_asset", "must be 2 to 10 upper-case letters or digits, or empty for the primary price")
    return code


async def unit_price(uow: UnitOfWork, package: PackageRow, pay_asset: str) -> tuple[str, int]:
    """The asset an order of the package is paid in and its price (of one unit) there: the primary
    price when `pay_asset` is empty or its asset. PRICE_NOT_AVAILABLE when the package has no price
    in `pay_asset`."""
    if not pay_asset or pay_asset == package.price_asset:
        return package.price_asset, package.price_amount
    prices = await require_package_prices(uow, package.tenant_id, package.id)
    for price in prices:
        if price.asset == pay_asset:
            return price.asset, price.amount
    raise PriceNotAvailable(pay_asset, [price.asset for price in prices])


class OrderService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(
        self,
        actor: Actor,
        user_id: str,
        package_id: str,
        quantity: int,
        recipient: str,
        promo_code: str,
        pay_asset: str = "",
    ) -> Order:
        """A pending order, priced in `pay_asset` (empty: the package's primary price)."""
        asked = check_order_request(user_id, package_id, quantity, recipient, promo_code, pay_asset)
        user, package_uuid, quantity, recipient = asked.user, asked.package, asked.quantity, asked.recipient
        promo_code, pay_asset = asked.promo_code, asked.pay_asset
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_buyer(uow, tenant, user, user_id)
            package = await require_package(uow, tenant, package_uuid, package_id)
            if not package.active or package.archived:
                raise PackageInactive("package is not offered now")
            quantity = quantity or package.min_quantity
            v = Violations()
            if not package.min_quantity <= quantity <= package.max_quantity:
                v.add("quantity", f"must be between {package.min_quantity} and {package.max_quantity}")
            if package.kind in GIFT_KINDS and not TELEGRAM_USERNAME.match(recipient):
                v.add("recipient", "is required: a Telegram @username (5 to 32 letters, digits, _)")
            elif package.kind not in GIFT_KINDS and recipient:
                v.add("recipient", f"is only for Stars and Premium packages, not {package.kind}")
            v.raise_if_any()
            asset, price = await unit_price(uow, package, pay_asset)
            subtotal = price * (quantity if package.per_unit else 1)
            if subtotal > MAX_AMOUNT:
                raise InvalidArgument([Violation("quantity", "makes the price too large")])
            order_id = new_id()
            discount = 0
            if promo_code:
                reserved = await uses.reserve_discount(uow, tenant, user, promo_code, package, subtotal, order_id, now)
                discount = reserved.amount
            ttl = (await order_settings(uow, tenant)).order_ttl_seconds
            row = new_order_row(
                tenant, user, package.id, package.kind, quantity, recipient, asset, subtotal, discount,
                promo_code, order_id,
            )  # fmt: skip
            row.expires_at, row.created_at = now + dt.timedelta(seconds=ttl), now
            await repo.add_order(uow, row)
            await emit(uow, self._deps.feed, tenant, "order.created", order_event(row), now)
            order = to_order(row)
            await uow.commit()
        return order

    async def get(self, actor: Actor, order_id: str, user_id: str = "") -> Order:
        """One order; naming its buyer in `user_id` makes another user's order NOT_FOUND (what a bot
        shows a user), and a gateway key naming nobody reads for a bot admin (buyer_orders.py)."""
        v = Violations()
        read = BuyerRead(order_id, v.id("order_id", order_id), v.id("user_id", user_id, required=False))
        v.raise_if_any()
        actor.require_staff_for_tenant_read(user_id, TENANT_ORDER_READS)
        async with self._deps.read_uow() as uow:
            return to_order(await buyers_order(uow, actor.tenant, read))

    async def list_orders(
        self,
        actor: Actor,
        user_id: str,
        statuses: Sequence[str],
        package_id: str,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[Order], str]:
        """`violations`: those found converting the request, reported with these filters' own."""
        actor.require_user_filter(user_id)
        actor.require_staff_for_tenant_read(user_id, TENANT_ORDER_READS)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        package = v.id("package_id", package_id, required=False)
        page = page_request(page_size, page_token, {"u": user_id, "s": sorted(statuses), "p": package_id}, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            if user is not None:  # a filter naming no user of this tenant is NOT_FOUND, as reading it is
                await require_user(uow, actor.tenant, user, user_id)
            if package is not None:
                await require_package(uow, actor.tenant, package, package_id)
            rows = await repo.list_orders(
                uow,
                actor.tenant,
                user=user,
                package=package,
                statuses=statuses,
                before=before,
                limit=page.size + 1,
            )
            orders, token = id_page(page, rows, to_order)
        return orders, token

    async def export(
        self,
        actor: Actor,
        start: dt.datetime | None,
        end: dt.datetime | None,
        statuses: Sequence[str],
        violations: Violations | None = None,
    ) -> AsyncIterator[list[Order]]:
        """The tenant's orders created in [start, end), in any of `statuses` (all when empty),
        batch by batch, oldest first (domain/exports.py). `violations`: those found converting the
        request, reported with the period's own before the first read."""
        v = violations if violations is not None else Violations()
        check_period(v, start, end)
        v.raise_if_any()
        tenant, wanted = actor.tenant, sorted(set(statuses))

        async def read(uow: UnitOfWork, after: uuid.UUID | None, limit: int) -> Sequence[OrderRow]:
            return await repo.export_batch(uow, tenant, start=start, end=end, statuses=wanted, after=after, limit=limit)

        async for batch in batches(self._deps, read, to_order):
            yield batch

    async def cancel(self, actor: Actor, order_id: str, user_id: str = "") -> Order:
        """Cancel a pending order; naming its buyer in `user_id` makes another user's order
        NOT_FOUND, checked under the order's lock (buyer_orders.py)."""
        user = buyer_write(actor, order_id, user_id)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await lock_order(uow, actor.tenant, order_id)
            require_buyers(row, user, order_id)
            if row.status != OrderStatus.PENDING:
                raise not_pending(row)
            await self._close_pending(uow, row, OrderStatus.CANCELLED, now)
            order = to_order(row)
            await uow.commit()
        return order

    async def _close_pending(self, uow: UnitOfWork, row: OrderRow, status: OrderStatus, now: dt.datetime) -> None:
        move(row, status, now)
        if row.promo_code:
            await uses.release_use(uow, row.tenant_id, row.id)
        await uow.session.flush()
        await emit(uow, self._deps.feed, row.tenant_id, f"order.{status}", order_event(row), now)

    async def expire_due(self, limit: int = 500) -> int:
        """Expire unpaid orders past their expiry (the worker's step); returns how many."""
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            due = await repo.due_to_expire(uow, OrderStatus.PENDING, now, limit)
        expired = 0
        for tenant, order_id in due:
            async with self._deps.uow() as uow:
                row = await lock_order(uow, tenant, str(order_id))
                if row.status == OrderStatus.PENDING and row.expires_at <= now:
                    await self._close_pending(uow, row, OrderStatus.EXPIRED, now)
                    await uow.commit()
                    expired += 1
        return expired

    async def get_settings(self, actor: Actor) -> OrderSettings:
        async with self._deps.read_uow() as uow:
            return await order_settings(uow, actor.tenant)

    async def update_settings(self, actor: Actor, ttl: int, notice_days: Sequence[int]) -> OrderSettings:
        check_order_settings(ttl, notice_days)
        days = sorted(set(notice_days), reverse=True)
        async with self._deps.uow() as uow:
            row = await settings_row(uow, actor.tenant, create=True)
            assert row is not None
            row.order_ttl_seconds, row.expiring_notice_days = ttl, days
            row.updated_at = self._deps.clock.now()
            await uow.commit()
        return OrderSettings(order_ttl_seconds=ttl, expiring_notice_days=tuple(days))
