"""Telegram Stars charges: a successful_payment credited exactly once, renewals of Telegram
subscriptions, and charges that pay no invoice.

The charge id (`telegram_payment_charge_id`, which is also the StarTransaction id) is the
permanent key: it becomes the provider_ref of exactly one payment of the tenant (the unique
(tenant, provider, provider_ref) index), and every confirmation ends in PaymentService.apply under
that payment's row lock, so a charge confirmed again, however concurrently, credits once.

    the charge is held by a payment ─────────────► apply to it (again: nothing changes)
    a renewal (is_recurring, not is_first_recurring) of the payer's subscription invoice
        ─► a new order for the plan's package, and a new payment holding the charge ─► apply
    the first charge of the payer's invoice ──────► apply to its payment (sets provider_ref)
    anything else: an unknown payload, another user's invoice, an invoice another charge paid
        ─► a payment of its own holding the charge, without an order ─► apply (a wallet credit)

A recurring charge (the first of a subscription and each renewal) makes the plan it pays for
Telegram's to renew (Subscription.renewed_by): the renewal worker never renews it from the wallet
too. A renewal charge that renews nothing (too little, or the plan's package no longer offered)
leaves the plan to the wallet again, where the charge was credited.

Money that Telegram took is never refused: a total or currency other than the payment's is
credited by apply's underpaid and wrong-asset rules. New payments are inserted once per charge
however many confirmations race (an insert that does nothing when the charge is held); a
renewal order made by the loser of that race rolls back with its transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

import structlog

from core_server.domain.actor import Actor, Role
from core_server.domain.catalog.packages import require_package
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError, Violations
from core_server.domain.events import emit
from core_server.domain.money.wallets import require_user
from core_server.domain.orders.model import Order
from core_server.domain.orders.service import OrderService
from core_server.domain.payments.model import RECEIVED, Payment, PaymentStatus, payment_event, to_payment
from core_server.domain.payments.service import FIRST_CHECK, Outcome, PaymentService
from core_server.domain.payments.stars import CHARGE_ID_LIMIT, PROVIDER, check_telegram_fields, payment_of
from core_server.domain.provider_api import ProviderPayment, ProviderState, Received
from core_server.domain.subscriptions import plans
from core_server.store.ids import new_id
from core_server.store.models import PaymentRow
from core_server.store.repositories import orders as orders_repo
from core_server.store.repositories import payments as repo
from core_server.store.unit_of_work import UnitOfWork, ambient

log = structlog.get_logger(__name__)

SYSTEM_KEY = uuid.UUID(int=0)  # the key id of the core's own actions (a renewal's order)
MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """A successful_payment as the bot received it."""

    user_id: str
    payload: str
    currency: str
    total: int
    charge_id: str
    provider_charge_id: str = ""
    is_recurring: bool = False
    is_first_recurring: bool = False
    subscription_expiration: int = 0

    @property
    def is_renewal(self) -> bool:
        return self.is_recurring and not self.is_first_recurring


@dataclass(frozen=True, slots=True)
class Confirmed:
    payment: Payment
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Invoice:
    """What a charge's route needs of the payment its payload names."""

    id: uuid.UUID
    is_stars: bool
    user_id: uuid.UUID
    has_charge: bool
    credited: bool
    renews_package: uuid.UUID | None  # the package of its order, when that is a subscription


class Route(StrEnum):
    """Which payment a charge that no payment holds yet goes to."""

    INVOICE = "invoice"  # the first charge of the payer's own invoice: that payment
    RENEWAL = "renewal"  # a renewal of the payer's subscription: a new order and payment
    OWN = "own"  # anything else: a payment of its own, credited to the wallet


def route(invoice: Invoice | None, user: uuid.UUID, charge: Charge) -> Route:
    if invoice is None or not invoice.is_stars or invoice.user_id != user:
        return Route.OWN
    if charge.is_renewal:
        return Route.RENEWAL if invoice.renews_package is not None else Route.OWN
    return Route.INVOICE if not invoice.has_charge and not invoice.credited else Route.OWN


def why_own(invoice: Invoice | None, user: uuid.UUID, charge: Charge) -> str:
    """Why a charge gets a payment of its own (it is credited to the payer's wallet all the same)."""
    if invoice is None or not invoice.is_stars:
        why = "a charge for no Stars invoice of the tenant"
    elif invoice.user_id != user:
        why = "a charge for another user's invoice"
    elif charge.is_renewal:
        why = "a renewal charge for an invoice that is not a subscription's"
    else:
        why = "a second charge for an invoice paid already"
    return f"{why}: credited to the wallet"


def _check(charge: Charge) -> uuid.UUID:
    v = Violations()
    user = check_telegram_fields(v, charge.user_id, charge.payload, charge.currency, charge.total)
    v.check_text("telegram_payment_charge_id", charge.charge_id, max_length=CHARGE_ID_LIMIT, required=True)
    v.check_text("provider_payment_charge_id", charge.provider_charge_id, max_length=CHARGE_ID_LIMIT)
    if not 0 <= charge.subscription_expiration <= MAX_UNIX_SECONDS:
        v.add("subscription_expiration_date", f"must be between 0 and {MAX_UNIX_SECONDS} (Unix seconds)")
    v.raise_if_any()
    assert user is not None
    return user


