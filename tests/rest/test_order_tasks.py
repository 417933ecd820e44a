"""`GET /api/v1/orders/<order_id>/tasks`: a website shows its user how the posts of their service
order stand (queued, leased, completed, failed); the buyer is named and nobody else's order is read."""

from __future__ import annotations

import pytest

from sdk.billinghub.v1 import fulfillment_pb2, package_pb2, tenant_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from sdk.billinghub.v1 import order_service_pb2 as opb
from sdk.errors import InvalidArgument
from tests.rest.site import Site
from tests.rest.test_service_inputs import POST, service_order


async def two_posts_worked(site: Site, order: str) -> tuple[str, str, str]:
    """Three posts: one completed by the processor, one failed for good, one still queued."""
    for n in (1, 2, 3):
        queued = await site.post(f"/orders/{order}/inputs", {**POST, "url": f"https://t.me/channel/{n}"})
        assert queued.status == 200, queued.body
    fulfillment = site.tenant.admin.fulfillment
    leased = (
        await fulfillment.LeaseTasks(fpb.LeaseTasksRequest(kind=package_pb2.PACKAGE_KIND_SERVICE, max_tasks=2))
    ).tasks
    done, failed = leased[0].id, leased[1].id
    await fulfillment.CompleteTask(fpb.CompleteTaskRequest(task_id=done, result="{}"))
    await fulfillment.FailTask(fpb.FailTaskRequest(task_id=failed, reason="post deleted"))
    listed = await fulfillment.ListTasks(fpb.ListTasksRequest(order_id=order))
    (waiting,) = [t.id for t in listed.tasks if t.id not in (done, failed)]
    return done, failed, waiting


async def test_the_buyer_reads_each_task_state(site: Site) -> None:
    order = await service_order(site, "tasks-1", posts_per_day=3)
    buyer = (await site.get(f"/orders/{order}")).body["user_id"]
    done, failed, waiting = await two_posts_worked(site, order)
    answer = await site.get(f"/orders/{order}/tasks", query={"user_id": buyer})
    assert answer.status == 200, answer.body
    states = {t["id"]: t["status"] for t in answer.body["tasks"]}
    assert states == {done: "completed", failed: "failed", waiting: "queued"}
    assert [t["id"] for t in answer.body["tasks"]] == sorted(states, reverse=True)  # newest first
    assert {t["order_id"] for t in answer.body["tasks"]} == {order}
    paged = await site.get(f"/orders/{order}/tasks", query={"user_id": buyer, "page_size": 2})
    assert len(paged.body["tasks"]) == 2 and paged.body["next_page_token"]
    rest = await site.get(
        f"/orders/{order}/tasks", query={"user_id": buyer, "page_size": 2, "page_token": paged.body["next_page_token"]}
    )
    assert [t["id"] for t in paged.body["tasks"] + rest.body["tasks"]] == [t["id"] for t in answer.body["tasks"]]


async def test_another_users_or_tenants_order_is_not_found(site: Site) -> None:
    order = await service_order(site, "tasks-2")
    assert (await site.post(f"/orders/{order}/inputs", POST)).status == 200
    stranger = str((await site.register("tasks-stranger"))["id"])
    other_user = await site.get(f"/orders/{order}/tasks", query={"user_id": stranger})
    assert other_user.status == 404 and other_user.error["code"] == "ORDER_NOT_FOUND", other_user.body
    buyer = (await site.get(f"/orders/{order}")).body["user_id"]
    other = await site.partner_of_another_tenant()
    elsewhere = await other.get(f"/orders/{order}/tasks", query={"user_id": buyer})
    assert elsewhere.status == 404, elsewhere.body
    unknown = await site.get("/orders/00000000-0000-4000-8000-000000000000/tasks", query={"user_id": buyer})
    assert unknown.status == 404, unknown.body


async def test_bad_input_is_refused(site: Site) -> None:
    order = await service_order(site, "tasks-3")
    buyer = (await site.get(f"/orders/{order}")).body["user_id"]
    for path, query, field in (
        (f"/orders/{order}/tasks", {}, "user_id"),
        (f"/orders/{order}/tasks", {"user_id": "nope"}, "user_id"),
        ("/orders/nope/tasks", {"user_id": buyer}, "order_id"),
        (f"/orders/{order}/tasks", {"user_id": buyer, "page_size": 501}, "page_size"),
        (f"/orders/{order}/tasks", {"user_id": buyer, "page_token": "junk"}, "page_token"),
    ):
        answer = await site.get(path, query=query)
        assert answer.status == 400, (query, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, (query, answer.body)


async def test_staff_read_any_order_and_gateways_name_the_buyer(site: Site) -> None:
    order = await service_order(site, "tasks-4")
    assert (await site.post(f"/orders/{order}/inputs", POST)).status == 200
    staff = await site.tenant.admin.orders.ListOrderTasks(opb.ListOrderTasksRequest(order_id=order))
    assert [t.status for t in staff.tasks] == [fulfillment_pb2.TASK_STATUS_QUEUED]
    gateway = site.hub.client(await site.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY))
    with pytest.raises(InvalidArgument):
        await gateway.orders.ListOrderTasks(opb.ListOrderTasksRequest(order_id=order))
    buyer = (await site.get(f"/orders/{order}")).body["user_id"]
    own = await gateway.orders.ListOrderTasks(opb.ListOrderTasksRequest(order_id=order, user_id=buyer))
    assert [t.id for t in own.tasks] == [t.id for t in staff.tasks]
