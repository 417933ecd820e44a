"""`/api/v1/tasks`: an outside processor with a tenant admin key leases the tenant's fulfillment
tasks over HTTP, reports each outcome, and the order follows (fulfilled, or refunded)."""

from __future__ import annotations

import asyncio
import json

from sdk.billinghub.v1 import order_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from tests.money import assert_ledger_ok
from tests.rest.shop import paid_stars_order, posted_and_held
from tests.rest.site import Site
from tests.rest.test_order_tasks import two_posts_worked
from tests.rest.test_service_inputs import service_order

ZERO = "0190f7a0-0000-7000-8000-000000000000"


async def _order_status(site: Site, order_id: str) -> int:
    got = await site.tenant.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order_id))
    return got.order.status


async def _leased(site: Site) -> dict[str, object]:
    answer = await site.post("/tasks/lease", {"kind": "telegram_stars", "limit": 1}, key=site.tenant.admin_key)
    assert answer.status == 200, answer.body
    [task] = answer.body["tasks"]
    leased: dict[str, object] = task
    return leased


async def test_a_processor_leases_a_task_and_completing_it_fulfils_the_order(site: Site) -> None:
    admin = site.tenant.admin_key
    _user, order = await paid_stars_order(site, "stars-1")
    leased = await site.get("/tasks/pending", key=admin, query={"kind": "telegram_stars", "limit": "5"})
    assert leased.status == 200, leased.body
    [task] = leased.body["tasks"]
    assert (task["order_id"], task["kind"], task["status"], task["attempts"]) == (order, "telegram_stars", "leased", 1)
    assert json.loads(task["payload"]) == {"quantity": 50, "recipient": "gift_target"}
    assert task["lease_expire_time"].endswith("Z")
    # the GET leased: neither lease shows the task again
    assert (await site.get("/tasks/pending", key=admin, query={"kind": "telegram_stars"})).body["tasks"] == []
    assert (await site.post("/tasks/lease", {"kind": "telegram_stars"}, key=admin)).body["tasks"] == []
    assert (await site.get(f"/tasks/{task['id']}", key=admin)).body["status"] == "leased"
    listed = await site.get("/tasks", key=admin, query={"status": "leased", "order_id": order})
    assert listed.status == 200 and [t["id"] for t in listed.body["tasks"]] == [task["id"]]

    status = f"/tasks/{task['id']}/status"
    headers = {"Idempotency-Key": "done-1"}
    done = await site.put(status, {"status": "completed", "result": '{"tx": "abc"}'}, key=admin, headers=headers)
    assert done.status == 200, done.body
    assert (done.body["id"], done.body["status"], json.loads(done.body["result"])) == (
        task["id"], "completed", {"tx": "abc"},
    )  # fmt: skip
    replay = await site.put(status, {"status": "completed", "result": '{"tx": "abc"}'}, key=admin, headers=headers)
    assert replay.status == 200 and replay.body == done.body
    reused = await site.put(status, {"status": "completed", "result": '{"tx": "xyz"}'}, key=admin, headers=headers)
    assert reused.status == 409 and reused.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    late = await site.put(status, {"status": "failed", "reason": "too late"}, key=admin)
    assert late.status == 409 and late.error["code"] == "TASK_NOT_LEASED"
    assert await _order_status(site, order) == order_pb2.ORDER_STATUS_FULFILLED
    await assert_ledger_ok(site.tenant)


