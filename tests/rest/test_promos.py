"""`/api/v1/users/<user_id>/promo-redemptions`: a user redeems a promo code on a website; a credit
code credits the wallet once, whatever the retries."""

from __future__ import annotations

from tests.commerce.promos import credit_code, discount_code
from tests.money import assert_ledger_ok
from tests.rest.shop import funded_user, money, posted
from tests.rest.site import Site


async def test_a_credit_code_credits_the_wallet_once(site: Site) -> None:
    await credit_code(site.tenant, "WELCOME", amount=500, total_limit=10)
    user = await funded_user(site, "promo-1", 0)
    redeemed = await site.post(f"/users/{user}/promo-redemptions", {"code": "WELCOME"})
    assert redeemed.status == 200, redeemed.body
    assert redeemed.body["promo_code"]["code"] == "WELCOME" and redeemed.body["promo_code"]["kind"] == "credit"
    assert redeemed.body["transfer"]["kind"] == "promo" and redeemed.body["transfer"]["amount"] == money(500, "TOKEN")
    assert redeemed.body["transfer"]["credit"]["user_id"] == user
    again = await site.post(f"/users/{user}/promo-redemptions", {"code": "WELCOME"})
    assert again.status == 200 and again.body["transfer"]["id"] == redeemed.body["transfer"]["id"], again.body
    assert await posted(site, user, "TOKEN") == 500
    await assert_ledger_ok(site.tenant)


async def test_codes_that_cannot_be_redeemed_are_clear_errors(site: Site) -> None:
    await discount_code(site.tenant, "SALE25")
    await credit_code(site.tenant, "ONCE", amount=100, total_limit=1)
    first, second = [await funded_user(site, f"promo-err-{n}", 0) for n in range(2)]
    discount = await site.post(f"/users/{first}/promo-redemptions", {"code": "SALE25"})
    assert discount.status == 409 and discount.error["code"] == "PROMO_NOT_APPLICABLE", discount.body
    unknown = await site.post(f"/users/{first}/promo-redemptions", {"code": "NOPE"})
    assert unknown.status == 404 and unknown.error["code"] == "PROMO_CODE_NOT_FOUND", unknown.body
    assert (await site.post(f"/users/{first}/promo-redemptions", {"code": "ONCE"})).status == 200
    exhausted = await site.post(f"/users/{second}/promo-redemptions", {"code": "ONCE"})
    assert exhausted.status == 409 and exhausted.error["code"] == "PROMO_EXHAUSTED", exhausted.body
    assert await posted(site, first, "TOKEN") == 100 and await posted(site, second, "TOKEN") == 0
    await assert_ledger_ok(site.tenant)


async def test_an_idempotency_key_replays_and_refuses_another_body(site: Site) -> None:
    await credit_code(site.tenant, "KEYED", amount=300, total_limit=10)
    await credit_code(site.tenant, "OTHER", amount=700, total_limit=10)
    user = await funded_user(site, "promo-idem", 0)
    headers = {"Idempotency-Key": "redeem-1"}
    first = await site.post(f"/users/{user}/promo-redemptions", {"code": "KEYED"}, headers=headers)
    replay = await site.post(f"/users/{user}/promo-redemptions", {"code": "KEYED"}, headers=headers)
    assert first.status == replay.status == 200 and replay.body == first.body
    other = await site.post(f"/users/{user}/promo-redemptions", {"code": "OTHER"}, headers=headers)
    assert other.status == 409 and other.error["code"] == "IDEMPOTENCY_KEY_REUSED", other.body
    assert await posted(site, user, "TOKEN") == 300


async def test_another_tenants_user_is_not_found_and_gets_nothing(site: Site) -> None:
    await credit_code(site.tenant, "MINE", amount=500, total_limit=10)
    user = await funded_user(site, "promo-mine", 0)
    other = await site.partner_of_another_tenant()
    await credit_code(other.tenant, "MINE", amount=500, total_limit=10)
    answer = await other.post(f"/users/{user}/promo-redemptions", {"code": "MINE"})
    assert answer.status == 404 and answer.error["details"]["status"] == "NOT_FOUND", answer.body
    assert await posted(site, user, "TOKEN") == 0


async def test_bad_input_is_a_clear_400(site: Site) -> None:
    user = await funded_user(site, "promo-bad", 0)
    for body, field in (({"cod": "X"}, "cod"), ({"code": 5}, "code"), ({}, "code")):
        answer = await site.post(f"/users/{user}/promo-redemptions", body)
        assert answer.status == 400, (body, answer.body)
        assert field in {v["field"] for v in answer.error["details"]["field_violations"]}, (body, answer.body)
    assert (await site.post(f"/users/{user}/promo-redemptions", {"code": "X"}, key="")).status == 401
    assert await posted(site, user, "TOKEN") == 0
