"""`/api/v1` manual top-ups: the tenant's methods, a user's request to be credited for a payment
made outside the hub, and the tenant admins' queue that approves (credits once) or rejects."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "topups"


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/topup-methods", "TopupRequestService.ListTopupMethods", resource=TAG,
        summary="How the tenant accepts manual top-ups: titles and instructions by locale (active_only=true "
        "for those offered now).",
    )  # fmt: skip
    expose(
        api, "POST", "/users/<user_id>/topup-requests", "TopupRequestService.CreateTopupRequest", resource=TAG,
        unwrap="topup_request",
        summary="The user paid by method_code (amount, or the package_id bought) and asks to be credited; the "
        "request waits for a tenant admin.",
    )  # fmt: skip
    expose(
        api, "GET", "/users/<user_id>/topup-requests", "TopupRequestService.ListTopupRequests", resource=TAG,
        name="ListUserTopupRequests", summary="The user's top-up requests, newest first.",
    )  # fmt: skip
    expose(
        api, "GET", "/topup-requests", "TopupRequestService.ListTopupRequests", resource=TAG,
        summary="The tenant's top-up requests, newest first: the queue of status=pending (tenant admins; "
        "partner keys must name a user_id).",
    )  # fmt: skip
    expose(
        api, "GET", "/topup-requests/<topup_request_id>", "TopupRequestService.GetTopupRequest", resource=TAG,
        unwrap="topup_request",
        summary="One top-up request; with `user_id`, the user it must belong to (another user's is 404).",
    )  # fmt: skip
    expose(
        api, "POST", "/topup-requests/<topup_request_id>/approve", "TopupRequestService.ApproveTopupRequest",
        resource=TAG, unwrap="topup_request",
        summary="Tenant admins: credit the request (its amount or package delivery, or `credit`) once and mark "
        "it approved (409 TOPUP_REQUEST_NOT_PENDING once decided).",
    )  # fmt: skip
    expose(
        api, "POST", "/topup-requests/<topup_request_id>/reject", "TopupRequestService.RejectTopupRequest",
        resource=TAG, unwrap="topup_request", summary="Tenant admins: refuse the request with a reason.",
    )  # fmt: skip
