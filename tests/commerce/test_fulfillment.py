"""Fulfillment tasks as outside processors meet them: lease, complete, fail, retry, refund; and
service inputs within the daily quota."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import fulfillment_pb2, order_pb2, package_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as pb
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit, token_pack
from tests.commerce.orders import create_order, pay
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

STARS = package_pb2.PACKAGE_KIND_TELEGRAM_STARS
T = fulfillment_pb2


async def _paid_stars_order(shop: TenantHandle) -> tuple[str, str]:
    user = await new_user(shop)
    stars = await stars_per_unit(shop)
    await fund(shop, user, 9_000, "RUB")
    order = await create_order(shop, user, stars.id, quantity=50, recipient="gift_target")
    await pay(shop, order.id)
    return user, order.id


async def test_lease_then_complete_fulfils_the_order(hub: Hub) -> None:
    shop = await hub.new_tenant("Fragment runner")
    _user, order = await _paid_stars_order(shop)
    leased = await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS, max_tasks=5, lease_seconds=60))
    [task] = leased.tasks
    assert (task.status, task.attempts, task.order_id) == (T.TASK_STATUS_LEASED, 1, order)
    assert json.loads(task.payload) == {"quantity": 50, "recipient": "gift_target"}
    again = await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))
    assert list(again.tasks) == []
    done = await shop.admin.fulfillment.CompleteTask(pb.CompleteTaskRequest(task_id=task.id, result='{"tx": "abc"}'))
    assert done.task.status == T.TASK_STATUS_COMPLETED
    got = await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order))
    assert got.order.status == order_pb2.ORDER_STATUS_FULFILLED
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.fulfillment.CompleteTask(pb.CompleteTaskRequest(task_id=task.id))
    assert caught.value.reason == "TASK_NOT_LEASED"
    await assert_ledger_ok(shop)


async def test_final_failure_refunds_the_order(hub: Hub) -> None:
    shop = await hub.new_tenant("Failing runner")
    user, order = await _paid_stars_order(shop)
    [task] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
    failed = await shop.admin.fulfillment.FailTask(pb.FailTaskRequest(task_id=task.id, reason="USERNAME_NOT_FOUND"))
    assert failed.task.status == T.TASK_STATUS_FAILED
    got = (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order))).order
    assert (got.status, got.refunded.amount_minor, got.failure_reason) == (
        order_pb2.ORDER_STATUS_REFUNDED,
        9_000,
        "USERNAME_NOT_FOUND",
    )
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 9_000
    await assert_ledger_ok(shop)


async def test_retryable_failures_back_off_then_give_up(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Flaky runner")
    user, _order = await _paid_stars_order(shop)
    for attempt in range(1, 6):
        leased = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
        assert [t.attempts for t in leased] == [attempt]
        result = await shop.admin.fulfillment.FailTask(
            pb.FailTaskRequest(task_id=leased[0].id, reason="timeout", retryable=True)
        )
        if attempt < 5:
            assert result.task.status == T.TASK_STATUS_QUEUED
            wait = result.task.next_attempt_time.ToDatetime(tzinfo=dt.UTC) - clock.now()
            assert wait == dt.timedelta(seconds=30 * 2 ** (attempt - 1))
            assert list((await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks) == []
            clock.advance(wait)
    assert result.task.status == T.TASK_STATUS_FAILED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 9_000
    await assert_ledger_ok(shop)


async def test_an_expired_lease_is_leased_again(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Crashed runner")
    await _paid_stars_order(shop)
    [first] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS, lease_seconds=30))).tasks
    clock.advance(dt.timedelta(seconds=31))
    [second] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
    assert (second.id, second.attempts) == (first.id, 2)


async def test_concurrent_processors_never_share_a_task(hub: Hub) -> None:
    shop = await hub.new_tenant("Many runners")
    for _ in range(6):
        await _paid_stars_order(shop)
    batches = await asyncio.gather(
        *(shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS, max_tasks=2)) for _ in range(6))
    )
    ids = [t.id for b in batches for t in b.tasks]
    assert len(ids) == len(set(ids)) == 6


async def test_bad_task_calls(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad runner")
    with pytest.raises(InvalidArgument):
        await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest())
    with pytest.raises(InvalidArgument):
        await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS, max_tasks=101))
    await _paid_stars_order(shop)
    [task] = (await shop.admin.fulfillment.LeaseTasks(pb.LeaseTasksRequest(kind=STARS))).tasks
    with pytest.raises(InvalidArgument):
        await shop.admin.fulfillment.CompleteTask(pb.CompleteTaskRequest(task_id=task.id, result="[1, 2]"))
    with pytest.raises(InvalidArgument):
        await shop.admin.fulfillment.FailTask(pb.FailTaskRequest(task_id=task.id, reason=""))
    assert (
        await shop.admin.fulfillment.GetTask(pb.GetTaskRequest(task_id=task.id))
    ).task.status == T.TASK_STATUS_LEASED
    listed = await shop.admin.fulfillment.ListTasks(pb.ListTasksRequest(kind=STARS, status=T.TASK_STATUS_LEASED))
    assert [t.id for t in listed.tasks] == [task.id]


async def _service_order(shop: TenantHandle, posts_per_day: int = 2) -> tuple[str, str]:
    await ensure_rub(shop)
    package = await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_SERVICE,
        price=price(9_999, "RUB"),
        posts_per_day=posts_per_day,
        features='{"views": "1000-2500"}',
    )
    user = await new_user(shop)
    await fund(shop, user, 9_999, "RUB")
    order = await create_order(shop, user, package.id)
    paid = await pay(shop, order.id)
    assert paid.order.status == order_pb2.ORDER_STATUS_FULFILLED
    return user, order.id


def _input(order: str, n: int = 0) -> orders_pb.SubmitServiceInputRequest:
    return orders_pb.SubmitServiceInputRequest(order_id=order, url=f"https://t.me/channel/{n}", platform="telegram")


async def test_service_inputs_respect_the_daily_quota_in_the_tenants_day(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Boost")
    _user, order = await _service_order(shop, posts_per_day=2)
    first = await shop.admin.orders.SubmitServiceInput(_input(order, 1))
    assert json.loads(first.task.payload) == {
        "features": {"views": "1000-2500"},
        "platform": "telegram",
        "url": "https://t.me/channel/1",
    }
    assert first.remaining_today == 1
    assert (await shop.admin.orders.SubmitServiceInput(_input(order, 2))).remaining_today == 0
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.orders.SubmitServiceInput(_input(order, 3))
    assert caught.value.reason == "QUOTA_EXCEEDED"
    clock.advance(dt.timedelta(days=1))
    assert (await shop.admin.orders.SubmitServiceInput(_input(order, 4))).remaining_today == 1
    clock.advance(dt.timedelta(days=30))
    with pytest.raises(FailedPrecondition) as over:
        await shop.admin.orders.SubmitServiceInput(_input(order, 5))
    assert over.value.reason == "ORDER_NOT_ACTIVE"


@pytest.mark.parametrize(
    ("url", "platform", "bad"),
    [
        ("ftp://x/y", "telegram", "url"),
        ("not a url", "telegram", "url"),
        ("https://t.me/a", "myspace", "platform"),
        ("https://t.me/" + "a" * 500, "telegram", "url"),
    ],
)
async def test_bad_inputs_change_nothing(hub: Hub, url: str, platform: str, bad: str) -> None:
    shop = await hub.new_tenant("Bad inputs")
    _user, order = await _service_order(shop)
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.orders.SubmitServiceInput(
            orders_pb.SubmitServiceInputRequest(order_id=order, url=url, platform=platform)
        )
    assert caught.value.field_violations[0].field == bad
    assert list((await shop.admin.fulfillment.ListTasks(pb.ListTasksRequest(order_id=order))).tasks) == []


async def test_concurrent_inputs_never_exceed_the_quota(hub: Hub) -> None:
    shop = await hub.new_tenant("Input race")
    _user, order = await _service_order(shop, posts_per_day=3)
    results = await asyncio.gather(
        *(shop.admin.orders.SubmitServiceInput(_input(order, n)) for n in range(12)), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, orders_pb.SubmitServiceInputResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "QUOTA_EXCEEDED"]
    assert (len(accepted), len(refused)) == (3, 9)


async def test_inputs_need_a_service_order(hub: Hub) -> None:
    shop = await hub.new_tenant("Wrong order")
    user = await new_user(shop)
    pack = await token_pack(shop)
    order = await create_order(shop, user, pack.id)
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.orders.SubmitServiceInput(_input(order.id))
    assert caught.value.reason == "ORDER_NOT_ACTIVE"
