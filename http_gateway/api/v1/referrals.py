"""`/api/v1` referrals and payouts: the tenant's program, a user's referral figures and invitees,
and payout requests of referral earnings (asked by the website, decided by tenant admins)."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "referrals"


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/referral-program", "ReferralService.GetReferralProgram", resource=TAG, unwrap="program",
        summary="The tenant's referral program (rates by level, payout asset, hold days, tiers, minimum payout).",
    )  # fmt: skip
    expose(
        api, "GET", "/referral-leaderboard", "ReferralService.GetLeaderboard", resource=TAG,
        summary="Referrers ranked by users invited or by earnings over a period (all time when unset).",
    )  # fmt: skip
    expose(
        api, "GET", "/users/<user_id>/referral-stats", "ReferralService.GetReferralStats", resource=TAG,
        unwrap="stats", summary="The user's code, link, invitees by level, earnings (pending, withdrawable), tier.",
    )  # fmt: skip
    expose(
        api, "GET", "/users/<user_id>/referrals", "ReferralService.ListReferrals", resource=TAG,
        summary="The users this user invited at one level (1 by default), newest first.",
    )  # fmt: skip
    expose(
        api, "POST", "/users/<user_id>/payout-requests", "ReferralService.CreatePayoutRequest", resource=TAG,
        unwrap="payout_request",
        summary="Ask to withdraw amount_minor of the payout asset to destination; the amount is held until a "
        "tenant admin decides (409 BELOW_MIN_PAYOUT, INSUFFICIENT_FUNDS above the withdrawable amount).",
    )  # fmt: skip
    expose(
        api, "GET", "/users/<user_id>/payout-requests", "ReferralService.ListPayoutRequests", resource=TAG,
        name="ListUserPayoutRequests", summary="The user's payout requests, newest first.",
    )  # fmt: skip
    expose(
        api, "GET", "/payout-requests", "ReferralService.ListPayoutRequests", resource=TAG,
        summary="The tenant's payout requests, newest first: the queue of status=pending (tenant admins; "
        "partner keys must name a user_id).",
    )  # fmt: skip
    expose(
        api, "POST", "/payout-requests/<payout_request_id>/approve", "ReferralService.ApprovePayoutRequest",
        resource=TAG, unwrap="payout_request",
        summary="Tenant admins: the request was paid out (payment_reference, actor); the held amount is taken.",
    )  # fmt: skip
    expose(
        api, "POST", "/payout-requests/<payout_request_id>/reject", "ReferralService.RejectPayoutRequest",
        resource=TAG, unwrap="payout_request",
        summary="Tenant admins: refuse the request (reason, actor); the held amount is released.",
    )  # fmt: skip
