"""Paying an order and delivering it: one path, whatever paid.

`pay_from_wallet` debits the buyer; a provider payment (next: payment adapters) will credit the
buyer from the provider's account and then run the same `settle` in the same transaction. `settle`
delivers (extends a subscription, activates a service order, or queues a fulfillment task for
Stars and Premium) and posts the payment to revenue, the referral commissions and what the order
credits (topup, token_pack) as one linked set. Either all of it commits or none of it does.
On a fast unit, `purchase_fast`, `pay_fast` and fast_delivery.py (`pay_and_deliver`; `settle_fast`
for a provider's payment) do the same for every kind of package, priced by fast_pricing.py with
the same discount codes, and with the same referral commissions, locks, transfers and events.

`renew_subscription` is the renewal worker's purchase (domain/entitlements/renewal.py calls it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import partial

from core_server.domain.actor import Actor, Role
from core_server.domain.buyer_orders import buyer_write, require_buyers
from core_server.domain.catalog.packages import require_package
from core_server.domain.deps import Deps
from core_server.domain.errors import FailedPrecondition
from core_server.domain.events import emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.fulfillment.tasks import Task, TaskOwner, queue_task
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds
from core_server.domain.money.ledger import REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.money.wallets import require_buyer
from core_server.domain.orders import fast_delivery, fast_pricing
from core_server.domain.orders.delivery import (
    INSTANT_KINDS,
    deliver_instantly,
    gift_payload,
)
from core_server.domain.orders.model import Order, OrderStatus, move, order_event, to_order
from core_server.domain.orders.service import OrderService, lock_order, not_pending
from core_server.domain.reasons import OrderExpired, UserBlocked
from core_server.domain.referrals import commissions
from core_server.domain.subscriptions import plans
from core_server.store.ids import new_id
from core_server.store.models import OrderRow, PackageRow
from core_server.store.repositories import order_writes
from core_server.store.repositories import orders as orders_repo
from core_server.store.unit_of_work import UnitOfWork, ambient

SYSTEM_KEY = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class Settlement:
    order: Order
    transfers: list[Transfer]
    task: Task | None


async def settle(
    deps: Deps,
    uow: UnitOfWork,
    row: OrderRow,
    paid_via: str,
    payer: ledger.Account,
    now: dt.datetime,
    *,
    renewed_by: str | None = None,
    paid_by: str = "",
) -> Settlement:
    """Post the payment (from `payer`, which holds the total) and deliver, in the caller's unit.
    `renewed_by`: a provider that charges the buyer again every period by itself paid the order,
    so the plan a subscription order starts or extends is that provider's to renew. `paid_by`: the
    role of the key whose call paid it (empty when a provider's payment did), for the events.

    The caller holds the order's lock. Deliveries that lock rows of their own (the subscription,
    a new task) come before the money, and all of the money (payment, commissions, what the order
    credits) is one `post_many`, so the locks follow the core's one order (order -> its rows ->
    wallets -> system accounts)."""
    tenant = row.tenant_id
    package = await require_package(uow, tenant, row.package_id, str(row.package_id))
    move(row, OrderStatus.PAID, now)
    row.paid_via = paid_via
    commission_plans = await commissions.plan_commissions(uow, tenant, row, now)
    postings: list[tuple[str, Posting]] = []
    if row.total > 0:
        payment = Posting(payer, System(REVENUE), row.total, "order_payment", reference=f"order:{row.id}")
        postings.append((row.asset, payment))
    postings += [(plan.asset, plan.posting(row.id)) for plan in commission_plans]
    delivery, task = await _deliver(deps, uow, row, package, now, renewed_by)
    postings += delivery
    transfers = await ledger.post_many(uow, deps.feed, tenant, postings, now, link_id=new_id())
    await uow.session.flush()
    commission_transfers = [t for t in transfers if t.kind == "referral_commission"]
    await commissions.record_commissions(uow, deps.feed, tenant, row, commission_plans, commission_transfers, now)
    await emit(uow, deps.feed, tenant, "order.paid", order_event(row, paid_by=paid_by), now)
    if row.status == OrderStatus.FULFILLED:
        await emit(uow, deps.feed, tenant, "order.fulfilled", order_event(row, paid_by=paid_by), now)
    return Settlement(to_order(row), transfers, task)


async def _deliver(
    deps: Deps, uow: UnitOfWork, row: OrderRow, package: PackageRow, now: dt.datetime, renewed_by: str | None
) -> tuple[list[tuple[str, Posting]], Task | None]:
    """Deliver what needs no money, and say what money the delivery posts (posted by the caller)."""
    kind = row.package_kind
    if kind in INSTANT_KINDS:
        return deliver_instantly(row, package, now), None
    if kind == "subscription":
        row.delivery = await plans.activate_or_extend(
            uow, deps.feed, row.tenant_id, row, package, now, renewed_by=renewed_by
        )
        move(row, OrderStatus.FULFILLED, now)
        return [], None
    task = await queue_task(
        deps,
        uow,
        TaskOwner(tenant_id=row.tenant_id, order_id=row.id, user_id=row.user_id),
        kind,
        gift_payload(row, package),
        now,
        refund_on_failure=True,
    )
    row.delivery = {"task_id": str(task.id)}
    return [], task


class OrderPayments:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def purchase_from_wallet(
        self,
        actor: Actor,
        user_id: str,
        package_id: str,
        quantity: int,
        recipient: str,
        promo_code: str,
        pay_asset: str = "",
    ) -> Settlement:
        """Create the order (in `pay_asset`) and pay it from the wallet of that asset in one
        transaction: a failed payment leaves no pending order and no promo code use behind."""
        async with ambient(self._deps.db) as uow:  # create's own unit joins this one
            order = await OrderService(self._deps).create(
                actor, user_id, package_id, quantity, recipient, promo_code, pay_asset
            )
            settlement = await self._pay(actor, uow, str(order.id))
            await uow.commit()
        return settlement

    async def purchase_fast(
        self,
        unit: FastUnit,
        user_id: str,
        package_id: str,
        quantity: int,
        recipient: str,
        promo_code: str,
        pay_asset: str = "",
        *,
        paid_by: str = "",
    ) -> Settlement:
        """`purchase_from_wallet` on a fast unit: a package of any kind (fast_delivery.py delivers
        them) in any asset the package has a price in, with or without a discount code, by a buyer
        with or without referrers (their commissions posted alike), free orders too. Anything else,
        and anything to refuse but bad fields, short funds and a code's own refusals, raises
        TakeOrmPath: the ORM path then decides, with its exact errors."""
        priced = await fast_pricing.price_fast(
            unit, user_id, package_id, quantity, recipient, promo_code, pay_asset, kinds=fast_delivery.FAST_KINDS
        )
        row, facts = priced.row, priced.facts
        _require_funds(row, facts.buyer_available)
        unit.emit("order.created", order_event(row))
        settled = await fast_delivery.pay_and_deliver(
            unit, row, facts.buyer_has_referrer, facts, "wallet", stored=False, paid_by=paid_by, answer_later=True
        )
        return Settlement(to_order(row), settled.transfers, settled.task)

    async def pay_fast(
        self, unit: FastUnit, actor: Actor, order_id: str, user_id: str = "", *, paid_by: str = ""
    ) -> Settlement:
        """`pay_from_wallet` on a fast unit: the pending, unexpired order settled from the wallet.
        Anything else (not found, not pending, expired, a delivery the fast unit does not make)
        takes the ORM path, which refuses or delivers exactly. Another user's order (`user_id`
        named) is NOT_FOUND.

        On PostgreSQL the order is read unlocked and paid by a last statement that takes it only
        while it is still pending (fast_delivery.pay_and_deliver `unlocked`): a payment that takes
        no other lock is its reads and that statement. One that does (a subscription's plan, a
        referrer's tier) locks the order first and checks it is still pending (FastUnit.lock_first).
        On SQLite the order is read in the writer's turn, which is its lock."""
        user = buyer_write(actor, order_id, user_id)
        parsed = fast_pricing.parse_id(order_id)
        unlocked = unit.tx.dialect == "postgresql"
        found = await (order_writes.read_order if unlocked else order_writes.lock_order)(unit.tx, unit.tenant, parsed)
        if found is not None and unlocked:
            unit.lock_first(partial(_lock_still_pending, unit, parsed))
        if found is None:
            raise TakeOrmPath("an order to explain")
        row = found.row
        require_buyers(row, user, order_id)
        if row.status != OrderStatus.PENDING or row.expires_at <= unit.now:
            raise TakeOrmPath("a refusal to explain")
        if found.buyer_blocked:  # read with the order: no round trip of its own
            raise UserBlocked(str(row.user_id))
        _require_funds(row, found.buyer_available)
        settled = await fast_delivery.pay_and_deliver(
            unit,
            row,
            found.buyer_has_referrer,
            found.package,
            "wallet",
            stored=True,
            paid_by=paid_by,
            answer_later=True,
            unlocked=unlocked,
        )
        return Settlement(to_order(row), settled.transfers, settled.task)

    async def pay_from_wallet(self, actor: Actor, order_id: str, user_id: str = "") -> Settlement:
        """Pay a pending order from its buyer's wallet; naming the buyer in `user_id` makes another
        user's order NOT_FOUND, checked under the order's lock (buyer_orders.py)."""
        user = buyer_write(actor, order_id, user_id)
        async with self._deps.uow() as uow:
            settlement = await self._pay(actor, uow, order_id, user)
            await uow.commit()
        return settlement

    async def _pay(self, actor: Actor, uow: UnitOfWork, order_id: str, user: uuid.UUID | None = None) -> Settlement:
        now = self._deps.clock.now()
        row = await lock_order(uow, actor.tenant, order_id)
        require_buyers(row, user, order_id)
        if row.status != OrderStatus.PENDING:
            raise not_pending(row)
        if row.expires_at <= now:
            raise OrderExpired("order expired unpaid")
        await require_buyer(uow, row.tenant_id, row.user_id, str(row.user_id))  # blocked since it ordered
        try:
            return await settle(self._deps, uow, row, "wallet", Wallet(row.user_id), now, paid_by=actor.role.value)
        except InsufficientFunds as short:
            raise InsufficientFunds(row.asset, row.total) from short


async def _lock_still_pending(unit: FastUnit, order: uuid.UUID) -> None:
    """The order read unlocked, locked before any other lock of its payment: still pending, or
    TakeOrmPath (a pending order changes nothing else a payment reads)."""
    locked = await order_writes.lock_order(unit.tx, unit.tenant, order)
    if locked is None or locked.row.status != OrderStatus.PENDING:
        raise TakeOrmPath("the order changed since it was read: the ORM path explains")


def _require_funds(row: OrderRow, available: int) -> None:
    """A fast payment's wallet short when its facts were read: refused there, as the debit would
    (and as the ORM path does). A wallet that had enough is still checked by the debit itself: a
    spend since then fails the payment's statement, and the ORM path answers."""
    if row.total > available:
        raise InsufficientFunds(row.asset, row.total)


async def renew_subscription(
    deps: Deps,
    tenant: uuid.UUID,
    user_id: uuid.UUID,
    package_id: uuid.UUID,
    now: dt.datetime,
    renews: uuid.UUID | None = None,
) -> bool:
    """Buy a subscription package again from the wallet (the renewal worker's step), in the asset
    of the order it renews (`renews`, the plan's last order), or at the package's primary price
    when that is unknown. False when the wallet is short, the package is no longer offered or no
    longer has a price in that asset (a buyer is never charged in an asset they did not choose);
    nothing changes then."""
    system = Actor(Role.PLATFORM, SYSTEM_KEY, tenant)
    orders = OrderService(deps)
    pay_asset = ""
    if renews is not None:
        async with deps.read_uow() as uow:
            renewed = await orders_repo.get_order(uow, tenant, renews)
        pay_asset = renewed.asset if renewed is not None else ""
    try:
        order = await orders.create(system, str(user_id), str(package_id), 0, "", "", pay_asset)
    except FailedPrecondition:
        return False
    try:
        await OrderPayments(deps).pay_from_wallet(system, str(order.id))
    except (InsufficientFunds, FailedPrecondition):
        await orders.cancel(system, str(order.id))
        return False
    return True
