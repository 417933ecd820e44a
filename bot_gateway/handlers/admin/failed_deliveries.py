"""Failed deliveries: the fulfillment tasks that failed for good, and their retry.

The screen is reached from the orders page (a REFUNDS section) by admins who also hold QUEUES, and
every handler here needs QUEUES, as ListTasks and RetryTask do in the core. Each task shows its
order, its attempts and last error, a button to its order and, where the core says the task is
`retryable`, a **Retry** button: RetryTask, made on the admin's behalf, queues the task again, due
now, with a fresh budget of attempts. A Stars or Premium order refunded when its task failed gets
no button (its retry is always refused).

The core decides whether a retry is right, under the order's lock: a service post's task is
queued again unless its order was refunded in full; a Stars or Premium order was refunded when
its task failed, so its retry is refused (TASK_ORDER_REFUNDED: it would deliver without payment;
a tap from a screen older than the refund), and so is a task a second admin already queued again
from the same, now stale, screen
(TASK_NOT_FAILED). The tap's
request_id is its callback query's id, so a redelivered update retries once.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot_gateway.admin_access import QUEUES
from bot_gateway.callbacks import FailedTasksCallback, RetryTaskCallback
from bot_gateway.formatting import short_id
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG, refusal
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin_orders import after_retry, failed_keyboard
from sdk.billinghub.v1 import fulfillment_pb2, fulfillment_service_pb2, package_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

router = Router(name="admin_failed_deliveries")

NEEDS_QUEUES = {PERMISSION_FLAG: QUEUES}
PAGE_SIZE = 5
FAILED_TOKENS_KEY = "admin_failed_tokens"  # FSM data: page -> the core's page token


@router.callback_query(FailedTasksCallback.filter(), flags=NEEDS_QUEUES)
async def failed_deliveries(
    callback: CallbackQuery, callback_data: FailedTasksCallback, staff: BillingHubClient, state: FSMContext
) -> None:
    """The tasks that failed for good, newest first, each leading to its order or retried."""
    page = max(callback_data.page, 0)
    tokens: dict[str, str] = dict((await state.get_data()).get(FAILED_TOKENS_KEY, {}))
    token = tokens.get(str(page), "")
    if page and not token:
        page = 0
    response: fulfillment_service_pb2.ListTasksResponse = await staff.fulfillment.ListTasks(
        fulfillment_service_pb2.ListTasksRequest(
            status=fulfillment_pb2.TASK_STATUS_FAILED, page_size=PAGE_SIZE, page_token=token
        )
    )
    if response.next_page_token:
        tokens[str(page + 1)] = response.next_page_token
    await state.update_data({FAILED_TOKENS_KEY: tokens})
    lines = [_("⚠️ Failed deliveries (page {page})").format(page=page + 1), ""]
    buttons = []
    for task in response.tasks:
        kind = package_pb2.PackageKind.Name(task.kind).removeprefix("PACKAGE_KIND_").lower()
        lines.append(
            _("#{order} · {kind} · attempts: {attempts}/{max} · {error}").format(
                order=short_id(task.order_id),
                kind=kind,
                attempts=task.attempts,
                max=task.max_attempts,
                error=task.last_error or "—",
            )
        )
        buttons.append((task.id, task.order_id, task.retryable))
    if not response.tasks:
        lines.append(_("No deliveries have failed."))
    lines += [
        "",
        _(
            "Retry queues a delivery again. An order refunded when its delivery failed (Stars and Premium are) "
            "has no Retry: it would be delivered unpaid."
        ),
    ]
    await show(callback, "\n".join(lines), failed_keyboard(buttons, page, has_next=bool(response.next_page_token)))


@router.callback_query(RetryTaskCallback.filter(), flags=NEEDS_QUEUES)
async def retry_task(callback: CallbackQuery, callback_data: RetryTaskCallback, staff: BillingHubClient) -> None:
    """Queue the task again in the core, on the admin's behalf, and say what came of it."""
    await show(callback, await _retry(staff, callback_data.task_id, f"tg-callback:{callback.id}"), after_retry())


async def _retry(staff: BillingHubClient, task_id: str, call_id: str) -> str:
    try:
        response: fulfillment_service_pb2.RetryTaskResponse = await staff.fulfillment.RetryTask(
            fulfillment_service_pb2.RetryTaskRequest(request_id=call_id, task_id=task_id)
        )
    except FailedPrecondition as error:
        if error.reason == "TASK_NOT_FAILED":
            return _("This delivery is no longer failed: another admin has already retried it.")
        if error.reason == "TASK_ORDER_REFUNDED":
            return _("This delivery cannot be retried: its order was refunded, so it would be delivered unpaid.")
        return _("The retry was refused: {why}").format(why=error.reason or error.message)
    except (NotFound, InvalidArgument):
        return _("This delivery was not found.")
    except PermissionDenied:
        return refusal()
    return _("🔁 The delivery of order #{id} is queued again.").format(id=short_id(response.task.order_id))
