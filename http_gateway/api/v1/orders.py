"""`/api/v1/orders`: a website sells packages to its users, paid from the wallet in one call
(`/orders/purchase`) or in two steps: create, then pay from the wallet or check out through a
payment provider (`/orders/<order_id>/checkout`, answering the provider's `pay_url`) or in Telegram
Stars (`/orders/<order_id>/stars-invoice`, answering an invoice link the buyer opens in Telegram,
where the tenant's bot takes the payment). Refunds stay with tenant admins."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "orders"


def register(api: Blueprint) -> None:
    expose(
        api, "POST", "/orders", "OrderService.CreateOrder", resource=TAG, unwrap="order",
        summary="Price a package for a user (quantity, recipient, promo_code, pay_asset): a pending order to "
        "pay from the wallet or through a provider before it expires.",
    )  # fmt: skip
    expose(
        api, "POST", "/orders/purchase", "OrderService.PurchaseFromWallet", resource=TAG,
        summary="Create an order and pay it from the user's wallet in one step; nothing is left behind when "
        "it fails (409 INSUFFICIENT_FUNDS most often).",
    )  # fmt: skip
    expose(
        api, "GET", "/orders", "OrderService.ListOrders", resource=TAG,
        summary="Page through orders, newest first (filters: user_id, required for partner keys; statuses; "
        "package_id).",
    )  # fmt: skip
    expose(
        api, "GET", "/orders/<order_id>", "OrderService.GetOrder", resource=TAG, unwrap="order",
        summary="One order; with `user_id`, the buyer it must belong to (an order of another user is 404).",
    )  # fmt: skip
    expose(
        api, "POST", "/orders/<order_id>/pay", "OrderService.PayOrderFromWallet", resource=TAG,
        summary="Pay a pending order from the buyer's wallet and deliver it; with `user_id` in the body, the "
        "buyer it must belong to (an order of another user is 404 and is not paid).",
    )  # fmt: skip
    expose(
        api, "POST", "/orders/<order_id>/cancel", "OrderService.CancelOrder", resource=TAG, unwrap="order",
        summary="Cancel a pending order (its promo code use is released); with `user_id` in the body, the "
        "buyer it must belong to (an order of another user is 404 and stays as it is).",
    )  # fmt: skip
    expose(
        api, "POST", "/orders/<order_id>/inputs", "OrderService.SubmitServiceInput", resource=TAG,
        summary="Queue one input (`url` of a post, its `platform`) of an active service order, within the "
        "package's daily quota (409 QUOTA_EXCEEDED past it); with `user_id` in the body, the buyer it must "
        "belong to (an order of another user is 404 and nothing is queued).",
    )  # fmt: skip
    expose(
        api, "GET", "/orders/<order_id>/tasks", "OrderService.ListOrderTasks", resource=TAG,
        summary="The order's fulfillment tasks, newest first (how each submitted post stands: queued, "
        "leased, completed, failed), for its buyer: `user_id` is required and an order of another user "
        "is 404.",
    )  # fmt: skip
    expose(
        api, "GET", "/orders/<order_id>/quota", "OrderService.GetServiceQuota", resource=TAG, unwrap="quota",
        summary="How many posts an active service order still takes today (the tenant's day: `posts_per_day`, "
        "`used_today`, `remaining_today`, `day`, `time_zone`) and when the next day's quota begins "
        "(`reset_time`), for its buyer: `user_id` is required and an order of another user is 404; one "
        "that is not an active service order is 409 ORDER_NOT_ACTIVE.",
    )  # fmt: skip
    expose(
        api, "POST", "/orders/<order_id>/checkout", "PaymentService.CreatePayment", resource=TAG,
        name="CheckoutOrder", omit=frozenset({"amount"}), unwrap="payment",
        summary="Open a payment of the order's total at a provider (`provider`, `user_id` the buyer, optional "
        "return_url and description); send the buyer to its `pay_url`. The order is paid when the "
        "provider reports the payment.",
    )  # fmt: skip
    expose(
        api, "POST", "/orders/<order_id>/stars-invoice", "PaymentService.CreateStarsInvoice", resource=TAG,
        omit=frozenset({"amount"}),
        summary="Open a Telegram Stars payment of an order priced in XTR (`user_id` the buyer; `create_link: "
        "true` for an `invoice_link` to send the buyer to; optional title, description, and "
        "subscription_period 2592000 for a 30-day plan Telegram renews). The buyer pays in Telegram as the "
        "user of platform telegram the order is for, the tenant's bot answering; the order is paid when "
        "the bot reports the charge.",
    )  # fmt: skip
