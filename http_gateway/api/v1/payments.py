"""`/api/v1/payments` and `/api/v1/payment-methods`: money taken in through payment providers, for
an order (see `/orders/<order_id>/checkout`) or as a wallet top-up (`/users/<user_id>/payments`,
or in Telegram Stars `/users/<user_id>/stars-invoices`).
Provider settings and refunds stay with tenant admins."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "payments"


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/payment-methods", "PaymentService.ListPaymentMethods", resource=TAG,
        summary="The providers that accept an order (`user_id`, `order_id`) or a top-up (`user_id`, "
        "`amount.asset`, `amount.amount_minor`), in display order.",
    )  # fmt: skip
    expose(
        api, "POST", "/users/<user_id>/payments", "PaymentService.CreatePayment", resource=TAG,
        name="CreateTopUpPayment", omit=frozenset({"order_id"}), unwrap="payment",
        summary="Open a wallet top-up at a provider (`provider`, `amount`, optional return_url and "
        "description); send the user to its `pay_url`. The wallet is credited when the provider "
        "reports the payment.",
    )  # fmt: skip
    expose(
        api, "POST", "/users/<user_id>/stars-invoices", "PaymentService.CreateStarsInvoice", resource=TAG,
        name="CreateStarsTopUpInvoice", omit=frozenset({"order_id", "subscription_period"}),
        summary="Open a wallet top-up in Telegram Stars (`amount` in XTR; `create_link: true` for an "
        "`invoice_link` to send the user to; optional title and description). The user pays in Telegram as "
        "the user of platform telegram, the tenant's bot answering; the wallet is credited when the bot "
        "reports the charge.",
    )  # fmt: skip
    expose(
        api, "GET", "/payments", "PaymentService.ListPayments", resource=TAG,
        summary="Page through payments, newest first (filters: user_id, required for partner keys; order_id, "
        "provider, status).",
    )  # fmt: skip
    expose(
        api, "GET", "/payments/<payment_id>", "PaymentService.GetPayment", resource=TAG, unwrap="payment",
        summary="One payment; with `user_id`, the user it must belong to (a payment of another user is 404).",
    )  # fmt: skip
    expose(
        api, "POST", "/payments/<payment_id>/check", "PaymentService.CheckPayment", resource=TAG,
        unwrap="payment",
        summary='Ask the provider about the payment now and apply its answer (a paid payment is credited '
        'once), as a "check payment" button does; with `user_id` in the body, the user it must belong to '
        '(a payment of another user is 404 and is not checked).',
    )  # fmt: skip