class StarsCharges:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._payments = PaymentService(deps)

    async def confirm(self, actor: Actor, charge: Charge) -> Confirmed:
        """Credit the charge once (see the module docstring for which payment holds it)."""
        user = _check(charge)
        tenant = actor.tenant
        charge_id = charge.charge_id.strip()
        async with self._deps.read_uow() as uow:
            await require_user(uow, tenant, user, charge.user_id)
            holder = await repo.find_by_ref(uow, tenant, PROVIDER, charge_id)
            invoice = await _invoice(uow, tenant, charge.payload) if holder is None else None
        reported = ProviderPayment(
            provider_ref=charge_id,
            reference=charge.payload,
            state=ProviderState.PAID,
            paid=Received(charge.currency, charge.total),
            raw_status="recurring" if charge.is_renewal else "paid",
            recurring=charge.is_recurring,
        )
        outcome = Outcome.UNKNOWN_PAYMENT
        if holder is None and invoice is not None and route(invoice, user, charge) is Route.INVOICE:
            outcome = await self._payments.apply(tenant, PROVIDER, reported, invoice.id)
            if outcome is not Outcome.UNKNOWN_PAYMENT:  # else another charge paid it meanwhile
                holder = invoice.id
        if holder is None:
            holder = await self._record(tenant, user, charge, charge_id, invoice)
        if outcome is Outcome.UNKNOWN_PAYMENT:
            outcome = await self._payments.apply(tenant, PROVIDER, reported, holder)
        log.info(
            "telegram charge confirmed",
            payment=str(holder),
            outcome=outcome.value,
            renewal=charge.is_renewal,
            subscription_expiration=charge.subscription_expiration,
        )
        async with self._deps.read_uow() as uow:
            row = await repo.get_payment(uow, tenant, holder)
            assert row is not None
            confirmed = Confirmed(to_payment(row), duplicate=outcome is Outcome.DUPLICATE)
            missed = charge.is_renewal and outcome is Outcome.APPLIED and not row.order_settled
        if missed and invoice is not None and invoice.renews_package is not None:
            await self._renewal_missed(tenant, user, invoice.renews_package)
        return confirmed

    async def _renewal_missed(self, tenant: uuid.UUID, user: uuid.UUID, package: uuid.UUID) -> None:
        """A renewal charge credited without renewing the plan: the wallet renews it from now on."""
        async with self._deps.uow() as uow:
            row = await require_package(uow, tenant, package, str(package))
            if await plans.leave_plan_to_wallet(uow, tenant, user, row, PROVIDER, self._deps.clock.now()):
                log.info("telegram renewal charge renewed nothing: the plan renews from the wallet", user=str(user))
                await uow.commit()

    async def _record(
        self, tenant: uuid.UUID, user: uuid.UUID, charge: Charge, charge_id: str, invoice: Invoice | None
    ) -> uuid.UUID:
        """A payment of its own holding the charge: a renewal's (with a new order for the plan's
        package) or a wallet credit's. Returns the payment that holds the charge, this one or the
        one a concurrent confirmation inserted first."""
        now = self._deps.clock.now()
        renews = invoice.renews_package if invoice and route(invoice, user, charge) is Route.RENEWAL else None
        async with ambient(self._deps.db) as uow:
            order, note = None, why_own(invoice, user, charge)
            if renews is not None:
                order, note = await self._renewal_order(tenant, user, renews, uow)
            row = PaymentRow(
                tenant_id=tenant, id=new_id(), user_id=user, order_id=order.id if order else None, provider=PROVIDER,
                provider_ref=charge_id, status=PaymentStatus.PENDING, asset=order.asset if order else charge.currency,
                amount=order.total if order else charge.total, pay_url="", provider_status="", failure_reason=note,
                expires_at=now, created_at=now, updated_at=now, next_check_at=now + FIRST_CHECK, checks=0,
            )  # fmt: skip
            if not await repo.add_payment_once(uow, row):
                held = await repo.find_by_ref(uow, tenant, PROVIDER, charge_id)
                assert held is not None
                return held  # leaving without commit undoes this call's renewal order
            await emit(uow, self._deps.feed, tenant, "payment.created", payment_event(row), now)
            await uow.commit()
        return row.id

    async def _renewal_order(
        self, tenant: uuid.UUID, user: uuid.UUID, package: uuid.UUID, uow: UnitOfWork
    ) -> tuple[Order | None, str]:
        """The plan's package bought again, as the renewal worker buys it (a system order); when
        the package is no longer offered, no order: the charge is credited to the wallet."""
        system = Actor(Role.PLATFORM, SYSTEM_KEY, tenant)
        try:
            async with uow.savepoint():
                order = await OrderService(self._deps).create(system, str(user), str(package), 0, "", "")
        except DomainError as error:
            return None, f"renewal not bought ({error.message}): the charge is credited to the wallet"[:500]
        return order, ""


async def _invoice(uow: UnitOfWork, tenant: uuid.UUID, payload: str) -> Invoice | None:
    """The payment the payload names, if it is one of the tenant's."""
    named = payment_of(payload)
    row = await repo.get_payment(uow, tenant, named) if named is not None else None
    if row is None:
        return None
    order = await orders_repo.get_order(uow, tenant, row.order_id) if row.order_id else None
    return Invoice(
        id=row.id,
        is_stars=row.provider == PROVIDER,
        user_id=row.user_id,
        has_charge=row.provider_ref is not None,
        credited=PaymentStatus(row.status) in RECEIVED,
        renews_package=order.package_id if order is not None and order.package_kind == "subscription" else None,
    )
