"""An admin retries a fulfillment task that failed for good (RetryTask): the task is queued again,
due now, with a fresh budget of attempts, while its order is still owed the delivery; a task whose
order was refunded is refused, as is one that is not failed, and either refusal changes nothing."""

from __future__ import annotations

import asyncio
import json

import pytest

from sdk import FailedPrecondition, NotFound, PermissionDenied
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import fulfillment_pb2, order_pb2, package_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as pb
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import discount_code, settled_events
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, fund, new_user

T = fulfillment_pb2
O = order_pb2  # noqa: E741 (the order statuses' module, as T is the tasks')
SERVICE = package_pb2.PACKAGE_KIND_SERVICE
STARS = package_pb2.PACKAGE_KIND_TELEGRAM_STARS
QUEUER, REFUNDER = 701, 702


async def _service_order(shop: TenantHandle) -> str:
    await ensure_rub(shop)
    package = await create_package(shop, kind=SERVICE, price=price(9_999, "RUB"), posts_per_day=5)
    user = await new_user(shop)
    await fund(shop, user, 9_999, "RUB")
    order = await create_order(shop, user, package.id)
    await pay(shop, order.id)
    return order.id


async def _failed_service_task(shop: TenantHandle) -> tuple[str, T.Task]:
    """A service order that runs, with one input whose task failed for good."""
    order = await _service_order(shop)
    await shop.admin.orders.SubmitServiceInput(
        orders_pb.SubmitServiceInputRequest(order_id=order, url="https://t.me/c/1", platform="telegram")
    )
    [task] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=SERVICE))).tasks
    failed = await shop.admin.fulfillment.FailTask(pb.FailTaskRequest(task_id=task.id, reason="post deleted"))
    assert failed.task.status == T.TASK_STATUS_FAILED
    return order, failed.task


async def _leased_gift(shop: TenantHandle) -> tuple[order_pb2.Order, T.Task]:
    """A paid order of 50 Stars for a friend, its task leased by a processor."""
    stars = await stars_per_unit(shop)
    user = await new_user(shop)
    await fund(shop, user, 9_000, "RUB")
    order = await create_order(shop, user, stars.id, quantity=50, recipient="gift_target")
    await pay(shop, order.id)
    [task] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
    return order, task


async def _order(shop: TenantHandle, order: str) -> order_pb2.Order:
    return (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order))).order


async def _task(shop: TenantHandle, task: str) -> T.Task:
    return (await shop.admin.fulfillment.GetTask(pb.GetTaskRequest(task_id=task))).task


def _retry(task: str, request_id: str = "") -> pb.RetryTaskRequest:
    return pb.RetryTaskRequest(request_id=request_id, task_id=task)


async def test_a_failed_service_input_is_queued_again_and_runs(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry service")
    await set_admins(shop, [admin(QUEUER, P.ADMIN_PERMISSION_QUEUES, name="Quinn")])
    order, failed = await _failed_service_task(shop)
    assert (await _order(shop, order)).status == O.ORDER_STATUS_FULFILLED  # a service input fails alone
    bot = (await gateway_of(hub, shop)).on_behalf_of(QUEUER)

    retried = (await bot.fulfillment.RetryTask(_retry(failed.id, "tap-1"))).task

    assert (retried.status, retried.attempts, retried.max_attempts) == (T.TASK_STATUS_QUEUED, 1, 6)
    assert retried.last_error == "post deleted"  # until the next attempt reports
    assert (await _order(shop, order)).status == O.ORDER_STATUS_FULFILLED
    [leased] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=SERVICE))).tasks  # due now
    assert (leased.id, leased.attempts) == (failed.id, 2)
    done = await shop.admin.fulfillment.CompleteTask(pb.CompleteTaskRequest(task_id=leased.id))
    assert done.task.status == T.TASK_STATUS_COMPLETED
    events = await settled_events(shop, "task.")
    requeued = [json.loads(e.data) for e in events if e.type == "task.requeued"]
    assert [(e["task_id"], e["status"]) for e in requeued] == [(failed.id, "queued")]
    entries = (
        await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(target_id=failed.id))
    ).audit_entries
    assert [(e.action, e.actor.startswith(f"telegram:{QUEUER} via gateway:")) for e in entries] == [
        ("task.requeued", True)
    ]
    await assert_ledger_ok(shop)


