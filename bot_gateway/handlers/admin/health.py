"""Health: whether the core answers, how long the queues are, how far the notifications lag.

Queue sizes come from the list RPCs with a status filter and one page of `QUEUE_PAGE` items: no
list response carries a total, so a fuller queue reads "≥ 100" rather than paging through it all.
They are shown to admins with the QUEUES permission and read on the admin's behalf (`staff`), since
the core asks for QUEUES to list fulfillment tasks and, naming no user, top-up and payout requests;
so is the lag of the core's own workers (GetWorkerLag, QUEUES too): per queue of this
tenant (orders and holds to expire, subscriptions to renew or end, payments to check, fulfillment
tasks due and expired leases, webhook deliveries due) how many items are due and how long ago the
oldest fell due; only the queues with something due are listed, so a healthy core reads as one
line. The notification lag is this bot's own worker's: the events of its consumer not handled yet
(ListEvents from the committed cursor) and the age of the oldest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot_gateway.admin_access import QUEUES, Permission
from bot_gateway.callbacks import AdminCallback, AdminSection
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin import back_to_admin
from bot_gateway.notification_texts import NOTIFIED_TYPES
from bot_gateway.notifier import CONSUMER
from sdk.billinghub.v1 import (
    event_service_pb2,
    fulfillment_pb2,
    fulfillment_service_pb2,
    referral_pb2,
    referral_service_pb2,
    report_service_pb2,
    topup_pb2,
    topup_service_pb2,
)
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

router = Router(name="admin_health")

QUEUE_PAGE = 100
UNKNOWN = "?"


def count_text(count: int, more: bool) -> str:
    """A queue's size: exact, or "≥ N" when the page was full and more follow."""
    return f"≥ {count}" if more else str(count)


async def _count(read: Callable[[], Awaitable[tuple[int, bool]]]) -> str:
    try:
        count, more = await read()
    except BillingHubError:
        return UNKNOWN
    return count_text(count, more)


async def pending_topups(staff: BillingHubClient) -> tuple[int, bool]:
    response: topup_service_pb2.ListTopupRequestsResponse = await staff.topups.ListTopupRequests(
        topup_service_pb2.ListTopupRequestsRequest(status=topup_pb2.TOPUP_REQUEST_STATUS_PENDING, page_size=QUEUE_PAGE)
    )
    return len(response.topup_requests), bool(response.next_page_token)


async def pending_payouts(staff: BillingHubClient) -> tuple[int, bool]:
    response: referral_service_pb2.ListPayoutRequestsResponse = await staff.referrals.ListPayoutRequests(
        referral_service_pb2.ListPayoutRequestsRequest(status=referral_pb2.PAYOUT_STATUS_PENDING, page_size=QUEUE_PAGE)
    )
    return len(response.payout_requests), bool(response.next_page_token)


async def queued_tasks(staff: BillingHubClient) -> tuple[int, bool]:
    response: fulfillment_service_pb2.ListTasksResponse = await staff.fulfillment.ListTasks(
        fulfillment_service_pb2.ListTasksRequest(status=fulfillment_pb2.TASK_STATUS_QUEUED, page_size=QUEUE_PAGE)
    )
    return len(response.tasks), bool(response.next_page_token)


async def notification_lag(hub: BillingHubClient, now: dt.datetime | None = None) -> str:
    """The bot's notifications not sent yet and how old the oldest is, e.g. "3 (oldest 2 min ago)"."""
    try:
        response: event_service_pb2.ListEventsResponse = await hub.events.ListEvents(
            event_service_pb2.ListEventsRequest(consumer=CONSUMER, types=list(NOTIFIED_TYPES), page_size=QUEUE_PAGE)
        )
    except BillingHubError:
        return UNKNOWN
    events = response.events
    if not events:
        return "0"
    now = now or dt.datetime.now(dt.UTC)
    oldest = events[0].create_time.ToDatetime(dt.UTC)
    age = minutes_ago(int((now - oldest).total_seconds()))
    return f"{count_text(len(events), len(events) >= QUEUE_PAGE)} ({age})"


