"""What a user is told about an event of the core, and what a tenant's alert chat is told.

Each notified event type maps to the user it concerns (the payload's `user_id`, or `referrer_id`
for a commission), a text of the catalogs (marked here, translated per user when sent) and the
values of its placeholders. Amounts are shown with their asset's scale, orders by the first
eight characters of their id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot_gateway.formatting import Scales, money, short_id
from bot_gateway.i18n import gettext_noop
from sdk.billinghub.v1 import common_pb2

# a Stars payment is thanked for in the chat where it was made (the successful_payment update)
STARS_PROVIDER = "telegram_stars"
WALLET = "wallet"  # an order's paid_via when its buyer's wallet paid it
GATEWAY = "gateway"  # an order event's paid_by when a bot's call paid it


@dataclass(frozen=True)
class Notice:
    """A text to send: `text` is a catalog message id, `values` fill its placeholders."""

    text: str
    values: Mapping[str, str] = field(default_factory=dict)
    user_id: str = ""  # the core user to tell; empty for an admin alert


def _amount(data: Mapping[str, Any], scales: Scales, amount_key: str = "amount_minor", asset_key: str = "asset") -> str:
    amount = common_pb2.Money(asset=str(data.get(asset_key) or ""), amount_minor=int(data.get(amount_key) or 0))
    return money(amount, scales)


def _order(data: Mapping[str, Any]) -> str:
    return "#" + short_id(str(data.get("order_id") or ""))


def answered_in_chat(data: Mapping[str, Any]) -> bool:
    """An order a bot (a gateway key) paid from the wallet, delivered in the same moment: its buyer
    bought it in the chat and saw "Paid … Order …" as the answer, so a notice of its delivery would
    only repeat it. A delivery that came later (a Stars or Premium task), a provider's payment, or a
    purchase an admin or a website made for the user is news to the chat and is told."""
    paid_at = data.get("paid_at")
    return (
        data.get("paid_via") == WALLET
        and data.get("paid_by") == GATEWAY
        and bool(paid_at)
        and paid_at == data.get("fulfilled_at")
    )


def _reason(data: Mapping[str, Any]) -> str:
    return str(data.get("reason") or "")


def user_notice(event_type: str, data: Mapping[str, Any], scales: Scales) -> Notice | None:
    """The user's notice of an event, or None when the event is not one users are told about."""
    user = str(data.get("user_id") or "")
    if event_type == "payment.succeeded" and data.get("provider") != STARS_PROVIDER:
        paid = {
            "amount_minor": data.get("received_minor") or data.get("amount_minor"),
            "asset": data.get("received_asset") or data.get("asset"),
        }
        return Notice(gettext_noop("Payment received: {amount}. Thank you!"), {"amount": _amount(paid, scales)}, user)
    if event_type == "order.fulfilled":
        if answered_in_chat(data):
            return None
        return Notice(gettext_noop("Your order {order} has been delivered."), {"order": _order(data)}, user)
    if event_type == "order.failed":
        return Notice(gettext_noop("Your order {order} could not be completed."), {"order": _order(data)}, user)
    if event_type == "order.refunded":
        amount = _amount(data, scales, amount_key="refunded_minor")
        return Notice(
            gettext_noop("Your order {order} was refunded: {amount}."), {"order": _order(data), "amount": amount}, user
        )
    if event_type == "subscription.expiring":
        values = {"plan": str(data.get("plan_code") or ""), "date": str(data.get("end_time") or "")[:10]}
        return Notice(gettext_noop("Your subscription {plan} ends on {date}."), values, user)
    if event_type == "subscription.expired":
        return Notice(
            gettext_noop("Your subscription {plan} has ended."), {"plan": str(data.get("plan_code") or "")}, user
        )
    if event_type == "referral.commission":
        amount = _amount(data, scales, amount_key="amount")
        return Notice(
            gettext_noop("You earned a referral commission: {amount}."),
            {"amount": amount},
            str(data.get("referrer_id") or ""),
        )
    if event_type == "topup_request.approved":
        return Notice(
            gettext_noop("Your top-up request for {amount} was approved."), {"amount": _amount(data, scales)}, user
        )
    if event_type == "topup_request.rejected":
        values = {"amount": _amount(data, scales), "reason": _reason(data)}
        return Notice(gettext_noop("Your top-up request for {amount} was rejected. {reason}"), values, user)
    if event_type == "referral.payout_paid":
        return Notice(gettext_noop("Your payout of {amount} was sent."), {"amount": _amount(data, scales)}, user)
    if event_type == "referral.payout_rejected":
        values = {"amount": _amount(data, scales), "reason": _reason(data)}
        return Notice(gettext_noop("Your payout request for {amount} was rejected. {reason}"), values, user)
    return None


