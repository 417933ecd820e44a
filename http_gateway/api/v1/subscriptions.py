"""`/api/v1` subscriptions and entitlements: what a website's user may use now, their plans, and
stopping a plan's renewal (the plan runs on until its end)."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "subscriptions"


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/users/<user_id>/entitlements", "SubscriptionService.ListEntitlements", resource=TAG,
        summary="What the user may use now: active plans and active service orders, each with its end.",
    )  # fmt: skip
    expose(
        api, "GET", "/users/<user_id>/subscriptions", "SubscriptionService.ListSubscriptions", resource=TAG,
        name="ListUserSubscriptions", summary="The user's subscriptions by end time (filters: status, plan_code).",
    )  # fmt: skip
    expose(
        api, "GET", "/subscriptions", "SubscriptionService.ListSubscriptions", resource=TAG,
        summary="The tenant's subscriptions by end time (tenant admins; partner keys must name a user_id).",
    )  # fmt: skip
    expose(
        api, "GET", "/subscriptions/<subscription_id>", "SubscriptionService.GetSubscription", resource=TAG,
        unwrap="subscription",
        summary="One subscription; with `user_id`, the user it must belong to (another user's is 404).",
    )  # fmt: skip
    expose(
        api, "POST", "/subscriptions/<subscription_id>/cancel", "SubscriptionService.CancelSubscription",
        resource=TAG, unwrap="subscription",
        summary="Stop the plan's renewal; it stays usable until end_time (409 SUBSCRIPTION_NOT_ACTIVE when it "
        "is already cancelled or expired); with `user_id` in the body, the user it must belong to (another "
        "user's is 404 and keeps renewing).",
    )  # fmt: skip
