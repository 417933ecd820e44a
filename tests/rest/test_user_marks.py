"""`/api/v1` and the two user marks: a user the tenant's admin blocked is refused a purchase with
409 USER_BLOCKED and nothing moves; users who blocked the bot show `bot_blocked` and are filtered
by `GET /users?bot_blocked=...`."""

from __future__ import annotations

from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.money import assert_ledger_ok
from tests.rest.shop import PACK_PRICE, funded_user, pack, posted
from tests.rest.site import Site


async def test_a_blocked_user_cannot_buy_through_rest(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "blocked-1", PACK_PRICE)
    blocked = await site.patch(f"/users/{buyer}", {"blocked": True}, key=site.tenant.admin_key)
    assert blocked.status == 200, blocked.body
    refused = await site.post("/orders/purchase", {"user_id": buyer, "package_id": package.id})
    assert refused.status == 409 and refused.error["code"] == "USER_BLOCKED", refused.body
    assert await posted(site, buyer) == PACK_PRICE
    assert (await site.get("/orders", query={"user_id": buyer})).body["orders"] == []
    await site.patch(f"/users/{buyer}", {"blocked": False}, key=site.tenant.admin_key)
    assert (await site.post("/orders/purchase", {"user_id": buyer, "package_id": package.id})).status == 200
    await assert_ledger_ok(site.tenant)


async def test_tenant_admins_list_the_users_who_blocked_the_bot(site: Site) -> None:
    reachable = await site.register("reach-1")
    gone = await site.register("gone-1")
    await site.tenant.admin.users.SetUserBotBlocked(
        users_pb.SetUserBotBlockedRequest(user_id=gone["id"], bot_blocked=True)
    )
    admin = site.tenant.admin_key
    marked = await site.get("/users", key=admin, query={"bot_blocked": "true"})
    assert marked.status == 200, marked.body
    assert [u["id"] for u in marked.body["users"]] == [gone["id"]]
    assert marked.body["users"][0]["bot_blocked"] is True and marked.body["users"][0]["bot_blocked_time"]
    others = await site.get("/users", key=admin, query={"bot_blocked": "false"})
    assert [u["id"] for u in others.body["users"]] == [reachable["id"]]
    assert others.body["users"][0]["bot_blocked_time"] is None
