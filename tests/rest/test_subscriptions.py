"""`/api/v1` entitlements and subscriptions: a website reads what its user may use, their plans,
and stops a plan's renewal for them."""

from __future__ import annotations

from tests.rest.shop import subscribed
from tests.rest.site import Site


async def test_a_website_reads_its_users_entitlements_and_plans(site: Site) -> None:
    user, package_id = await subscribed(site, "plan-1")
    entitled = await site.get(f"/users/{user['id']}/entitlements")
    assert entitled.status == 200, entitled.body
    [entitlement] = entitled.body["entitlements"]
    assert entitlement["code"] == "pro" and entitlement["source"].startswith("subscription:")
    assert entitlement["end_time"].endswith("Z")

    listed = await site.get(f"/users/{user['id']}/subscriptions", query={"status": "active"})
    assert listed.status == 200, listed.body
    [plan] = listed.body["subscriptions"]
    assert (plan["user_id"], plan["plan_code"], plan["package_id"], plan["status"]) == (
        user["id"], "pro", package_id, "active",
    )  # fmt: skip
    assert plan["cancel_time"] is None and listed.body["next_page_token"] == ""
    assert entitlement["source"] == f"subscription:{plan['id']}"
    got = await site.get(f"/subscriptions/{plan['id']}")
    assert got.status == 200 and got.body == plan
    assert (await site.get(f"/users/{user['id']}/subscriptions", query={"status": "expired"})).body[
        "subscriptions"
    ] == []

    queue = await site.get("/subscriptions", key=site.tenant.admin_key, query={"plan_code": "pro"})
    assert queue.status == 200 and [s["id"] for s in queue.body["subscriptions"]] == [plan["id"]]
    partner_all = await site.get("/subscriptions")
    assert partner_all.status == 400
    assert partner_all.error["details"]["field_violations"][0]["field"] == "user_id"
    one_user = await site.get("/subscriptions", query={"user_id": user["id"]})
    assert one_user.status == 200 and one_user.body["subscriptions"] == [plan]


async def test_a_website_cancels_its_users_renewal_once(site: Site) -> None:
    user, _ = await subscribed(site, "cancel-1")
    [plan] = (await site.get(f"/users/{user['id']}/subscriptions")).body["subscriptions"]
    headers = {"Idempotency-Key": "cancel-pro-1"}
    cancelled = await site.post(f"/subscriptions/{plan['id']}/cancel", headers=headers)
    assert cancelled.status == 200, cancelled.body
    assert cancelled.body["status"] == "cancelled" and cancelled.body["cancel_time"].endswith("Z")
    assert cancelled.body["end_time"] == plan["end_time"]
    replay = await site.post(f"/subscriptions/{plan['id']}/cancel", headers=headers)
    assert replay.status == 200 and replay.body == cancelled.body

    again = await site.post(f"/subscriptions/{plan['id']}/cancel")
    assert again.status == 409 and again.error["code"] == "SUBSCRIPTION_NOT_ACTIVE"
    # still usable until its end
    assert [e["code"] for e in (await site.get(f"/users/{user['id']}/entitlements")).body["entitlements"]] == ["pro"]

    other_user, _ = await subscribed(site, "cancel-2", plan_code="max")
    [other_plan] = (await site.get(f"/users/{other_user['id']}/subscriptions")).body["subscriptions"]
    reused = await site.post(f"/subscriptions/{other_plan['id']}/cancel", headers=headers)
    assert reused.status == 409 and reused.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert (await site.get(f"/subscriptions/{other_plan['id']}")).body["status"] == "active"


async def test_another_tenants_plans_are_not_found_and_stay_active(site: Site) -> None:
    user, _ = await subscribed(site, "mine-1")
    [plan] = (await site.get(f"/users/{user['id']}/subscriptions")).body["subscriptions"]
    other = await site.partner_of_another_tenant()
    for path in (
        f"/users/{user['id']}/entitlements",
        f"/users/{user['id']}/subscriptions",
        f"/subscriptions/{plan['id']}",
    ):
        answer = await other.get(path)
        assert answer.status == 404, (path, answer.body)
    cancelled = await other.post(f"/subscriptions/{plan['id']}/cancel")
    assert cancelled.status == 404 and cancelled.error["details"]["status"] == "NOT_FOUND"
    assert (await site.get(f"/subscriptions/{plan['id']}")).body == plan


async def test_bad_input_is_a_clear_400_and_cancels_nothing(site: Site) -> None:
    user, _ = await subscribed(site, "bad-1")
    [plan] = (await site.get(f"/users/{user['id']}/subscriptions")).body["subscriptions"]
    cases = [
        (f"/users/{user['id']}/subscriptions", {"stauts": "active"}, "stauts"),
        (f"/users/{user['id']}/subscriptions", {"status": "paused"}, "status"),
        (f"/users/{user['id']}/subscriptions", {"page_size": "many"}, "page_size"),
    ]
    for path, query, field in cases:
        answer = await site.get(path, query=query)
        assert answer.status == 400, (query, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}
    assert (await site.get("/users/not-a-user/entitlements")).status == 400
    assert (await site.get("/subscriptions/0190f7a0-0000-7000-8000-000000000000")).status == 404
    typo = await site.post(f"/subscriptions/{plan['id']}/cancel", {"reason": "too expensive"})
    assert typo.status == 400 and typo.error["details"]["field_violations"][0]["field"] == "reason"
    assert (await site.post(f"/subscriptions/{plan['id']}/cancel", key="")).status == 401
    assert (await site.get(f"/subscriptions/{plan['id']}")).body["status"] == "active"


async def test_a_renewal_cancelled_for_another_user_is_404_and_keeps_renewing(site: Site) -> None:
    owner, _ = await subscribed(site, "owner-s")
    other, _ = await subscribed(site, "other-s")
    [plan] = (await site.get(f"/users/{owner['id']}/subscriptions")).body["subscriptions"]
    refused = await site.post(f"/subscriptions/{plan['id']}/cancel", {"user_id": other["id"]})
    assert refused.status == 404 and refused.error["code"] == "SUBSCRIPTION_NOT_FOUND", refused.body
    assert (await site.get(f"/subscriptions/{plan['id']}")).body["status"] == "active"
    own = await site.post(f"/subscriptions/{plan['id']}/cancel", {"user_id": owner["id"]})
    assert own.status == 200 and own.body["status"] == "cancelled", own.body
