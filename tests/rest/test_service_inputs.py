"""`/api/v1/orders/<order_id>/inputs`: a website queues the posts of a service order its user bought
(views for a Telegram post), within the package's daily quota."""

from __future__ import annotations

import json

from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from sdk.billinghub.v1 import package_pb2
from tests.commerce.catalog import create_package, price
from tests.rest.shop import funded_user, pack
from tests.rest.site import Site

POST = {"url": "https://t.me/channel/1", "platform": "telegram"}


async def service_order(site: Site, external_id: str, posts_per_day: int = 2) -> str:
    package = await create_package(
        site.tenant, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(300, "XTR"), posts_per_day=posts_per_day,
        features='{"views": "1000-2500"}',
    )  # fmt: skip
    buyer = await funded_user(site, external_id, 300)
    bought = await site.post("/orders/purchase", {"user_id": buyer, "package_id": package.id})
    assert bought.status == 200 and bought.body["order"]["status"] == "fulfilled", bought.body
    order_id: str = bought.body["order"]["id"]
    return order_id


async def tasks_of(site: Site, order_id: str) -> int:
    listed = await site.tenant.admin.fulfillment.ListTasks(fpb.ListTasksRequest(order_id=order_id))
    return len(listed.tasks)


async def test_inputs_are_queued_within_the_daily_quota(site: Site) -> None:
    order = await service_order(site, "service-1", posts_per_day=2)
    first = await site.post(f"/orders/{order}/inputs", POST)
    assert first.status == 200, first.body
    assert first.body["remaining_today"] == 1 and first.body["task"]["order_id"] == order
    assert first.body["task"]["kind"] == "service" and first.body["task"]["status"] == "queued"
    assert json.loads(first.body["task"]["payload"])["url"] == POST["url"]
    second = await site.post(f"/orders/{order}/inputs", {**POST, "url": "https://t.me/channel/2"})
    assert second.status == 200 and second.body["remaining_today"] == 0
    over = await site.post(f"/orders/{order}/inputs", {**POST, "url": "https://t.me/channel/3"})
    assert over.status == 409 and over.error["code"] == "QUOTA_EXCEEDED", over.body
    assert await tasks_of(site, order) == 2


async def test_an_order_that_is_no_active_service_takes_no_input(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "service-2", 0)
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    refused = await site.post(f"/orders/{order['id']}/inputs", POST)
    assert refused.status == 409 and refused.error["code"] == "ORDER_NOT_ACTIVE", refused.body


async def test_replays_other_tenants_and_bad_input(site: Site) -> None:
    order = await service_order(site, "service-3", posts_per_day=3)
    headers = {"Idempotency-Key": "input-1"}
    first = await site.post(f"/orders/{order}/inputs", POST, headers=headers)
    replay = await site.post(f"/orders/{order}/inputs", POST, headers=headers)
    assert first.status == replay.status == 200 and replay.body == first.body
    other_body = await site.post(f"/orders/{order}/inputs", {**POST, "url": "https://t.me/c/9"}, headers=headers)
    assert other_body.status == 409 and other_body.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    other = await site.partner_of_another_tenant()
    assert (await other.post(f"/orders/{order}/inputs", POST)).status == 404
    for body, field in (
        ({**POST, "url": "ftp://x/y"}, "url"),
        ({**POST, "platform": "myspace"}, "platform"),
        ({**POST, "link": "https://t.me/c/1"}, "link"),
    ):
        answer = await site.post(f"/orders/{order}/inputs", body)
        assert answer.status == 400, (body, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, (body, answer.body)
    assert await tasks_of(site, order) == 1
