"""`/api/v1/orders/<order_id>/checkout`, `/users/<user_id>/payments`, `/payments` and
`/payment-methods`: a website takes money in through a payment provider (`testpay`, the tests'
in-memory provider), for an order or as a top-up, and the provider's signed webhook, through the
same gateway app, settles it exactly once."""

from __future__ import annotations

from typing import Any

from core_server.domain.provider_api import ProviderRejected, ProviderUnavailable
from sdk.billinghub.v1 import package_pb2
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.money import assert_ledger_ok
from tests.payments.shop import SIGNING_KEY, set_testpay
from tests.payments.testpay import PROVIDER, notification
from tests.rest.shop import funded_user, money, posted
from tests.rest.site import Site

RUB_PRICE = 15_000  # 150.00 RUB
TOKENS = 1000


async def rub_shop(site: Site) -> package_pb2.Package:
    """The site's tenant with testpay for RUB 1.00 to 100 000.00 and a token pack priced in RUB."""
    await ensure_rub(site.tenant)
    await set_testpay(site.tenant)
    return await create_package(
        site.tenant, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(RUB_PRICE, "RUB"),
        delivers=price(TOKENS, "TOKEN"),
    )  # fmt: skip


async def pending_order(site: Site, user: str, package_id: str) -> dict[str, Any]:
    created = await site.post("/orders", {"user_id": user, "package_id": package_id})
    assert created.status == 200, created.body
    order: dict[str, Any] = created.body
    return order


async def provider_reports_paid(site: Site, payment: dict[str, Any]) -> int:
    """The provider takes the buyer's money and posts its signed notification to the gateway."""
    invoice = PROVIDER.pay(payment["provider_ref"])
    headers, body = notification(invoice, SIGNING_KEY)
    answer = await site.http.post(f"/webhooks/{site.tenant_id}/testpay", data=body, headers=headers)
    return int(answer.status_code)


async def test_an_order_checked_out_through_a_provider_is_paid_by_its_webhook(site: Site) -> None:
    package = await rub_shop(site)
    buyer = await funded_user(site, "checkout-1", 0)
    order = await pending_order(site, buyer, package.id)

    methods = await site.get("/payment-methods", query={"user_id": buyer, "order_id": order["id"]})
    assert methods.status == 200, methods.body
    assert [(m["provider"], m["asset"]) for m in methods.body["methods"]] == [("testpay", "RUB")]
    assert methods.body["methods"][0]["min_minor"] == "100"

    checkout = await site.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"})
    assert checkout.status == 200, checkout.body
    payment = checkout.body
    assert payment["pay_url"].startswith("https://testpay.invalid/pay/") and payment["status"] == "pending"
    assert payment["order_id"] == order["id"] and payment["amount"] == money(RUB_PRICE, "RUB")
    assert (await site.get(f"/orders/{order['id']}")).body["status"] == "pending"

    assert await provider_reports_paid(site, payment) == 200
    paid = await site.get(f"/orders/{order['id']}")
    assert paid.body["status"] == "fulfilled" and paid.body["paid_time"], paid.body
    got = await site.get(f"/payments/{payment['id']}")
    assert got.status == 200 and got.body["status"] == "succeeded" and got.body["received"] == money(RUB_PRICE, "RUB")
    listed = await site.get("/payments", query={"user_id": buyer, "status": "succeeded"})
    assert [p["id"] for p in listed.body["payments"]] == [payment["id"]]
    by_order = await site.get("/payments", query={"user_id": buyer, "order_id": order["id"]})
    assert [p["id"] for p in by_order.body["payments"]] == [payment["id"]]

    assert await provider_reports_paid(site, payment) == 200  # delivered again: credited once
    checked = await site.post(f"/payments/{payment['id']}/check")
    assert checked.status == 200 and checked.body["status"] == "succeeded", checked.body
    assert await posted(site, buyer, "RUB") == 0 and await posted(site, buyer, "TOKEN") == TOKENS
    await assert_ledger_ok(site.tenant)


