"""`/api/v1` referrals and payouts: a website shows its user's referral figures and invitees, asks
to withdraw earnings for them; tenant admins decide the payout queue."""

from __future__ import annotations

import asyncio

from tests.money import assert_ledger_ok
from tests.rest.shop import earning_referrer, posted_and_held
from tests.rest.site import Site

ZERO = "0190f7a0-0000-7000-8000-000000000000"


async def test_a_website_shows_the_program_and_its_users_referral_figures(site: Site) -> None:
    referrer, buyer = await earning_referrer(site)
    program = await site.get("/referral-program")
    assert program.status == 200, program.body
    assert program.body["enabled"] is True and program.body["level_rates_bps"] == [5000]
    assert program.body["payout_asset"] == "XTR" and program.body["min_payout_minor"] == "10"

    stats = await site.get(f"/users/{referrer['id']}/referral-stats")
    assert stats.status == 200, stats.body
    assert stats.body["referral_code"] == referrer["referral_code"]
    assert stats.body["invited_by_level"][0] == "1"
    assert stats.body["earned"] == [{"asset": "XTR", "amount_minor": "50"}]
    assert stats.body["withdrawable"] == [{"asset": "XTR", "amount_minor": "50"}]

    invited = await site.get(f"/users/{referrer['id']}/referrals")
    assert invited.status == 200 and [u["id"] for u in invited.body["users"]] == [buyer["id"]]
    assert (await site.get(f"/users/{referrer['id']}/referrals", query={"level": "2"})).body["users"] == []
    board = await site.get("/referral-leaderboard", query={"metric": "invited"})
    assert board.status == 200, board.body
    assert [(e["user_id"], e["value"], e["rank"]) for e in board.body["entries"]] == [(referrer["id"], "1", 1)]


async def test_a_payout_is_asked_by_the_website_and_decided_by_an_admin(site: Site) -> None:
    referrer, _ = await earning_referrer(site)
    path = f"/users/{referrer['id']}/payout-requests"
    headers = {"Idempotency-Key": "payout-1"}
    asked = await site.post(path, {"amount_minor": "30", "destination": "bc1qexample"}, headers=headers)
    assert asked.status == 200, asked.body
    assert asked.body["amount"] == {"asset": "XTR", "amount_minor": "30"} and asked.body["status"] == "pending"
    replay = await site.post(path, {"amount_minor": "30", "destination": "bc1qexample"}, headers=headers)
    assert replay.status == 200 and replay.body == asked.body
    reused = await site.post(path, {"amount_minor": "31", "destination": "bc1qexample"}, headers=headers)
    assert reused.status == 409 and reused.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await posted_and_held(site, referrer["id"], "XTR") == (50, 30)

    mine = await site.get(path)
    assert mine.status == 200 and mine.body["payout_requests"] == [asked.body]
    too_much = await site.post(path, {"amount_minor": "21", "destination": "bc1qexample"})
    assert too_much.status == 409 and too_much.error["code"] == "INSUFFICIENT_FUNDS"
    too_little = await site.post(path, {"amount_minor": "5", "destination": "bc1qexample"})
    assert too_little.status == 409 and too_little.error["code"] == "BELOW_MIN_PAYOUT"

    decide = f"/payout-requests/{asked.body['id']}/approve"
    refused = await site.post(decide, {"payment_reference": "tx-1", "actor": "site"})
    assert refused.status == 403 and refused.error["code"] == "ROLE_NOT_ALLOWED"
    admin = site.tenant.admin_key
    queue = await site.get("/payout-requests", key=admin, query={"status": "pending"})
    assert queue.status == 200 and [p["id"] for p in queue.body["payout_requests"]] == [asked.body["id"]]
    assert (await site.get("/payout-requests")).status == 400  # a partner names a user
    approve_key = {"Idempotency-Key": "approve-1"}
    body = {"payment_reference": "tx-1", "actor": "admin:7"}
    paid = await site.post(decide, body, key=admin, headers=approve_key)
    assert paid.status == 200, paid.body
    assert (paid.body["status"], paid.body["payment_reference"], paid.body["decided_by"]) == ("paid", "tx-1", "admin:7")
    assert (await site.post(decide, body, key=admin, headers=approve_key)).body == paid.body
    other_reference = await site.post(decide, {**body, "payment_reference": "tx-2"}, key=admin, headers=approve_key)
    assert other_reference.status == 409 and other_reference.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert (await site.post(decide, body, key=admin)).error["code"] == "PAYOUT_NOT_PENDING"
    assert await posted_and_held(site, referrer["id"], "XTR") == (20, 0)

    second = await site.post(path, {"amount_minor": "10", "destination": "bc1qexample"})
    reject = f"/payout-requests/{second.body['id']}/reject"
    assert (await site.post(reject, {"reason": "wrong address"}, key=admin)).status == 400  # actor required
    reject_key = {"Idempotency-Key": "reject-1"}
    rejected = await site.post(reject, {"reason": "wrong address", "actor": "admin:7"}, key=admin, headers=reject_key)
    assert rejected.status == 200 and rejected.body["status"] == "rejected"
    replayed = await site.post(reject, {"reason": "wrong address", "actor": "admin:7"}, key=admin, headers=reject_key)
    assert replayed.status == 200 and replayed.body == rejected.body
    reworded = await site.post(reject, {"reason": "other", "actor": "admin:7"}, key=admin, headers=reject_key)
    assert reworded.status == 409 and reworded.error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await posted_and_held(site, referrer["id"], "XTR") == (20, 0)
    await assert_ledger_ok(site.tenant)


