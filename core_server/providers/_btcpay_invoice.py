"""A BTCPay Greenfield invoice read as the hub's ProviderPayment: its two status fields mapped to
one state, and the amount that arrived, in the invoice currency.

BTCPay describes an invoice by `status` (New, Processing, Settled, Expired, Invalid) and
`additionalStatus` (None, PaidPartial, PaidOver, PaidLate, Marked, Invalid); the docs insist on
reading both (https://docs.btcpayserver.org/Invoices/, the ecommerce integration guide):

| status     | additionalStatus                  | state                                                    |
|------------|-----------------------------------|----------------------------------------------------------|
| New        | None, PaidPartial                 | PENDING: the buyer may still pay (the rest)              |
| Processing | None, PaidOver                    | PENDING: paid in full, waiting for confirmations         |
| Settled    | None                              | PAID the invoice amount: paid in full                    |
| Settled    | Marked                            | PAID the invoice amount: the merchant accepted it as paid|
| Settled    | PaidOver (any other)              | PAID what arrived (and confirmed)                        |
| Expired    | None (nothing received)           | EXPIRED                                                  |
| Expired    | PaidPartial, PaidLate (PaidOver)  | PENDING until confirmed (and, for PaidPartial, until the |
|            |                                   | monitoring window closes), then PAID what confirmed, or  |
|            |                                   | EXPIRED when nothing did                                 |
| Invalid    | None, Marked, PaidOver (any)      | FAILED: failed to confirm, or marked invalid             |

What arrived, in the invoice currency (the hub's asset):
- Settled/None and Settled/Marked: the invoice `amount`, exact. BTCPay judged it paid in full
  (the sub-unit dust of paying a converted amount is by its rules no overpayment; the store's
  payment tolerance is the merchant's acceptance), or the merchant marked it paid, which
  BTCPay's own refund code also reads as fully paid.
- Otherwise (PaidOver, and money on an expired invoice): the confirmed payments of
  `GET .../invoices/{id}/payment-methods`, summed as BTCPay sums them: net = `value - fee`
  (the network fee a buyer adds is not payment), times the method's `rate` to the invoice
  currency, rounded half-to-even to the asset's scale once at the end, as BTCPay rounds its own
  figure. Only `Settled` payments count: a `Processing` one may yet be double-spent, and after
  expiry the invoice's status no longer tells whether payments confirmed.
  Not the invoice's `paidAmount` (BTCPay >= 2.1.2): BTCPay rounds it to its own digits for the
  currency, which are 2 for a currency it does not list (USDT, TON), so 1.234567 USDT reads
  "1.23". Not `totalPaid` / `paymentMethodPaid` either: gross, in the method's currency, rounded up.

The asset's scale comes from a table of well-known assets, overridable per tenant with the
`asset_scales` option ("LTC:8,SATS:0").
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeGuard

from core_server.domain.provider_api import (
    ProviderConfig,
    ProviderPayment,
    ProviderRejected,
    ProviderState,
    Received,
    parse_decimal,
)

NAME = "btcpay"

# Additional statuses of an expired invoice that received money (PaidOver is not reached from
# Expired by BTCPay's watcher, but would mean the same).
_MONEY_AFTER_EXPIRY = frozenset({"PaidPartial", "PaidLate", "PaidOver"})

PaymentMethods = Callable[[ProviderConfig, str], Awaitable[Any]]


async def read(
    invoice: Any, config: ProviderConfig, payment_methods: PaymentMethods, now: Callable[[], float] = time.time
) -> ProviderPayment:
    """The invoice as a ProviderPayment; `payment_methods` fetches an invoice's payment methods
    when the invoice alone does not say what arrived."""
    if not isinstance(invoice, dict) or not _is_text(invoice.get("id")) or not _is_text(invoice.get("status")):
        raise ProviderRejected(f"{NAME}: the answer is not an invoice")
    status: str = invoice["status"]
    additional = invoice.get("additionalStatus")
    extra: str = additional if _is_text(additional) else "None"
    metadata = invoice.get("metadata")
    order_id = metadata.get("orderId") if isinstance(metadata, dict) else None
    link = invoice.get("checkoutLink")
    expires = _timestamp(invoice.get("expirationTime"))

    def payment(state: ProviderState, paid: Received | None = None) -> ProviderPayment:
        return ProviderPayment(
            provider_ref=invoice["id"],
            reference=order_id if isinstance(order_id, str) else "",
            state=state,
            paid=paid,
            pay_url=link if isinstance(link, str) else "",
            expires_at=dt.datetime.fromtimestamp(expires, dt.UTC) if expires is not None else None,
            raw_status=status if extra == "None" else f"{status} ({extra})",
        )

    if status in ("New", "Processing"):
        return payment(ProviderState.PENDING)
    if status == "Invalid":
        return payment(ProviderState.FAILED)
    if status == "Settled":
        currency, scale = _currency(invoice, config)
        return payment(
            ProviderState.PAID, Received(currency, await _settled(invoice, extra, scale, config, payment_methods))
        )
    if status == "Expired":
        if extra not in _MONEY_AFTER_EXPIRY:
            return payment(ProviderState.EXPIRED)
        # While BTCPay still monitors the invoice, more may arrive or confirm, and the merchant may
        # still mark it settled or invalid; after that, what confirmed is what the hub gets.
        monitoring_until = _timestamp(invoice.get("monitoringExpiration"))
        monitored = monitoring_until is not None and now() < monitoring_until
        if monitored and extra == "PaidPartial":
            return payment(ProviderState.PENDING)
        currency, scale = _currency(invoice, config)
        payments = await _payments(config, invoice["id"], payment_methods)
        if monitored and any(state == "Processing" for state, _ in payments):
            return payment(ProviderState.PENDING)
        confirmed = _confirmed(payments, scale)
        if confirmed <= 0:
            return payment(ProviderState.EXPIRED)
        return payment(ProviderState.PAID, Received(currency, confirmed))
    raise ProviderRejected(f"{NAME}: unknown invoice status {status[:40]!r}")


async def _settled(
    invoice: Mapping[str, Any], extra: str, scale: int, config: ProviderConfig, payment_methods: PaymentMethods
) -> int:
    """What a settled invoice received, in minor units of its currency."""
    if extra in ("None", "Marked"):
        return _exact(invoice.get("amount"), scale, "amount")
    confirmed = _confirmed(await _payments(config, invoice["id"], payment_methods), scale)
    if confirmed <= 0:  # BTCPay settles no invoice so; crediting nothing would be final, a refusal is retried
        raise ProviderRejected(f"{NAME}: invoice settled as {extra[:20]} with no confirmed payment")
    return confirmed


async def _payments(
    config: ProviderConfig, invoice_id: str, payment_methods: PaymentMethods
) -> list[tuple[str, Decimal]]:
    """Each accounted payment as (its status, its net in the invoice currency)."""
    methods = await payment_methods(config, invoice_id)
    if not isinstance(methods, list):
        raise ProviderRejected(f"{NAME}: the payment methods are not a list")
    found: list[tuple[str, Decimal]] = []
    for method in methods:
        if not isinstance(method, dict) or not isinstance(method.get("payments") or [], list):
            raise ProviderRejected(f"{NAME}: a payment method cannot be read")
        for paid in method.get("payments") or []:
            if not isinstance(paid, dict) or not _is_text(paid.get("status")):
                raise ProviderRejected(f"{NAME}: a payment cannot be read")
            net = _decimal(paid.get("value"), "value") - _decimal(paid.get("fee", "0"), "fee")
            found.append((paid["status"], net * _decimal(method.get("rate"), "rate")))
    return found


def _currency(invoice: Mapping[str, Any], config: ProviderConfig) -> tuple[str, int]:
    currency: Any = invoice.get("currency")
    if not _is_text(currency):
        raise ProviderRejected(f"{NAME}: the invoice has no currency")
    scale = config.scale(currency)
    if scale is None:
        raise ProviderRejected(f"{NAME}: no scale is known for {currency[:20]!r}; declare the asset in the hub")
    return currency, scale


def _exact(value: Any, scale: int, what: str) -> int:
    if not isinstance(value, str):
        raise ProviderRejected(f"{NAME}: the invoice's {what} is missing")
    try:
        return parse_decimal(value, scale)
    except ValueError:
        raise ProviderRejected(f"{NAME}: {what} {value[:40]!r} is not an exact amount at scale {scale}") from None


def _decimal(value: Any, what: str) -> Decimal:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ProviderRejected(f"{NAME}: a payment's {what} is missing")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProviderRejected(f"{NAME}: a payment's {what} is not a number") from None
    if not number.is_finite():
        raise ProviderRejected(f"{NAME}: a payment's {what} is not a number")
    return number


def _confirmed(payments: list[tuple[str, Decimal]], scale: int) -> int:
    """The confirmed payments' total in minor units, rounded once, half-to-even like BTCPay."""
    total = sum((net for state, net in payments if state == "Settled"), Decimal(0))
    return int(total.scaleb(scale).to_integral_value(rounding=ROUND_HALF_EVEN))


def _timestamp(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value != ""