async def test_a_final_failure_refunds_and_a_retryable_one_queues_again(site: Site) -> None:
    admin = site.tenant.admin_key
    user, order = await paid_stars_order(site, "stars-2")
    task = await _leased(site)
    status = f"/tasks/{task['id']}/status"
    headers = {"Idempotency-Key": "retry-1"}
    retry = await site.put(
        status, {"status": "failed", "reason": "timeout", "retryable": True}, key=admin, headers=headers
    )
    assert retry.status == 200, retry.body
    replay = await site.put(
        status, {"status": "failed", "reason": "timeout", "retryable": True}, key=admin, headers=headers
    )
    assert replay.status == 200 and replay.body == retry.body
    reworded = await site.put(
        status, {"status": "failed", "reason": "other", "retryable": True}, key=admin, headers=headers
    )
    assert reworded.status == 409 and reworded.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert (retry.body["status"], retry.body["last_error"]) == ("queued", "timeout")
    assert retry.body["next_attempt_time"].endswith("Z")
    assert await posted_and_held(site, user, "RUB") == (0, 0)

    assert await _order_status(site, order) == order_pb2.ORDER_STATUS_PAID
    # queued again after its backoff: not leased now; a final failure of it while queued is refused
    refused = await site.put(status, {"status": "failed", "reason": "USERNAME_NOT_FOUND"}, key=admin)
    assert refused.status == 409 and refused.error["code"] == "TASK_NOT_LEASED"

    _other_user, other_order = await paid_stars_order(site, "stars-3")
    other = await _leased(site)
    assert other["order_id"] == other_order
    final = await site.put(
        f"/tasks/{other['id']}/status", {"status": "failed", "reason": "USERNAME_NOT_FOUND"}, key=admin
    )
    assert final.status == 200 and final.body["status"] == "failed"
    assert await _order_status(site, other_order) == order_pb2.ORDER_STATUS_REFUNDED
    assert await posted_and_held(site, _other_user, "RUB") == (9_000, 0)
    await assert_ledger_ok(site.tenant)


async def test_partners_do_not_process_tasks(site: Site) -> None:
    await paid_stars_order(site, "stars-4")
    for answer in (
        await site.get("/tasks/pending", query={"kind": "telegram_stars"}),
        await site.post("/tasks/lease", {"kind": "telegram_stars"}),
        await site.get("/tasks"),
    ):
        assert answer.status == 403 and answer.error["code"] == "ROLE_NOT_ALLOWED", answer.body
    task = await _leased(site)
    assert task["attempts"] == 1  # the partner's calls leased nothing
    assert (await site.put(f"/tasks/{task['id']}/status", {"status": "completed"})).status == 403
    assert (await site.get(f"/tasks/{task['id']}")).status == 403
    assert (await site.get(f"/tasks/{task['id']}", key=site.tenant.admin_key)).body["status"] == "leased"


async def test_another_tenants_tasks_are_not_found_and_stay_leased(site: Site) -> None:
    _user, order = await paid_stars_order(site, "stars-5")
    task = await _leased(site)
    other = (await site.partner_of_another_tenant()).tenant.admin_key
    assert (await site.get(f"/tasks/{task['id']}", key=other)).status == 404
    done = await site.put(f"/tasks/{task['id']}/status", {"status": "completed"}, key=other)
    assert done.status == 404 and done.error["details"]["status"] == "NOT_FOUND"
    failed = await site.put(f"/tasks/{task['id']}/status", {"status": "failed", "reason": "x"}, key=other)
    assert failed.status == 404
    assert (await site.post("/tasks/lease", {"kind": "telegram_stars"}, key=other)).body["tasks"] == []
    assert (await site.get(f"/tasks/{task['id']}", key=site.tenant.admin_key)).body["status"] == "leased"
    assert await _order_status(site, order) == order_pb2.ORDER_STATUS_PAID


