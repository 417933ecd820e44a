"""`/api/v1/users` through the gateway into the real core, as a website meets it."""

from __future__ import annotations

from sdk.billinghub.v1 import tenant_pb2
from tests.rest.site import Site


async def test_a_website_registers_finds_and_updates_its_user(site: Site) -> None:
    created = await site.post("/users", {"platform": "web", "external_id": "site-1", "username": "ann"})
    assert created.status == 200, created.body
    user = created.body["user"]
    assert created.body["created"] is True
    assert user["platform"] == "web" and user["external_id"] == "site-1" and user["username"] == "ann"
    assert user["create_time"].endswith("Z")

    got = await site.get(f"/users/{user['id']}")
    assert got.status == 200 and got.body == user
    found = await site.get("/users/by-external-id", query={"platform": "web", "external_id": "site-1"})
    assert found.status == 200 and found.body["id"] == user["id"]

    updated = await site.patch(f"/users/{user['id']}", {"first_name": "Ann", "language_code": "en"})
    assert updated.status == 200, updated.body
    assert updated.body["first_name"] == "Ann" and updated.body["username"] == "ann"

    again = await site.post("/users", {"platform": "web", "external_id": "site-1"})
    assert again.status == 200 and again.body["created"] is False and again.body["user"]["id"] == user["id"]


async def test_a_referral_code_attributes_the_new_user(site: Site) -> None:
    referrer = await site.register("ref-1")
    answer = await site.post(
        "/users", {"platform": "web", "external_id": "ref-2", "referral_code": referrer["referral_code"]}
    )
    assert answer.status == 200 and answer.body["referrer_attributed"] is True
    assert answer.body["user"]["referrer_id"] == referrer["id"]


async def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(site: Site) -> None:
    headers = {"Idempotency-Key": "register-77"}
    first = await site.post("/users", {"platform": "web", "external_id": "idem-1"}, headers=headers)
    replay = await site.post("/users", {"platform": "web", "external_id": "idem-1"}, headers=headers)
    assert first.status == replay.status == 200
    assert replay.body == first.body and replay.body["created"] is True
    other = await site.post("/users", {"platform": "web", "external_id": "idem-2"}, headers=headers)
    assert other.status == 409
    assert other.error["code"] == "IDEMPOTENCY_KEY_REUSED" and other.error["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert (await site.get("/users/by-external-id", query={"platform": "web", "external_id": "idem-2"})).status == 404
    bad = await site.post("/users", {"platform": "web", "external_id": "idem-3"}, headers={"Idempotency-Key": "é" * 3})
    assert bad.status == 400 and bad.error["details"]["field_violations"][0]["field"] == "Idempotency-Key"


async def test_another_tenants_user_is_not_found_and_stays_unchanged(site: Site) -> None:
    user = await site.register("mine-1", username="keep")
    other = await site.partner_of_another_tenant()
    assert (await other.get(f"/users/{user['id']}")).status == 404
    patched = await other.patch(f"/users/{user['id']}", {"username": "stolen"})
    assert patched.status == 404 and patched.error["details"]["status"] == "NOT_FOUND"
    found = await other.get("/users/by-external-id", query={"platform": "web", "external_id": "mine-1"})
    assert found.status == 404
    assert (await site.get(f"/users/{user['id']}")).body["username"] == "keep"


async def test_bad_input_is_a_clear_400_and_changes_nothing(site: Site) -> None:
    cases = [
        ({"platform": "fax", "external_id": "x"}, "platform"),
        ({"platform": "web", "external_id": 5}, "external_id"),
        ({"platform": "web", "external_id": "x", "surname": "typo"}, "surname"),
    ]
    for body, field in cases:
        answer = await site.post("/users", body)
        assert answer.status == 400, (body, answer.body)
        assert answer.error["code"] == "INVALID_ARGUMENT"
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, answer.body
    for raw in (b"{not json", b"[1, 2]", b'"text"'):
        answer = await site.post("/users", raw=raw)
        assert answer.status == 400 and answer.error["details"]["field_violations"][0]["field"] == "body"
    assert (await site.get("/users/by-external-id", query={"platform": "web", "external_id": "x"})).status == 404
    missing = await site.get("/users/not-a-user-id")
    assert missing.status in (400, 404) and "error" in missing.body


async def test_a_call_without_a_usable_key_is_refused(site: Site) -> None:
    anonymous = await site.get("/users", key="")
    assert anonymous.status == 401 and anonymous.headers.get("WWW-Authenticate") == "Bearer"
    unknown = await site.get("/users", key="bh_partner_nope_nope")
    assert unknown.status == 401 and unknown.error["details"]["status"] == "UNAUTHENTICATED"
    assert unknown.headers.get("WWW-Authenticate") == "Bearer"
    gateway = await site.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY)
    assert (await site.get("/users", key=gateway)).status == 403
    assert (await site.post("/users", {"platform": "web", "external_id": "anon"}, key="")).status == 401
    assert (await site.get("/users/by-external-id", query={"platform": "web", "external_id": "anon"})).status == 404


async def test_tenant_admins_page_through_users(site: Site) -> None:
    for index in range(3):
        await site.register(f"page-{index}")
    admin = site.tenant.admin_key
    first = await site.get("/users", key=admin, query={"page_size": "2"})
    assert first.status == 200, first.body
    assert len(first.body["users"]) == 2 and first.body["next_page_token"]
    rest = await site.get("/users", key=admin, query={"page_size": "2", "page_token": first.body["next_page_token"]})
    assert rest.status == 200 and len(rest.body["users"]) == 1 and rest.body["next_page_token"] == ""


async def test_a_partner_changes_profiles_but_only_tenant_admins_block(site: Site) -> None:
    user = await site.register("block-1")
    refused = await site.patch(f"/users/{user['id']}", {"blocked": True, "username": "x"})
    assert refused.status == 403 and refused.error["code"] == "ROLE_NOT_ALLOWED"
    assert (await site.get(f"/users/{user['id']}")).body["blocked"] is False
    assert (await site.get(f"/users/{user['id']}")).body["username"] == ""
    blocked = await site.patch(f"/users/{user['id']}", {"blocked": True}, key=site.tenant.admin_key)
    assert blocked.status == 200 and blocked.body["blocked"] is True
