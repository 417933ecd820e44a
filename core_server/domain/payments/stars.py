"""Telegram Stars invoices and pre-checkout: the bot's side of a payment in XTR.

A Stars payment is a provider payment like any other (provider `telegram_stars`, asset XTR), so
`create_invoice` opens it through PaymentService.open: the tenant's settings (enabled, limits),
the order's checks and request_id replays are those of CreatePayment. The bot then sends the
invoice (sendInvoice) or, on request, a link that the adapter makes with the tenant's bot token
(createInvoiceLink); either way the payload is the payment's id. Before charging, Telegram asks
the bot to confirm the checkout (pre_checkout_query, answered within 10 seconds):
`validate_pre_checkout` is a read that asks no provider and refuses by answering, never by
raising. The charge itself arrives as successful_payment: stars_charges.py.

A subscription invoice (subscription_period = 30 days) is only for an order of a subscription
package whose period is 30 days: Telegram charges the buyer again every 30 days under the same
payload, and each charge must extend the plan by exactly the period it pays for.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from core_server.domain.actor import Actor
from core_server.domain.catalog.packages import require_package
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.idempotency import IdempotencyKey
from core_server.domain.money.amounts import ASSET_CODE, Money, check_amount, check_money
from core_server.domain.orders.model import OrderStatus
from core_server.domain.payments.model import RECEIVED, Payment, PaymentStatus
from core_server.domain.payments.service import PaymentService, Replay
from core_server.domain.reasons import AmountOutOfRange, OrderNotFound
from core_server.store.repositories import orders as orders_repo
from core_server.store.repositories import payments as repo
from core_server.store.repositories import tenants as tenant_repo
from core_server.store.repositories import users as users_repo

PROVIDER = "telegram_stars"
STARS = "XTR"
SUBSCRIPTION_PERIOD = 2_592_000  # 30 days: the only period Telegram takes
SUBSCRIPTION_DAYS = 30
TITLE_LIMIT, DESCRIPTION_LIMIT, PAYLOAD_BYTES, CHARGE_ID_LIMIT = 32, 255, 128, 200


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceRequest:
    user_id: str
    order_id: str
    amount: Money | None
    subscription_period: int
    title: str
    description: str
    create_link: bool


@dataclass(frozen=True, slots=True)
class StarsInvoice:
    """sendInvoice's arguments: one price of `amount` Stars labelled with the title."""

    title: str
    description: str
    payload: str
    amount: int
    subscription_period: int


@dataclass(frozen=True, slots=True)
class CreatedInvoice:
    payment: Payment
    invoice: StarsInvoice
    link: str


class Refusal(StrEnum):
    UNKNOWN_INVOICE = "unknown_invoice"
    WRONG_USER = "wrong_user"
    ALREADY_PAID = "already_paid"
    EXPIRED = "expired"
    ORDER_NOT_PENDING = "order_not_pending"
    AMOUNT_MISMATCH = "amount_mismatch"
    USER_BLOCKED = "user_blocked"


MESSAGES = {
    Refusal.UNKNOWN_INVOICE: "This invoice is unknown. Please ask for a new one.",
    Refusal.WRONG_USER: "This invoice was issued to another user.",
    Refusal.ALREADY_PAID: "This invoice is already paid.",
    Refusal.EXPIRED: "This invoice has expired. Please ask for a new one.",
    Refusal.ORDER_NOT_PENDING: "This order can no longer be paid.",
    Refusal.AMOUNT_MISMATCH: "The amount does not match the invoice. Please ask for a new one.",
    Refusal.USER_BLOCKED: "Payments are not available to you.",
}


@dataclass(frozen=True, slots=True)
class PreCheckout:
    """The answer to a pre_checkout_query: accepted when `refusal` is None."""

    refusal: Refusal | None
    payment_id: uuid.UUID | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def message(self) -> str:
        return MESSAGES[self.refusal] if self.refusal is not None else ""


def check_telegram_fields(v: Violations, user_id: str, payload: str, currency: str, total: int) -> uuid.UUID | None:
    """The fields every Telegram payment update carries (malformed ones are INVALID_ARGUMENT)."""
    user = v.id("user_id", user_id)
    v.check_text("payload", payload, max_length=PAYLOAD_BYTES, required=True)
    if not v.has("payload") and len(payload.encode()) > PAYLOAD_BYTES:
        v.add("payload", f"must be at most {PAYLOAD_BYTES} bytes")
    if not ASSET_CODE.match(currency):
        v.add("currency", "must be 2 to 10 upper-case letters or digits")
    check_amount(v, "total_amount", total)
    return user


def payment_of(payload: str) -> uuid.UUID | None:
    """The payment id a payload names, if it is one."""
    try:
        return uuid.UUID(payload)
    except ValueError:
        return None


def _localized(texts: Mapping[str, str], locale: str) -> str:
    for key in (locale, "en", *sorted(texts)):
        if str(texts.get(key, "")).strip():
            return str(texts[key]).strip()
    return ""