async def test_a_free_gift_order_goes_back_to_paid_and_is_fulfilled(hub: Hub) -> None:
    """A Stars order nothing was paid for (a 100 % discount) fails without a refund: its retry
    takes the order back to paid, and the task completing fulfils it."""
    shop = await hub.new_tenant("Retry free gift")
    stars = await stars_per_unit(shop)
    await discount_code(shop, "FREE", percent_bps=10_000)
    user = await new_user(shop)
    order = await create_order(shop, user, stars.id, quantity=50, recipient="gift_target", promo_code="FREE")
    assert order.total.amount_minor == 0
    await pay(shop, order.id)
    [task] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
    await shop.admin.fulfillment.FailTask(pb.FailTaskRequest(task_id=task.id, reason="USERNAME_NOT_FOUND"))
    assert (await _order(shop, order.id)).status == O.ORDER_STATUS_FAILED

    await shop.admin.fulfillment.RetryTask(_retry(task.id))

    back = await _order(shop, order.id)
    assert (back.status, back.failure_reason) == (O.ORDER_STATUS_PAID, "")
    [again] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
    await shop.admin.fulfillment.CompleteTask(pb.CompleteTaskRequest(task_id=again.id, result='{"tx": "1"}'))
    assert (await _order(shop, order.id)).status == O.ORDER_STATUS_FULFILLED
    types = [e.type for e in await settled_events(shop, "order.delivery_retried", "task.requeued")]
    assert sorted(types) == ["order.delivery_retried", "task.requeued"]
    await assert_ledger_ok(shop)


