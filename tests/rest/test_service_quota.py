"""`GET /api/v1/orders/<order_id>/quota`: before its user sends a post, a website shows how many of
the day's posts are left and when a whole quota comes back; only the buyer's own order is read."""

from __future__ import annotations

import datetime as dt

from tests.rest.shop import funded_user, pack
from tests.rest.site import Site
from tests.rest.test_service_inputs import POST, service_order


async def test_the_buyer_sees_what_is_left_today(site: Site) -> None:
    order = await service_order(site, "quota-1", posts_per_day=2)
    buyer = (await site.get(f"/orders/{order}")).body["user_id"]
    before = dt.datetime.now(dt.UTC).date().isoformat()
    fresh = await site.get(f"/orders/{order}/quota", query={"user_id": buyer})
    assert fresh.status == 200, fresh.body
    today = {before, dt.datetime.now(dt.UTC).date().isoformat()}  # (a call across UTC midnight)
    assert {k: fresh.body[k] for k in ("order_id", "posts_per_day", "used_today", "remaining_today")} == {
        "order_id": order,
        "posts_per_day": 2,
        "used_today": 0,
        "remaining_today": 2,
    }
    assert fresh.body["time_zone"] == "UTC" and fresh.body["day"] in today
    reset = dt.datetime.fromisoformat(fresh.body["reset_time"].replace("Z", "+00:00"))
    assert reset.time() == dt.time() and reset.date() == dt.date.fromisoformat(fresh.body["day"]) + dt.timedelta(1)
    assert (await site.post(f"/orders/{order}/inputs", POST)).status == 200
    after = await site.get(f"/orders/{order}/quota", query={"user_id": buyer})
    assert (after.body["used_today"], after.body["remaining_today"]) == (1, 1), after.body


async def test_other_orders_and_bad_ids_are_refused(site: Site) -> None:
    order = await service_order(site, "quota-2")
    buyer = (await site.get(f"/orders/{order}")).body["user_id"]
    stranger = str((await site.register("quota-stranger"))["id"])
    other_user = await site.get(f"/orders/{order}/quota", query={"user_id": stranger})
    assert other_user.status == 404 and other_user.error["code"] == "ORDER_NOT_FOUND", other_user.body
    elsewhere = await (await site.partner_of_another_tenant()).get(f"/orders/{order}/quota", query={"user_id": buyer})
    assert elsewhere.status == 404, elsewhere.body
    for path, query, field in (
        (f"/orders/{order}/quota", {}, "user_id"),
        (f"/orders/{order}/quota", {"user_id": "nope"}, "user_id"),
        ("/orders/nope/quota", {"user_id": buyer}, "order_id"),
    ):
        answer = await site.get(path, query=query)
        assert answer.status == 400, (query, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, (query, answer.body)


async def test_an_order_that_is_no_active_service_has_no_quota(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "quota-3", 0)
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    refused = await site.get(f"/orders/{order['id']}/quota", query={"user_id": buyer})
    assert refused.status == 409 and refused.error["code"] == "ORDER_NOT_ACTIVE", refused.body