async def test_another_tenants_referrers_are_not_found_and_keep_their_earnings(site: Site) -> None:
    referrer, _ = await earning_referrer(site)
    pending = await site.post(f"/users/{referrer['id']}/payout-requests", {"amount_minor": "10", "destination": "x"})
    other = await site.partner_of_another_tenant()
    for path in ("referral-stats", "referrals", "payout-requests"):
        assert (await other.get(f"/users/{referrer['id']}/{path}")).status == 404, path
    taken = await other.post(f"/users/{referrer['id']}/payout-requests", {"amount_minor": "40", "destination": "x"})
    assert taken.status == 404
    other_admin = other.tenant.admin_key
    decided = await other.post(
        f"/payout-requests/{pending.body['id']}/approve", {"payment_reference": "tx", "actor": "a"}, key=other_admin
    )
    assert decided.status == 404
    assert await posted_and_held(site, referrer["id"], "XTR") == (50, 10)
    mine = (await site.get(f"/users/{referrer['id']}/payout-requests")).body["payout_requests"]
    assert [p["status"] for p in mine] == ["pending"]


async def test_bad_payout_input_is_a_clear_400_and_holds_nothing(site: Site) -> None:
    referrer, _ = await earning_referrer(site)
    path = f"/users/{referrer['id']}/payout-requests"
    cases = [
        ({"amount_minor": 10, "destination": "x"}, "amount_minor"),  # an int64 is a string
        ({"amount_minor": "0", "destination": "x"}, "amount_minor"),
        ({"amount_minor": "10", "destination": ""}, "destination"),
        ({"amount_minor": "10", "destination": "x", "currency": "XTR"}, "currency"),
        ({"amount_minor": "99999999999999999999", "destination": "x"}, "amount_minor"),
    ]
    for body, field in cases:
        answer = await site.post(path, body)
        assert answer.status == 400, (body, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, answer.body
    assert (await site.get(f"/users/{ZERO}/referral-stats")).status == 404
    assert (await site.get("/referral-leaderboard", query={"metric": "fame"})).status == 400
    assert (await site.post(path, {"amount_minor": "10", "destination": "x"}, key="")).status == 401
    assert await posted_and_held(site, referrer["id"], "XTR") == (50, 0)


async def test_racing_payout_requests_hold_no_more_than_the_earnings(site: Site) -> None:
    referrer, _ = await earning_referrer(site)
    path = f"/users/{referrer['id']}/payout-requests"
    answers = await asyncio.gather(*(site.post(path, {"amount_minor": "20", "destination": "x"}) for _ in range(6)))
    assert sorted(a.status for a in answers) == [200, 200, 409, 409, 409, 409]
    assert await posted_and_held(site, referrer["id"], "XTR") == (50, 40)
    await assert_ledger_ok(site.tenant)


async def test_two_admins_approving_one_payout_at_once_pay_it_once(site: Site) -> None:
    referrer, _ = await earning_referrer(site)
    asked = await site.post(f"/users/{referrer['id']}/payout-requests", {"amount_minor": "40", "destination": "x"})
    decide = f"/payout-requests/{asked.body['id']}/approve"
    answers = await asyncio.gather(
        *(site.post(decide, {"payment_reference": f"tx-{n}", "actor": f"admin:{n}"}, key=site.tenant.admin_key)
          for n in range(4))
    )  # fmt: skip
    assert sorted(a.status for a in answers) == [200, 409, 409, 409]
    assert {a.error["code"] for a in answers if a.status == 409} == {"PAYOUT_NOT_PENDING"}
    assert await posted_and_held(site, referrer["id"], "XTR") == (10, 0)
    await assert_ledger_ok(site.tenant)
