"""`/api/v1/orders` through the gateway into the real core: a website sells a token pack to its
users, paid from the wallet in one call or in two, and its money moves exactly once."""

from __future__ import annotations

from sdk.billinghub.v1 import tenant_pb2
from tests.money import assert_ledger_ok
from tests.rest.shop import PACK_PRICE, PACK_TOKENS, funded_user, money, pack, posted
from tests.rest.site import Site


async def test_a_website_creates_pays_and_reads_an_order(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "buyer-1", 250)
    created = await site.post("/orders", {"user_id": buyer, "package_id": package.id})
    assert created.status == 200, created.body
    order = created.body
    assert order["status"] == "pending" and order["user_id"] == buyer and order["quantity"] == "1"
    assert order["total"] == money(PACK_PRICE, "XTR") and order["expire_time"].endswith("Z")
    assert order["package_kind"] == "token_pack" and order["paid_time"] is None

    paid = await site.post(f"/orders/{order['id']}/pay")
    assert paid.status == 200, paid.body
    assert paid.body["order"]["status"] == "fulfilled" and paid.body["task"] is None
    kinds = [t["kind"] for t in paid.body["transfers"]]
    assert "order_payment" in kinds and "delivery" in kinds
    assert all(isinstance(t["amount"]["amount_minor"], str) for t in paid.body["transfers"])
    assert await posted(site, buyer) == 150 and await posted(site, buyer, "TOKEN") == PACK_TOKENS

    got = await site.get(f"/orders/{order['id']}")
    assert got.status == 200 and got.body == paid.body["order"]
    listed = await site.get("/orders", query={"user_id": buyer, "statuses": "fulfilled"})
    assert listed.status == 200, listed.body
    assert [o["id"] for o in listed.body["orders"]] == [order["id"]] and listed.body["next_page_token"] == ""
    none = await site.get("/orders", query={"user_id": buyer, "statuses": ["pending", "cancelled"]})
    assert none.status == 200 and none.body["orders"] == []
    await assert_ledger_ok(site.tenant)


async def test_the_one_call_purchase_pays_and_delivers(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "buyer-2", PACK_PRICE)
    bought = await site.post("/orders/purchase", {"user_id": buyer, "package_id": package.id})
    assert bought.status == 200, bought.body
    assert bought.body["order"]["status"] == "fulfilled" and bought.body["order"]["paid_via"] == "wallet"
    assert await posted(site, buyer) == 0 and await posted(site, buyer, "TOKEN") == PACK_TOKENS
    await assert_ledger_ok(site.tenant)


async def test_insufficient_funds_is_409_and_moves_nothing(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "poor-1", PACK_PRICE - 1)
    refused = await site.post("/orders/purchase", {"user_id": buyer, "package_id": package.id})
    assert refused.status == 409 and refused.error["code"] == "INSUFFICIENT_FUNDS", refused.body
    assert refused.error["details"]["status"] == "FAILED_PRECONDITION"
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    unpaid = await site.post(f"/orders/{order['id']}/pay")
    assert unpaid.status == 409 and unpaid.error["code"] == "INSUFFICIENT_FUNDS"
    assert (await site.get(f"/orders/{order['id']}")).body["status"] == "pending"
    assert (await site.get("/orders", query={"user_id": buyer})).body["orders"] == [order]  # none from the purchase
    assert await posted(site, buyer) == PACK_PRICE - 1 and await posted(site, buyer, "TOKEN") == 0
    await assert_ledger_ok(site.tenant)


async def test_a_pending_order_is_cancelled_once(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "cancel-1", PACK_PRICE)
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    cancelled = await site.post(f"/orders/{order['id']}/cancel")
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled", cancelled.body
    again = await site.post(f"/orders/{order['id']}/cancel")
    assert again.status == 409 and again.error["code"] == "ORDER_NOT_PENDING"
    unpaid = await site.post(f"/orders/{order['id']}/pay")
    assert unpaid.status == 409 and unpaid.error["code"] == "ORDER_NOT_PENDING"
    assert await posted(site, buyer) == PACK_PRICE


async def test_each_write_replays_its_first_answer_and_refuses_another_body(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "idem-1", 3 * PACK_PRICE)
    body = {"user_id": buyer, "package_id": package.id}
    for path in ("/orders", "/orders/purchase"):
        headers = {"Idempotency-Key": f"{path}-1"}
        first = await site.post(path, body, headers=headers)
        replay = await site.post(path, body, headers=headers)
        assert first.status == replay.status == 200 and replay.body == first.body, (path, replay.body)
        other = await site.post(path, {**body, "quantity": "2"}, headers=headers)
        assert other.status == 409 and other.error["code"] == "IDEMPOTENCY_KEY_REUSED", (path, other.body)
    assert await posted(site, buyer) == 2 * PACK_PRICE  # one purchase, not two
    orders = [(await site.post("/orders", body)).body for _ in range(2)]
    for action, order in zip(("pay", "cancel"), orders, strict=True):
        headers = {"Idempotency-Key": f"{action}-1"}
        first = await site.post(f"/orders/{order['id']}/{action}", headers=headers)
        replay = await site.post(f"/orders/{order['id']}/{action}", headers=headers)
        assert first.status == replay.status == 200 and replay.body == first.body, (action, replay.body)
    assert await posted(site, buyer) == PACK_PRICE
    # the same key naming the other order is another request
    reused = await site.post(f"/orders/{orders[1]['id']}/pay", headers={"Idempotency-Key": "pay-1"})
    assert reused.status == 409 and reused.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    reused = await site.post(f"/orders/{orders[0]['id']}/cancel", headers={"Idempotency-Key": "cancel-1"})
    assert reused.status == 409 and reused.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert [(await site.get(f"/orders/{o['id']}")).body["status"] for o in orders] == ["fulfilled", "cancelled"]
    assert await posted(site, buyer) == PACK_PRICE
    await assert_ledger_ok(site.tenant)