class StarsInvoices:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._payments = PaymentService(deps)

    async def create_invoice(self, actor: Actor, key: IdempotencyKey | None, request: InvoiceRequest) -> CreatedInvoice:
        """Open the payment (committed before any call to Telegram) and describe its invoice;
        with `create_link`, ask Telegram for a link too. A replay answers as the first call did."""
        v = Violations()
        user = v.id("user_id", request.user_id)
        v.id("order_id", request.order_id, required=False)
        amount, period = request.amount, request.subscription_period
        if bool(request.order_id) == (amount is not None):
            v.add("order_id", "give either order_id or amount")
        if amount is not None:
            check_money(v, "amount", amount)
            if not v.has("amount.asset") and amount.asset != STARS:
                v.add("amount.asset", f"must be {STARS}: a Stars top-up credits Stars")
        if period not in (0, SUBSCRIPTION_PERIOD):
            v.add("subscription_period", f"must be 0 or {SUBSCRIPTION_PERIOD} (30 days)")
        elif period and amount is not None:
            v.add("subscription_period", "is only for an order of a subscription package")
        title = v.check_text("title", request.title, max_length=TITLE_LIMIT)
        description = v.check_text("description", request.description, max_length=DESCRIPTION_LIMIT)
        v.raise_if_any()
        assert user is not None
        if amount is not None:
            title = title or "Top-up"
            description = description or f"{amount.amount} Stars to your balance"
        else:
            texts = await self._order_texts(actor.tenant, user, request.order_id, period, title, description)
            title, description = texts
        memo = json.dumps({"title": title, "description": description, "period": period}).encode()
        opened = await self._payments.open(
            actor, key, user, request.order_id, amount, PROVIDER, description, memo=memo, will_call=request.create_link
        )
        if isinstance(opened, Replay):
            kept = json.loads(opened.memo)
            return _created(opened.payment, str(kept["title"]), str(kept["description"]), int(kept["period"]))
        payment = opened.payment
        if request.create_link:
            intent = dataclasses.replace(opened.intent, title=title, subscription_period=period)
            payment = await self._payments.ask_to_open(actor.tenant, dataclasses.replace(opened, intent=intent))
        return _created(payment, title, description, period)

    async def _order_texts(
        self, tenant: uuid.UUID, user: uuid.UUID, order_id: str, period: int, title: str, description: str
    ) -> tuple[str, str]:
        """The invoice's words for an order (the package's, in the tenant's default locale, unless
        given), after the checks only Stars make: the order is in Stars, and a subscription
        invoice pays a 30-day plan. The order's state is checked again when the payment opens."""
        async with self._deps.read_uow() as uow:
            order = await orders_repo.get_order(uow, tenant, uuid.UUID(order_id))
            if order is None or order.user_id != user:
                raise OrderNotFound(order_id)
            package = await require_package(uow, tenant, order.package_id, str(order.package_id))
            tenant_row = await tenant_repo.get_tenant(uow, tenant)
        locale = tenant_row.default_locale if tenant_row is not None else "en"
        if period and (package.kind != "subscription" or package.period_days != SUBSCRIPTION_DAYS):
            raise InvalidArgument(
                [Violation("subscription_period", "is only for an order of a subscription package of 30 days")]
            )
        if order.asset != STARS:
            raise AmountOutOfRange(
                f"the order is priced in {order.asset}: Stars pay orders priced in {STARS}",
                metadata={"asset": order.asset, "amount_minor": str(order.total)},
            )
        title = title or (_localized(package.title or {}, locale) or "Order")[:TITLE_LIMIT]
        description = description or (_localized(package.description or {}, locale) or f"Order {order.id}")
        return title, description[:DESCRIPTION_LIMIT]

    async def validate_pre_checkout(
        self, actor: Actor, user_id: str, payload: str, currency: str, total: int
    ) -> PreCheckout:
        """Whether Telegram may charge: the payload names a pending Stars payment of this user,
        in this currency and total, whose order (if any) is pending and within its time to pay."""
        v = Violations()
        user = check_telegram_fields(v, user_id, payload, currency, total)
        v.raise_if_any()
        payment = payment_of(payload)
        if payment is None:
            return PreCheckout(Refusal.UNKNOWN_INVOICE)
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            row = await repo.get_payment(uow, actor.tenant, payment)
            if row is None or row.provider != PROVIDER:
                return PreCheckout(Refusal.UNKNOWN_INVOICE)
            order = await orders_repo.get_order(uow, actor.tenant, row.order_id) if row.order_id else None
            buyer = await users_repo.get_user(uow, actor.tenant, row.user_id)
        if row.user_id != user:
            refusal: Refusal | None = Refusal.WRONG_USER
        elif row.status in RECEIVED:
            refusal = Refusal.ALREADY_PAID
        elif buyer is not None and buyer.blocked:  # blocked by the admin since the invoice was issued
            refusal = Refusal.USER_BLOCKED
        elif row.status != PaymentStatus.PENDING or row.expires_at <= now:
            refusal = Refusal.EXPIRED
        elif currency != row.asset or total != row.amount:
            refusal = Refusal.AMOUNT_MISMATCH
        elif row.order_id is not None and (order is None or order.status != OrderStatus.PENDING):
            refusal = Refusal.ORDER_NOT_PENDING
        elif order is not None and order.expires_at <= now:
            refusal = Refusal.EXPIRED
        else:
            refusal = None
        return PreCheckout(refusal, row.id)


def _created(payment: Payment, title: str, description: str, period: int) -> CreatedInvoice:
    invoice = StarsInvoice(title, description, str(payment.id), payment.amount.amount, period)
    return CreatedInvoice(payment, invoice, payment.pay_url)
