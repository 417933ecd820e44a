"""`/api/v1/webhook-endpoints` through the gateway into the real core: a tenant admin manages where
its events go; a partner key cannot; another tenant sees nothing."""

from __future__ import annotations

from tests.rest.site import Site

HOOK = "https://shop.example.com/billing-hub/events"


async def _create(site: Site, **body: object) -> dict[str, object]:
    answer = await site.post("/webhook-endpoints", {"url": HOOK, **body}, key=site.tenant.admin_key)
    assert answer.status == 200, answer.body
    created: dict[str, object] = answer.body
    return created


async def test_an_admin_creates_lists_changes_and_rotates_an_endpoint(site: Site) -> None:
    admin = site.tenant.admin_key
    created = await _create(site, event_types=["order.*", "payment.succeeded"], description="shop")
    endpoint = created["webhook_endpoint"]
    assert isinstance(endpoint, dict) and isinstance(created["secret"], str) and len(created["secret"]) >= 32
    assert endpoint["url"] == HOOK and endpoint["enabled"] is True
    assert endpoint["event_types"] == ["order.*", "payment.succeeded"]

    listed = await site.get("/webhook-endpoints", key=admin)
    assert listed.status == 200 and listed.body["webhook_endpoints"] == [endpoint]
    assert created["secret"] not in str(listed.body)
    got = await site.get(f"/webhook-endpoints/{endpoint['id']}", key=admin)
    assert got.status == 200 and got.body == endpoint

    changed = await site.patch(
        f"/webhook-endpoints/{endpoint['id']}", {"enabled": False, "description": "off"}, key=admin
    )
    assert changed.status == 200, changed.body
    assert changed.body["enabled"] is False and changed.body["description"] == "off" and changed.body["url"] == HOOK

    rotated = await site.post(
        f"/webhook-endpoints/{endpoint['id']}/rotate-secret", {"grace_period_seconds": 3600}, key=admin
    )
    assert rotated.status == 200, rotated.body
    assert rotated.body["secret"] != created["secret"]
    assert rotated.body["webhook_endpoint"]["previous_secret_expire_time"] is not None

    deliveries = await site.get("/webhook-deliveries", key=admin, query={"endpoint_id": endpoint["id"]})
    assert deliveries.status == 200 and deliveries.body["webhook_deliveries"] == []


async def test_a_replayed_create_answers_the_same_endpoint_and_secret(site: Site) -> None:
    admin, headers = site.tenant.admin_key, {"Idempotency-Key": "hook-1"}
    first = await site.post("/webhook-endpoints", {"url": HOOK}, key=admin, headers=headers)
    again = await site.post("/webhook-endpoints", {"url": HOOK}, key=admin, headers=headers)
    assert first.status == again.status == 200 and first.body == again.body
    other = await site.post("/webhook-endpoints", {"url": HOOK + "/2"}, key=admin, headers=headers)
    assert other.status == 409 and other.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len((await site.get("/webhook-endpoints", key=admin)).body["webhook_endpoints"]) == 1


async def test_bad_input_and_wrong_callers_change_nothing(site: Site) -> None:
    admin = site.tenant.admin_key
    for url in ("http://shop.example.com/hook", "ftp://shop.example.com/hook", "https://", "not a url"):
        answer = await site.post("/webhook-endpoints", {"url": url}, key=admin)
        assert answer.status == 400, (url, answer.body)
        assert "url" in {v["field"] for v in answer.error["details"]["field_violations"]}
    typo = await site.post("/webhook-endpoints", {"url": HOOK, "evnet_types": ["x"]}, key=admin)
    assert typo.status == 400 and typo.error["details"]["field_violations"][0]["field"] == "evnet_types"
    assert (await site.post("/webhook-endpoints", {"url": HOOK})).status == 403  # a partner key
    assert (await site.get("/webhook-endpoints", key=admin)).body["webhook_endpoints"] == []

    endpoint = (await _create(site))["webhook_endpoint"]
    assert isinstance(endpoint, dict)
    other = await site.partner_of_another_tenant()
    stranger = other.tenant.admin_key
    assert (await other.get(f"/webhook-endpoints/{endpoint['id']}", key=stranger)).status == 404
    patched = await other.patch(
        f"/webhook-endpoints/{endpoint['id']}", {"url": "https://evil.example.com/"}, key=stranger
    )
    assert patched.status == 404
    rotated = await other.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret", key=stranger)
    assert rotated.status == 404
    assert (await site.get(f"/webhook-endpoints/{endpoint['id']}", key=admin)).body["url"] == HOOK
    wrong = await site.patch(f"/webhook-endpoints/{endpoint['id']}", {"id": "elsewhere"}, key=admin)
    assert wrong.status == 400 and wrong.error["details"]["field_violations"][0]["field"] == "id"
