"""`/api/v1` manual top-ups: a website shows the tenant's methods and files its user's request;
tenant admins work the queue, approving (credited once) or rejecting."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.commerce.catalog import ensure_rub
from tests.money import assert_ledger_ok
from tests.rest.shop import posted_and_held, with_topup_methods
from tests.rest.site import Site

ZERO = "0190f7a0-0000-7000-8000-000000000000"
RECEIPT = "https://example.com/receipt/1.png"
DECISION = {"actor": "admin:7"}


def _body(amount: str = "7500", **fields: Any) -> dict[str, Any]:
    return {"method_code": "card_ru", "amount": {"asset": "RUB", "amount_minor": amount}, "receipt": RECEIPT, **fields}


async def _payer(site: Site, external_id: str = "payer") -> str:
    await ensure_rub(site.tenant)
    await with_topup_methods(site)
    return str((await site.register(external_id))["id"])


async def _asked(site: Site, user_id: str, amount: str = "7500") -> dict[str, Any]:
    answer = await site.post(f"/users/{user_id}/topup-requests", _body(amount))
    assert answer.status == 200, answer.body
    request: dict[str, Any] = answer.body
    return request


async def test_a_website_files_its_users_topup_and_an_admin_credits_it_once(site: Site) -> None:
    user = await _payer(site)
    methods = await site.get("/topup-methods", query={"active_only": "true"})
    assert methods.status == 200, methods.body
    assert methods.body["methods"] == [
        {"code": "card_ru", "title": {"en": "Russian card"}, "instructions": {"en": "Send to 2200 0000 0000 0000"},
         "active": True},
    ]  # fmt: skip
    assert len((await site.get("/topup-methods")).body["methods"]) == 2

    headers = {"Idempotency-Key": "topup-1"}
    asked = await site.post(f"/users/{user}/topup-requests", _body(), headers=headers)
    assert asked.status == 200, asked.body
    assert asked.body["status"] == "pending" and asked.body["amount"] == {"asset": "RUB", "amount_minor": "7500"}
    assert asked.body["receipt"] == RECEIPT and asked.body["decide_time"] is None
    replay = await site.post(f"/users/{user}/topup-requests", _body(), headers=headers)
    assert replay.status == 200 and replay.body == asked.body
    reused = await site.post(f"/users/{user}/topup-requests", _body("7501"), headers=headers)
    assert reused.status == 409 and reused.error["code"] == "IDEMPOTENCY_KEY_REUSED"

    assert (await site.get(f"/topup-requests/{asked.body['id']}")).body == asked.body
    assert (await site.get(f"/users/{user}/topup-requests")).body["topup_requests"] == [asked.body]
    assert (await site.get("/topup-requests")).status == 400  # partners ask about one user
    admin = site.tenant.admin_key
    queue = await site.get("/topup-requests", key=admin, query={"status": "pending"})
    assert queue.status == 200 and [r["id"] for r in queue.body["topup_requests"]] == [asked.body["id"]]

    approve = f"/topup-requests/{asked.body['id']}/approve"
    refused = await site.post(approve, DECISION)
    assert refused.status == 403 and refused.error["code"] == "ROLE_NOT_ALLOWED"
    assert await posted_and_held(site, user, "RUB") == (0, 0)
    approve_key = {"Idempotency-Key": "approve-1"}
    approved = await site.post(approve, DECISION, key=admin, headers=approve_key)
    assert approved.status == 200, approved.body
    assert (approved.body["status"], approved.body["decided_by"]) == ("approved", "admin:7")
    assert approved.body["transfer_id"] and approved.body["decide_time"].endswith("Z")
    assert (await site.post(approve, DECISION, key=admin, headers=approve_key)).body == approved.body
    other_credit = await site.post(
        approve, {**DECISION, "credit": {"asset": "RUB", "amount_minor": "1"}}, key=admin, headers=approve_key
    )
    assert other_credit.status == 409 and other_credit.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    again = await site.post(approve, DECISION, key=admin)
    assert again.status == 409 and again.error["code"] == "TOPUP_REQUEST_NOT_PENDING"
    assert await posted_and_held(site, user, "RUB") == (7_500, 0)
    await assert_ledger_ok(site.tenant)


async def test_an_admin_rejects_a_request_and_nothing_is_credited(site: Site) -> None:
    user = await _payer(site)
    asked = await _asked(site, user)
    reject = f"/topup-requests/{asked['id']}/reject"
    assert (await site.post(reject, {"reason": "no payment", "actor": "a"})).status == 403
    missing = await site.post(reject, DECISION, key=site.tenant.admin_key)
    assert missing.status == 400 and missing.error["details"]["field_violations"][0]["field"] == "reason"
    headers = {"Idempotency-Key": "reject-1"}
    rejected = await site.post(reject, {"reason": "no payment", **DECISION}, key=site.tenant.admin_key, headers=headers)
    assert rejected.status == 200 and (rejected.body["status"], rejected.body["reason"]) == ("rejected", "no payment")
    replay = await site.post(reject, {"reason": "no payment", **DECISION}, key=site.tenant.admin_key, headers=headers)
    assert replay.status == 200 and replay.body == rejected.body
    reworded = await site.post(reject, {"reason": "fake", **DECISION}, key=site.tenant.admin_key, headers=headers)
    assert reworded.status == 409 and reworded.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    late = await site.post(f"/topup-requests/{asked['id']}/approve", DECISION, key=site.tenant.admin_key)
    assert late.status == 409 and late.error["code"] == "TOPUP_REQUEST_NOT_PENDING"
    assert await posted_and_held(site, user, "RUB") == (0, 0)
    await assert_ledger_ok(site.tenant)


async def test_another_tenants_requests_are_not_found_and_stay_pending(site: Site) -> None:
    user = await _payer(site)
    asked = await _asked(site, user)
    other = await site.partner_of_another_tenant()
    assert (await other.get(f"/topup-requests/{asked['id']}")).status == 404
    assert (await other.get(f"/users/{user}/topup-requests")).status == 404
    assert (await other.post(f"/users/{user}/topup-requests", _body())).status == 404
    approved = await other.post(f"/topup-requests/{asked['id']}/approve", DECISION, key=other.tenant.admin_key)
    assert approved.status == 404
    assert (await site.get(f"/topup-requests/{asked['id']}")).body == asked
    assert await posted_and_held(site, user, "RUB") == (0, 0)


async def test_bad_topup_input_is_a_clear_answer_and_records_nothing(site: Site) -> None:
    user = await _payer(site)
    path = f"/users/{user}/topup-requests"
    cases = [
        (_body(amount="0"), 400, "amount.amount_minor"),
        (_body(amount="ten"), 400, "amount.amount_minor"),
        (_body(recipt="typo"), 400, "recipt"),
        ({"method_code": "card_ru"}, 400, "amount"),
        (_body(receipt="ftp://nope"), 400, "receipt"),
    ]
    for body, status, field in cases:
        answer = await site.post(path, body)
        assert answer.status == status, (body, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, answer.body
    unknown = await site.post(path, _body(method_code="paypal"))
    assert unknown.status == 404
    inactive = await site.post(path, _body(method_code="card_old"))
    assert inactive.status == 409 and inactive.error["code"] == "METHOD_INACTIVE"
    assert (await site.get(f"/topup-requests/{ZERO}")).status == 404
    assert (await site.get("/topup-requests/nope")).status == 400
    assert (await site.post(path, _body(), key="")).status == 401
    assert (await site.get(path)).body["topup_requests"] == []


async def test_two_admins_approving_at_once_credit_once(site: Site) -> None:
    user = await _payer(site)
    asked = await _asked(site, user, "2500")
    approve = f"/topup-requests/{asked['id']}/approve"
    answers = await asyncio.gather(
        *(site.post(approve, {"actor": f"admin:{n}"}, key=site.tenant.admin_key) for n in range(6))
    )
    assert sorted(a.status for a in answers) == [200, 409, 409, 409, 409, 409]
    assert {a.error["code"] for a in answers if a.status == 409} == {"TOPUP_REQUEST_NOT_PENDING"}
    assert await posted_and_held(site, user, "RUB") == (2_500, 0)
    await assert_ledger_ok(site.tenant)