async def test_bad_task_input_is_a_clear_400_and_changes_nothing(site: Site) -> None:
    admin = site.tenant.admin_key
    await paid_stars_order(site, "stars-6")
    for query, field in (({"kind": "pizza"}, "kind"), ({"kind": "telegram_stars", "limit": "101"}, "limit"),
                         ({"kind": "telegram_stars", "max_tasks": "1"}, "max_tasks"), ({}, "kind")):  # fmt: skip
        answer = await site.get("/tasks/pending", key=admin, query=query)
        assert answer.status == 400, (query, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, answer.body
    task = await _leased(site)
    status = f"/tasks/{task['id']}/status"
    cases = [
        ({"result": "{}"}, "status"),
        ({"status": "done"}, "status"),
        ({"status": ["completed"]}, "status"),
        ({"status": "completed", "result": "[1, 2]"}, "result"),
        ({"status": "completed", "reason": "x"}, "reason"),  # a failure's field on a completion
        ({"status": "failed", "reason": ""}, "reason"),
        ({"status": "failed", "reason": "x", "retry": True}, "retry"),
    ]
    for body, field in cases:
        answer = await site.put(status, body, key=admin)
        assert answer.status == 400, (body, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, (body, answer.body)
    assert (await site.put(f"/tasks/{ZERO}/status", {"status": "completed"}, key=admin)).status == 404
    assert (await site.get("/tasks/nope", key=admin)).status == 400
    assert (await site.get("/tasks", key=admin, query={"status": "lost"})).status == 400
    assert (await site.get(f"/tasks/{task['id']}", key=admin)).body["status"] == "leased"


async def test_two_processors_reporting_one_task_at_once_have_one_winner(site: Site) -> None:
    admin = site.tenant.admin_key
    user, order = await paid_stars_order(site, "stars-7")
    task = await _leased(site)
    status = f"/tasks/{task['id']}/status"
    outcomes = [{"status": "completed", "result": '{"by": "a"}'}, {"status": "completed", "result": '{"by": "b"}'}]
    outcomes += [{"status": "failed", "reason": "gave up"}] * 2
    answers = await asyncio.gather(*(site.put(status, body, key=admin) for body in outcomes))
    won = [a for a in answers if a.status == 200]
    assert len(won) == 1, [a.body for a in answers]
    assert {a.error["code"] for a in answers if a.status != 200} == {"TASK_NOT_LEASED"}
    final = (await site.get(f"/tasks/{task['id']}", key=admin)).body
    assert final == won[0].body
    if final["status"] == "completed":
        assert await _order_status(site, order) == order_pb2.ORDER_STATUS_FULFILLED
        assert await posted_and_held(site, user, "RUB") == (0, 0)
    else:
        assert await _order_status(site, order) == order_pb2.ORDER_STATUS_REFUNDED
        assert await posted_and_held(site, user, "RUB") == (9_000, 0)
    await assert_ledger_ok(site.tenant)


async def test_an_admin_retries_a_failed_service_post_and_a_refunded_order_is_refused(site: Site) -> None:
    admin = site.tenant.admin_key
    order = await service_order(site, "retry-1", posts_per_day=3)
    _done, failed, _waiting = await two_posts_worked(site, order)
    retry = f"/tasks/{failed}/retry"
    headers = {"Idempotency-Key": "retry-post-1"}
    assert (await site.post(retry)).status == 403  # a website's partner key may not
    assert (await site.get(f"/tasks/{failed}", key=admin)).body["retryable"] is True
    queued = await site.post(retry, key=admin, headers=headers)
    assert queued.status == 200, queued.body
    assert (queued.body["id"], queued.body["status"], queued.body["last_error"]) == (failed, "queued", "post deleted")
    assert (await site.post(retry, key=admin, headers=headers)).body == queued.body
    again = await site.post(retry, key=admin)
    assert again.status == 409 and again.error["code"] == "TASK_NOT_FAILED", again.body
    other = (await site.partner_of_another_tenant()).tenant.admin_key
    assert (await site.post(retry, key=other)).status == 404

    _user, stars_order = await paid_stars_order(site, "retry-2")
    task = await _leased(site)
    final = await site.put(
        f"/tasks/{task['id']}/status", {"status": "failed", "reason": "USERNAME_NOT_FOUND"}, key=admin
    )
    assert final.status == 200 and final.body["retryable"] is False  # refunded as it failed
    refused = await site.post(f"/tasks/{task['id']}/retry", key=admin)
    assert refused.status == 409 and refused.error["code"] == "TASK_ORDER_REFUNDED", refused.body
    assert await _order_status(site, stars_order) == order_pb2.ORDER_STATUS_REFUNDED
    seen = (await site.get(f"/tasks/{task['id']}", key=admin)).body
    assert (seen["status"], seen["retryable"]) == ("failed", False)
    await assert_ledger_ok(site.tenant)