async def test_a_task_that_is_not_failed_is_refused_and_nothing_changes(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry not failed")
    await _service_order(shop)
    order = await _service_order(shop)
    submitted = await shop.admin.orders.SubmitServiceInput(
        orders_pb.SubmitServiceInputRequest(order_id=order, url="https://t.me/c/2", platform="telegram")
    )
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.fulfillment.RetryTask(_retry(submitted.task.id))
    assert (caught.value.reason, caught.value.metadata["status"]) == ("TASK_NOT_FAILED", "queued")
    assert await _task(shop, submitted.task.id) == submitted.task


async def test_the_task_of_a_refunded_order_is_refused_and_nothing_changes(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry refunded")
    order, task = await _leased_gift(shop)
    await shop.admin.fulfillment.FailTask(pb.FailTaskRequest(task_id=task.id, reason="USERNAME_NOT_FOUND"))
    refunded, failed = await _order(shop, order.id), await _task(shop, task.id)
    assert refunded.status == O.ORDER_STATUS_REFUNDED  # the core refunded it when the task failed

    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.fulfillment.RetryTask(_retry(task.id))

    assert (caught.value.reason, caught.value.metadata["order_status"]) == ("TASK_ORDER_REFUNDED", "refunded")
    assert (await _order(shop, order.id), await _task(shop, task.id)) == (refunded, failed)
    assert [e.type for e in await settled_events(shop, "task.requeued")] == []
    await assert_ledger_ok(shop)


async def test_the_input_of_a_service_order_refunded_in_full_is_refused(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry refunded service")
    order, failed = await _failed_service_task(shop)
    await shop.admin.orders.RefundOrder(orders_pb.RefundOrderRequest(order_id=order, reason="asked", actor="desk"))
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.fulfillment.RetryTask(_retry(failed.id))
    assert caught.value.reason == "TASK_ORDER_REFUNDED"
    assert (await _task(shop, failed.id)).status == T.TASK_STATUS_FAILED


async def test_every_read_of_a_task_says_whether_its_retry_would_be_taken(hub: Hub) -> None:
    """`retryable` on each answer that carries a task, so a screen offers Retry only where the core
    takes it: a failed service input while its order runs, never a refunded Stars order's task."""
    shop = await hub.new_tenant("Retryable")
    order, failed = await _failed_service_task(shop)
    assert failed.retryable  # FailTask's own answer

    async def seen(task: str, order_id: str) -> list[bool]:
        listed = (await shop.admin.fulfillment.ListTasks(pb.ListTasksRequest(status=T.TASK_STATUS_FAILED))).tasks
        of_order = (await shop.admin.orders.ListOrderTasks(orders_pb.ListOrderTasksRequest(order_id=order_id))).tasks
        return [
            (await _task(shop, task)).retryable,
            *(t.retryable for t in listed if t.id == task),
            *(t.retryable for t in of_order if t.id == task),
        ]

    assert await seen(failed.id, order) == [True, True, True]
    await shop.admin.orders.RefundOrder(orders_pb.RefundOrderRequest(order_id=order, reason="asked", actor="desk"))
    assert await seen(failed.id, order) == [False, False, False]

    gift, task = await _leased_gift(shop)
    assert not task.retryable  # leased, not failed
    answer = await shop.admin.fulfillment.FailTask(pb.FailTaskRequest(task_id=task.id, reason="USERNAME_NOT_FOUND"))
    assert (answer.task.status, answer.task.retryable) == (T.TASK_STATUS_FAILED, False)  # refunded as it failed
    assert await seen(task.id, gift.id) == [False, False, False]
    with pytest.raises(FailedPrecondition):
        await shop.admin.fulfillment.RetryTask(_retry(task.id))  # as the field said


async def test_another_tenants_task_is_not_found(hub: Hub) -> None:
    owner = await hub.new_tenant("Retry owner")
    _order_id, failed = await _failed_service_task(owner)
    stranger = await hub.new_tenant("Retry stranger")
    with pytest.raises(NotFound) as caught:
        await stranger.admin.fulfillment.RetryTask(_retry(failed.id))
    assert caught.value.reason == "TASK_NOT_FOUND"
    assert (await _task(owner, failed.id)).status == T.TASK_STATUS_FAILED


async def test_a_replayed_request_answers_the_same_and_a_new_one_is_refused(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry replay")
    _order_id, failed = await _failed_service_task(shop)
    first = await shop.admin.fulfillment.RetryTask(_retry(failed.id, "retry-1"))
    again = await shop.admin.fulfillment.RetryTask(_retry(failed.id, "retry-1"))
    assert again == first
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.fulfillment.RetryTask(_retry(failed.id, "retry-2"))
    assert caught.value.reason == "TASK_NOT_FAILED"
    assert [e.type for e in await settled_events(shop, "task.requeued")] == ["task.requeued"]


async def test_a_gateway_retries_only_for_an_admin_with_queues(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry staff")
    await set_admins(shop, [admin(REFUNDER, P.ADMIN_PERMISSION_REFUNDS)])
    _order_id, failed = await _failed_service_task(shop)
    bot = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as caught:
        await bot.fulfillment.RetryTask(_retry(failed.id))
    assert caught.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as missing:
        await bot.on_behalf_of(REFUNDER).fulfillment.RetryTask(_retry(failed.id))
    assert (missing.value.reason, missing.value.metadata["permission"]) == ("ADMIN_PERMISSION_MISSING", "queues")
    assert (await _task(shop, failed.id)).status == T.TASK_STATUS_FAILED


async def test_concurrent_retries_queue_the_task_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Retry race")
    _order_id, failed = await _failed_service_task(shop)
    results = await asyncio.gather(
        *(shop.admin.fulfillment.RetryTask(_retry(failed.id, f"admin-{n}")) for n in range(12)),
        return_exceptions=True,
    )
    queued = [r for r in results if isinstance(r, pb.RetryTaskResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "TASK_NOT_FAILED"]
    assert (len(queued), len(refused)) == (1, 11)
    assert [e.type for e in await settled_events(shop, "task.requeued")] == ["task.requeued"]
    assert (await _task(shop, failed.id)).max_attempts == 6