def minutes_ago(seconds: int) -> str:
    """How long ago the oldest item fell due, in whole minutes."""
    minutes = max(seconds // 60, 0)
    return ngettext("oldest {count} minute ago", "oldest {count} minutes ago", minutes).format(count=minutes)


def queue_label(queue: report_service_pb2.WorkerQueue) -> str:
    """What a core worker's queue holds, in the admin's language."""
    q = report_service_pb2
    labels: dict[report_service_pb2.WorkerQueue, str] = {
        q.WORKER_QUEUE_ORDER_EXPIRY: _("Orders to expire"),
        q.WORKER_QUEUE_HOLD_EXPIRY: _("Holds to release"),
        q.WORKER_QUEUE_SUBSCRIPTION_RENEWAL: _("Subscriptions to renew or end"),
        q.WORKER_QUEUE_PAYMENT_RECONCILIATION: _("Payments to check with providers"),
        q.WORKER_QUEUE_FULFILLMENT_QUEUED: _("Fulfillment tasks due"),
        q.WORKER_QUEUE_FULFILLMENT_EXPIRED_LEASES: _("Fulfillment leases expired"),
        q.WORKER_QUEUE_OUTBOUND_WEBHOOKS: _("Webhook deliveries due"),
    }
    return labels.get(queue, str(queue))  # a queue a newer core added: its number


async def worker_lag_lines(staff: BillingHubClient) -> list[str]:
    """The core workers' backlogs of this tenant: one line per queue with items due, or one line
    saying nothing waits (or that the core did not answer)."""
    try:
        response: report_service_pb2.GetWorkerLagResponse = await staff.reports.GetWorkerLag(
            report_service_pb2.GetWorkerLagRequest()
        )
    except BillingHubError:
        return [_("Core workers: {state}").format(state=UNKNOWN)]
    waiting = [b for b in response.backlogs if b.due > 0]
    if not waiting:
        return [_("Core workers: ✅ nothing waiting")]
    lines = [_("Core workers:")]
    lines += [f"• {queue_label(b.queue)}: {b.due} ({minutes_ago(b.oldest_due_seconds)})" for b in waiting]
    return lines


async def health_text(hub: BillingHubClient, staff: BillingHubClient, permissions: frozenset[Permission]) -> str:
    """The core's status, then the queues (for QUEUES admins) and the notification backlog."""
    try:
        status = await hub.health()
    except Exception:  # unreachable, refused, timed out: the screen says so instead of failing
        status = ""
    lines = [_("🩺 Health"), ""]
    if status == "SERVING":
        lines.append(_("Core: ✅ reachable"))
    elif status:
        lines.append(_("Core: ⚠️ {status}").format(status=status))
    else:
        lines.append(_("Core: ❌ unreachable"))
        return "\n".join(lines)
    if QUEUES in permissions:
        queues: list[tuple[str, Callable[[], Awaitable[tuple[int, bool]]]]] = [
            (_("Top-up requests pending"), lambda: pending_topups(staff)),
            (_("Payout requests pending"), lambda: pending_payouts(staff)),
            (_("Fulfillment tasks queued"), lambda: queued_tasks(staff)),
        ]
        lines += ["", _("Queues:")]
        lines += [f"• {label}: {await _count(read)}" for label, read in queues]
        lines += ["", *await worker_lag_lines(staff)]
    lines += ["", _("Notifications waiting: {backlog}").format(backlog=await notification_lag(hub))]
    return "\n".join(lines)


@router.message(Command("health"))
@router.callback_query(AdminCallback.filter(F.section == AdminSection.HEALTH))
async def open_health(
    event: Message | CallbackQuery, hub: BillingHubClient, staff: BillingHubClient, permissions: frozenset[Permission]
) -> None:
    """Show the health screen; it answers even when the core does not."""
    await show(event, await health_text(hub, staff, permissions), back_to_admin())