async def test_a_top_up_through_a_provider_is_credited_once_when_checked(site: Site) -> None:
    await rub_shop(site)
    user = await funded_user(site, "topup-1", 0)
    methods = await site.get(
        "/payment-methods", query={"user_id": user, "amount.asset": "RUB", "amount.amount_minor": "50000"}
    )
    assert methods.status == 200 and [m["provider"] for m in methods.body["methods"]] == ["testpay"], methods.body
    too_big = await site.get(
        "/payment-methods", query={"user_id": user, "amount.asset": "RUB", "amount.amount_minor": "999999999"}
    )
    assert too_big.status == 200 and too_big.body["methods"] == []

    opened = await site.post(f"/users/{user}/payments", {"provider": "testpay", "amount": money(50_000, "RUB")})
    assert opened.status == 200, opened.body
    payment = opened.body
    assert payment["order_id"] == "" and payment["user_id"] == user and payment["pay_url"]
    pending = await site.post(f"/payments/{payment['id']}/check")
    assert pending.status == 200 and pending.body["status"] == "pending"
    PROVIDER.pay(payment["provider_ref"])
    for _ in range(2):
        checked = await site.post(f"/payments/{payment['id']}/check")
        assert checked.status == 200 and checked.body["status"] == "succeeded", checked.body
    assert await posted(site, user, "RUB") == 50_000
    await assert_ledger_ok(site.tenant)


async def test_provider_and_order_conflicts_are_clear_errors(site: Site) -> None:
    package = await rub_shop(site)
    buyer = await funded_user(site, "conflict-1", 0)
    order = await pending_order(site, buyer, package.id)
    unknown = await site.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "cryptobot"})
    assert unknown.status == 404 and unknown.error["code"] == "PROVIDER_NOT_CONFIGURED", unknown.body
    await set_testpay(site.tenant, enabled=False)
    disabled = await site.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"})
    assert disabled.status == 409 and disabled.error["code"] == "PROVIDER_DISABLED", disabled.body
    await set_testpay(site.tenant)
    small = await site.post(f"/users/{buyer}/payments", {"provider": "testpay", "amount": money(99, "RUB")})
    assert small.status == 409 and small.error["code"] == "AMOUNT_OUT_OF_RANGE", small.body
    assert (await site.post(f"/orders/{order['id']}/cancel")).status == 200
    cancelled = await site.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"})
    assert cancelled.status == 409 and cancelled.error["code"] == "ORDER_NOT_PENDING", cancelled.body
    assert (await site.get("/payments", query={"user_id": buyer})).body["payments"] == []
    assert (await site.get("/payments/00000000-0000-7000-8000-000000000000")).status == 404


