"""`/api/v1/tasks`: fulfillment tasks for an outside processor (a Fragment runner, a promotion
service) that pulls work over HTTP, as the SocialBoost reference's processor does.

Leasing changes state (a leased task is hidden from other processors until its lease ends), so
it is offered as `POST /tasks/lease` and, for processors that poll with GET, as `GET
/tasks/pending`: both lease. A processor holds a tenant admin key: fulfilling orders is the
tenant's own work, and the core refuses partner keys (a website acts for its users only).
"""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose, expose_choice

TAG = "tasks"
LIMIT = {"max_tasks": "limit"}
LEASES = (
    "Lease up to `limit` (1-100, default 10) queued tasks of `kind` for `lease_seconds` (10-3600, default "
    "300): other processors do not see them until the lease ends; a task whose lease ends unfinished is "
    "queued again."
)


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/tasks/pending", "FulfillmentService.LeaseTasks", resource=TAG, name="LeasePendingTasks",
        renames=LIMIT, summary=LEASES + " This GET leases too, exactly as POST /tasks/lease.",
    )  # fmt: skip
    expose(api, "POST", "/tasks/lease", "FulfillmentService.LeaseTasks", resource=TAG, renames=LIMIT, summary=LEASES)
    expose_choice(
        api, "PUT", "/tasks/<task_id>/status", "status",
        {"completed": "FulfillmentService.CompleteTask", "failed": "FulfillmentService.FailTask"},
        name="SetTaskStatus", resource=TAG, unwrap="task",
        summary="Report a leased task's outcome: {\"status\": \"completed\", \"result\": \"<JSON object as a "
        "string>\"} fulfils its order; {\"status\": \"failed\", \"reason\": ..., \"retryable\": true} queues "
        "it again after a backoff, a final failure refunds Stars and Premium orders. 409 TASK_NOT_LEASED when "
        "the task is not leased (another processor already reported it). The Idempotency-Key is kept per "
        "outcome: a key reused with the other status is refused by the task's state, not by the key.",
    )  # fmt: skip
    expose(
        api, "POST", "/tasks/<task_id>/retry", "FulfillmentService.RetryTask", resource=TAG, unwrap="task",
        summary="Tenant admins: queue a task that failed for good again, due now, with a fresh budget of "
        "attempts. 409 TASK_NOT_FAILED when the task is not failed (retried already), 409 TASK_ORDER_REFUNDED "
        "when its order was refunded (a Stars or Premium order is refunded when its task fails for good).",
    )  # fmt: skip
    expose(
        api, "GET", "/tasks/<task_id>", "FulfillmentService.GetTask", resource=TAG, unwrap="task", summary="One task."
    )
    expose(
        api, "GET", "/tasks", "FulfillmentService.ListTasks", resource=TAG,
        summary="The tenant's tasks, newest first (filters: kind, status, order_id).",
    )  # fmt: skip