SERVICE_TASK = "service"  # a service input's task: its failure fails the input, not the order
MAX_DETAIL = 200  # characters of a reason or error quoted in an alert


def _detail(text: object) -> str:
    detail = str(text or "").strip()
    return detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"


def admin_notice(event_type: str, data: Mapping[str, Any], scales: Scales) -> Notice | None:
    """The alert chat's notice of an event: a new paid order, an underpaid payment, a failed
    delivery, a new top-up or payout request, a finished broadcast; None for any other event.

    A failed delivery is told once: an order's (Stars, Premium) task that fails for good fails
    the order (`order.failed`, with the reason); a service input's task fails alone (`task.failed`
    of kind "service"), so only those task failures are told."""
    if event_type == "order.paid":
        amount = _amount(data, scales, amount_key="total_minor")
        return Notice(gettext_noop("New paid order {order}: {amount}."), {"order": _order(data), "amount": amount})
    if event_type == "payment.underpaid":
        received = _amount(data, scales, amount_key="received_minor", asset_key="received_asset")
        values = {"asked": _amount(data, scales), "received": received}
        if data.get("credited"):
            text = gettext_noop("⚠️ Underpaid payment: asked {asked}, received {received}, credited to the wallet.")
        else:
            text = gettext_noop("⚠️ Underpaid payment: asked {asked}, received {received}, nothing credited.")
        return Notice(text, values)
    if event_type == "order.failed":
        values = {"order": _order(data), "reason": _detail(data.get("reason"))}
        return Notice(gettext_noop("❗ Delivery of order {order} failed: {reason}"), values)
    if event_type == "task.failed" and data.get("kind") == SERVICE_TASK:
        values = {"order": _order(data), "reason": _detail(data.get("last_error"))}
        return Notice(gettext_noop("❗ A post of service order {order} failed: {reason}"), values)
    if event_type == "topup_request.created":
        values = {"amount": _amount(data, scales), "method": str(data.get("method_code") or "")}
        return Notice(gettext_noop("📥 New top-up request: {amount} ({method}). See /admin."), values)
    if event_type == "referral.payout_requested":
        values = {"amount": _amount(data, scales), "destination": _detail(data.get("destination"))}
        return Notice(gettext_noop("📤 New payout request: {amount} to {destination}. See /admin."), values)
    if event_type == "broadcast.finished":
        values = {key: str(int(data.get(key) or 0)) for key in ("sent", "blocked", "failed", "audience")}
        return Notice(
            gettext_noop("📣 Broadcast finished. Sent: {sent}, blocked: {blocked}, failed: {failed} of {audience}."),
            values,
        )
    return None


USER_EVENT_TYPES = (
    "payment.succeeded",
    "order.fulfilled",
    "order.failed",
    "order.refunded",
    "subscription.expiring",
    "subscription.expired",
    "referral.commission",
    "topup_request.approved",
    "topup_request.rejected",
    "referral.payout_paid",
    "referral.payout_rejected",
)
ADMIN_EVENT_TYPES = (
    "order.paid",
    "payment.underpaid",
    "order.failed",
    "task.failed",
    "topup_request.created",
    "referral.payout_requested",
    "broadcast.finished",
)
NOTIFIED_TYPES = tuple(dict.fromkeys(USER_EVENT_TYPES + ADMIN_EVENT_TYPES))  # order.failed is in both


def payload(data: str) -> dict[str, Any]:
    """An event's JSON payload; an empty object when it is not one."""
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