async def test_each_payment_write_replays_its_first_answer(site: Site) -> None:
    package = await rub_shop(site)
    buyer = await funded_user(site, "idem-pay-1", 0)
    order = await pending_order(site, buyer, package.id)
    writes = [
        (f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"}, {"description": "Tokens"}),
        (f"/users/{buyer}/payments", {"provider": "testpay", "amount": money(1_000, "RUB")},
         {"amount": money(2_000, "RUB")}),
    ]  # fmt: skip
    for path, body, change in writes:
        headers = {"Idempotency-Key": f"{path}-key"}
        first = await site.post(path, body, headers=headers)
        replay = await site.post(path, body, headers=headers)
        assert first.status == replay.status == 200 and replay.body == first.body, (path, replay.body)
        other = await site.post(path, {**body, **change}, headers=headers)
        assert other.status == 409 and other.error["code"] == "IDEMPOTENCY_KEY_REUSED", (path, other.body)
    assert len((await site.get("/payments", query={"user_id": buyer})).body["payments"]) == 2


async def test_another_tenants_orders_and_payments_are_not_found_and_stay_unchanged(site: Site) -> None:
    package = await rub_shop(site)
    buyer = await funded_user(site, "mine-pay-1", 0)
    order = await pending_order(site, buyer, package.id)
    payment = (await site.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"})).body
    other = await site.partner_of_another_tenant()
    await ensure_rub(other.tenant)
    await set_testpay(other.tenant)
    PROVIDER.pay(payment["provider_ref"])
    answers = [
        await other.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"}),
        await other.post(f"/users/{buyer}/payments", {"provider": "testpay", "amount": money(1_000, "RUB")}),
        await other.get(f"/payments/{payment['id']}"),
        await other.post(f"/payments/{payment['id']}/check"),
        await other.get("/payments", query={"user_id": buyer}),
        await other.get("/payment-methods", query={"user_id": buyer, "order_id": order["id"]}),
    ]
    assert [a.status for a in answers] == [404] * len(answers), [a.body for a in answers]
    # the other tenant's check did not credit the paid payment: it is still pending here
    assert (await site.get(f"/payments/{payment['id']}")).body["status"] == "pending"
    assert (await site.get(f"/orders/{order['id']}")).body["status"] == "pending"
    assert await posted(site, buyer, "RUB") == 0
    assert len((await site.get("/payments", query={"user_id": buyer})).body["payments"]) == 1


async def test_bad_input_is_a_clear_400_and_opens_nothing(site: Site) -> None:
    package = await rub_shop(site)
    buyer = await funded_user(site, "bad-pay-1", 0)
    order = await pending_order(site, buyer, package.id)
    checkout = f"/orders/{order['id']}/checkout"
    topup = f"/users/{buyer}/payments"
    cases = [
        (checkout, {"user_id": buyer, "provider": "testpay", "amount": money(100, "RUB")}, "amount"),
        (checkout, {"user_id": buyer, "provider": "testpay", "retrun_url": "https://x.test"}, "retrun_url"),
        (checkout, {"user_id": buyer, "provider": "testpay", "return_url": "ftp://x.test"}, "return_url"),
        (topup, {"provider": "testpay", "amount": money(100, "RUB"), "order_id": order["id"]}, "order_id"),
        (topup, {"provider": "testpay", "amount": {"asset": "RUB", "amount_minor": 1.5}}, "amount"),
        (topup, {"provider": "testpay", "amount": money(-100, "RUB")}, "amount"),
        (topup, {"provider": "testpay"}, "order_id"),  # the core: "give either order_id or amount"
    ]
    for path, body, field in cases:
        answer = await site.post(path, body)
        assert answer.status == 400, (path, body, answer.body)
        fields = {v["field"] for v in answer.error["details"].get("field_violations", [])}
        assert any(name.startswith(field) for name in fields), (path, body, answer.body)
    queries = [
        {"user_id": buyer, "status": "paid-ish"},
        {"user_id": buyer, "page_size": "x"},
        {"user_id": buyer, "provder": "testpay"},
    ]
    for query in queries:
        assert (await site.get("/payments", query=query)).status == 400, query
    for query in (
        {"user_id": buyer, "amount.currency": "RUB"},
        {"user_id": buyer, "amount": "RUB", "amount.asset": "RUB"},
    ):
        assert (await site.get("/payment-methods", query=query)).status == 400, query
    assert (await site.get("/payments", query={"user_id": buyer})).body["payments"] == []
    assert (await site.post(checkout, {"user_id": buyer, "provider": "testpay"}, key="")).status == 401


async def test_a_provider_that_does_not_answer_a_check_is_503_and_a_later_check_credits(site: Site) -> None:
    await rub_shop(site)
    user = await funded_user(site, "check-1", 0)
    payment = (await site.post(f"/users/{user}/payments", {"provider": "testpay", "amount": money(2_500, "RUB")})).body
    PROVIDER.pay(payment["provider_ref"])
    PROVIDER.fail_next(ProviderUnavailable("testpay: GET timed out"))
    silent = await site.post(f"/payments/{payment['id']}/check")
    assert silent.status == 503 and silent.error["code"] == "PROVIDER_UNAVAILABLE", silent.body
    PROVIDER.fail_next(ProviderRejected("testpay: answered 401: bad api key"))
    refused = await site.post(f"/payments/{payment['id']}/check")
    assert refused.status == 409 and refused.error["code"] == "PROVIDER_REJECTED", refused.body
    assert await posted(site, user, "RUB") == 0
    checked = await site.post(f"/payments/{payment['id']}/check")
    assert checked.status == 200 and checked.body["status"] == "succeeded", checked.body
    assert await posted(site, user, "RUB") == 2_500
    await assert_ledger_ok(site.tenant)


async def test_a_payment_read_or_checked_for_its_user_is_404_for_another_user(site: Site) -> None:
    package = await rub_shop(site)
    buyer, other = await funded_user(site, "owner-p", 0), await funded_user(site, "other-p", 0)
    order = await pending_order(site, buyer, package.id)
    payment = (await site.post(f"/orders/{order['id']}/checkout", {"user_id": buyer, "provider": "testpay"})).body
    own = await site.get(f"/payments/{payment['id']}", query={"user_id": buyer})
    assert own.status == 200 and own.body["id"] == payment["id"], own.body
    foreign = await site.get(f"/payments/{payment['id']}", query={"user_id": other})
    assert foreign.status == 404 and foreign.error["code"] == "PAYMENT_NOT_FOUND", foreign.body
    PROVIDER.pay(payment["provider_ref"])
    refused = await site.post(f"/payments/{payment['id']}/check", {"user_id": other})
    assert refused.status == 404 and refused.error["code"] == "PAYMENT_NOT_FOUND", refused.body
    assert await posted(site, buyer, "TOKEN") == 0  # not checked, so not credited
    checked = await site.post(f"/payments/{payment['id']}/check", {"user_id": buyer})
    assert checked.status == 200 and checked.body["status"] == "succeeded", checked.body