async def test_another_tenants_orders_are_not_found_and_stay_unchanged(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "mine-1", 2 * PACK_PRICE)
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    other = await site.partner_of_another_tenant()
    assert (await other.get(f"/orders/{order['id']}")).status == 404
    for action in ("pay", "cancel"):
        answer = await other.post(f"/orders/{order['id']}/{action}")
        assert answer.status == 404 and answer.error["details"]["status"] == "NOT_FOUND", (action, answer.body)
    for path in ("/orders", "/orders/purchase"):
        answer = await other.post(path, {"user_id": buyer, "package_id": package.id})
        assert answer.status == 404, (path, answer.body)
    listed = await other.get("/orders", query={"user_id": buyer})
    assert listed.status == 404, listed.body
    assert (await site.get(f"/orders/{order['id']}")).body == order
    assert (await site.get("/orders", query={"user_id": buyer})).body["orders"] == [order]
    assert await posted(site, buyer) == 2 * PACK_PRICE
    await assert_ledger_ok(site.tenant)


async def test_bad_input_is_a_clear_400_and_creates_nothing(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "bad-1", PACK_PRICE)
    cases = [
        ({"user_id": buyer, "package_id": package.id, "quantiy": "2"}, "quantiy"),
        ({"user_id": buyer, "package_id": package.id, "quantity": 2.5}, "quantity"),
        ({"user_id": buyer, "package_id": package.id, "quantity": "-3"}, "quantity"),
        ({"user_id": buyer, "package_id": package.id, "pay_asset": "not an asset"}, "pay_asset"),
        ({"user_id": buyer}, "package_id"),
    ]
    for path in ("/orders", "/orders/purchase"):
        for body, field in cases:
            answer = await site.post(path, body)
            assert answer.status == 400, (path, body, answer.body)
            fields = {v["field"] for v in answer.error["details"].get("field_violations", [])}
            assert any(field in name for name in fields), (path, body, answer.body)
    assert (await site.get("/orders", query={"user_id": buyer})).body["orders"] == []
    assert (await site.get("/orders", query={"user_id": buyer, "statuses": "lost"})).status == 400
    assert (await site.get("/orders", query={"user_id": buyer, "page_size": "many"})).status == 400
    assert (await site.get("/orders", query={"user_id": buyer, "sort": "asc"})).status == 400
    assert (await site.post("/orders/not-an-id/pay")).status in (400, 404)
    assert await posted(site, buyer) == PACK_PRICE


async def test_partners_list_one_users_orders_and_admins_the_tenants(site: Site) -> None:
    package = await pack(site)
    buyers = [await funded_user(site, f"list-{n}", PACK_PRICE) for n in range(2)]
    for buyer in buyers:
        await site.post("/orders", {"user_id": buyer, "package_id": package.id})
    refused = await site.get("/orders")
    assert refused.status == 400, refused.body
    assert refused.error["details"]["field_violations"][0]["field"] == "user_id"
    everyone = await site.get("/orders", key=site.tenant.admin_key, query={"page_size": "1"})
    assert everyone.status == 200 and len(everyone.body["orders"]) == 1 and everyone.body["next_page_token"]
    assert (await site.post("/orders", {"user_id": buyers[0], "package_id": package.id}, key="")).status == 401
    gateway = await site.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY)
    refused = await site.post("/orders/purchase", {"user_id": buyers[0], "package_id": package.id}, key=gateway)
    assert refused.status == 403 and refused.error["code"] == "PERMISSION_DENIED", refused.body
    assert await posted(site, buyers[0]) == PACK_PRICE


async def test_an_order_read_for_its_buyer_is_404_for_another_user(site: Site) -> None:
    package = await pack(site)
    buyer, other = await funded_user(site, "owner-1", 0), await funded_user(site, "other-1", 0)
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    own = await site.get(f"/orders/{order['id']}", query={"user_id": buyer})
    assert own.status == 200 and own.body == order
    foreign = await site.get(f"/orders/{order['id']}", query={"user_id": other})
    assert foreign.status == 404 and foreign.error["code"] == "ORDER_NOT_FOUND", foreign.body


async def test_an_order_paid_or_cancelled_for_another_user_is_404_and_stays_pending(site: Site) -> None:
    package = await pack(site)
    buyer, other = await funded_user(site, "owner-o", 250), await funded_user(site, "other-o", 250)
    order = (await site.post("/orders", {"user_id": buyer, "package_id": package.id})).body
    for action in ("pay", "cancel"):
        refused = await site.post(f"/orders/{order['id']}/{action}", {"user_id": other})
        assert refused.status == 404 and refused.error["code"] == "ORDER_NOT_FOUND", refused.body
    assert (await site.get(f"/orders/{order['id']}")).body["status"] == "pending"
    assert await posted(site, buyer) == 250 and await posted(site, other) == 250
    paid = await site.post(f"/orders/{order['id']}/pay", {"user_id": buyer})
    assert paid.status == 200 and paid.body["order"]["status"] == "fulfilled", paid.body
    await assert_ledger_ok(site.tenant)
