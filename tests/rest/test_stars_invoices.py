"""`/api/v1/orders/<order_id>/stars-invoice`: a website sells a package priced in Telegram Stars by
sending its buyer to an invoice link; the buyer pays in Telegram, where the tenant's bot (here its
gateway's calls, against a fake Bot API) answers the pre-checkout and reports the charge, and the
website sees the order paid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart

from sdk.billinghub.v1 import package_pb2, payment_pb2, tenant_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.commerce.catalog import create_package, price
from tests.hub import Hub
from tests.money import assert_ledger_ok
from tests.payments.shop import gateway
from tests.payments.stars import MONTH, confirm, pre_checkout
from tests.providers.fakes.server import serve
from tests.providers.fakes.telegram import TOKEN, FakeTelegramBotApi
from tests.rest.shop import PACK_PRICE, PACK_TOKENS, pack, posted
from tests.rest.site import Site

TELEGRAM_ID = "700100"


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramBotApi]:
    fake = FakeTelegramBotApi()
    async with serve(fake.app) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
async def stars_site(hub: Hub, rest_app: Quart, bot_api: FakeTelegramBotApi) -> Site:
    """A website whose tenant has a bot taking Stars (1 to 1 000 000 XTR) against the fake Bot API."""
    tenant = await hub.new_tenant("REST Stars shop", bot_token=TOKEN)
    config = payment_pb2.ProviderConfig(
        provider="telegram_stars", enabled=True, title={"en": "Telegram Stars"},
        limits=[payment_pb2.PaymentLimit(asset="XTR", min_minor=1, max_minor=1_000_000)], base_url=bot_api.base_url,
    )  # fmt: skip
    await tenant.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config))
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, tenant.id, "website")
    return Site(hub, rest_app, rest_app.test_client(), tenant, key)


async def telegram_buyer(site: Site, telegram_id: str = TELEGRAM_ID) -> str:
    """The buyer as the website registers them after a Telegram login: the same hub user the bot
    knows, so the bot's pre-checkout finds the invoice theirs."""
    return str((await site.post("/users", {"platform": "telegram", "external_id": telegram_id})).body["user"]["id"])


async def pending_order(site: Site, user: str, package_id: str) -> dict[str, Any]:
    created = await site.post("/orders", {"user_id": user, "package_id": package_id})
    assert created.status == 200, created.body
    order: dict[str, Any] = created.body
    return order


async def test_an_order_is_paid_in_stars_through_an_invoice_link(stars_site: Site, bot_api: FakeTelegramBotApi) -> None:
    site = stars_site
    package = await pack(site)
    buyer = await telegram_buyer(site)
    order = await pending_order(site, buyer, package.id)

    headers = {"Idempotency-Key": "stars-1"}
    opened = await site.post(
        f"/orders/{order['id']}/stars-invoice", {"user_id": buyer, "create_link": True}, headers=headers
    )
    assert opened.status == 200, opened.body
    payment, invoice = opened.body["payment"], opened.body["invoice"]
    assert opened.body["invoice_link"].startswith("https://t.me/$"), opened.body
    assert payment["pay_url"] == opened.body["invoice_link"]
    assert (payment["provider"], payment["status"], payment["order_id"]) == ("telegram_stars", "pending", order["id"])
    assert (invoice["payload"], invoice["currency"]) == (payment["id"], "XTR")
    assert [price["amount"] for price in invoice["prices"]] == [str(PACK_PRICE)]
    again = await site.post(
        f"/orders/{order['id']}/stars-invoice", {"user_id": buyer, "create_link": True}, headers=headers
    )
    assert again.status == 200 and again.body == opened.body  # a retry: the same payment, no second link
    assert len(bot_api.calls("createInvoiceLink")) == 1

    bot = await gateway(site.hub, site.tenant)  # the tenant's bot, when the buyer pays in Telegram
    assert (await pre_checkout(bot, buyer, invoice["payload"], PACK_PRICE)).ok
    await confirm(bot, buyer, invoice["payload"], PACK_PRICE, bot_api.pay(invoice["payload"], PACK_PRICE))

    paid = await site.get(f"/orders/{order['id']}")
    assert paid.body["status"] == "fulfilled" and paid.body["paid_via"] == "provider:telegram_stars", paid.body
    assert (await site.get(f"/payments/{payment['id']}")).body["status"] == "succeeded"
    assert await posted(site, buyer, "TOKEN") == PACK_TOKENS and await posted(site, buyer) == 0
    await assert_ledger_ok(site.tenant)


async def test_a_subscription_invoice_without_a_link_is_what_the_bot_would_send(stars_site: Site) -> None:
    site = stars_site
    plan = await create_package(
        site.tenant, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(PACK_PRICE, "XTR"), plan_code="pro",
        period_days=30,
    )  # fmt: skip
    buyer = await telegram_buyer(site)
    order = await pending_order(site, buyer, plan.id)
    opened = await site.post(
        f"/orders/{order['id']}/stars-invoice", {"user_id": buyer, "subscription_period": MONTH, "title": "Pro"}
    )
    assert opened.status == 200, opened.body
    assert opened.body["invoice_link"] == "" and opened.body["payment"]["pay_url"] == ""
    assert (opened.body["invoice"]["title"], opened.body["invoice"]["subscription_period"]) == ("Pro", MONTH)


async def test_bad_input_is_a_clear_400_and_opens_nothing(stars_site: Site, bot_api: FakeTelegramBotApi) -> None:
    site = stars_site
    package = await pack(site)
    buyer = await telegram_buyer(site)
    order = await pending_order(site, buyer, package.id)
    cases = [
        ({"user_id": buyer, "amount": {"asset": "XTR", "amount_minor": "5"}}, "amount"),
        ({"user_id": buyer, "create_lnk": True}, "create_lnk"),
        ({"user_id": buyer, "create_link": "sometimes"}, "create_link"),
        ({"user_id": buyer, "subscription_period": 86400}, "subscription_period"),
        ({"user_id": buyer, "title": "x" * 33}, "title"),
        ({"user_id": "not-a-user"}, "user_id"),
        ({}, "user_id"),
    ]
    for body, field in cases:
        answer = await site.post(f"/orders/{order['id']}/stars-invoice", body)
        assert answer.status == 400, (body, answer.body)
        fields = {v["field"] for v in answer.error["details"].get("field_violations", [])}
        assert any(field in name for name in fields), (body, answer.body)
    assert (await site.post("/orders/not-an-id/stars-invoice", {"user_id": buyer})).status in (400, 404)
    assert (await site.get("/payments", query={"user_id": buyer})).body["payments"] == []
    assert (await site.get(f"/orders/{order['id']}")).body["status"] == "pending"
    assert bot_api.calls("createInvoiceLink") == []


async def test_what_cannot_be_paid_in_stars_is_a_clear_error(stars_site: Site, site: Site) -> None:
    package = await pack(stars_site)
    buyer = await telegram_buyer(stars_site)
    order = await pending_order(stars_site, buyer, package.id)
    cancelled = await stars_site.post(f"/orders/{order['id']}/cancel")
    assert cancelled.status == 200, cancelled.body
    not_pending = await stars_site.post(f"/orders/{order['id']}/stars-invoice", {"user_id": buyer})
    assert not_pending.status == 409 and not_pending.error["code"] == "ORDER_NOT_PENDING", not_pending.body

    other = await stars_site.partner_of_another_tenant()
    elsewhere = await other.post(f"/orders/{order['id']}/stars-invoice", {"user_id": buyer})
    assert elsewhere.status == 404, elsewhere.body

    plain = await pack(site)  # a shop without Stars switched on
    plain_buyer = await telegram_buyer(site)
    plain_order = await pending_order(site, plain_buyer, plain.id)
    off = await site.post(f"/orders/{plain_order['id']}/stars-invoice", {"user_id": plain_buyer})
    assert off.status == 404 and off.error["code"] == "PROVIDER_NOT_CONFIGURED", off.body
    assert (await site.get(f"/orders/{plain_order['id']}")).body["status"] == "pending"


async def test_a_wallet_is_topped_up_in_stars_through_an_invoice_link(
    stars_site: Site, bot_api: FakeTelegramBotApi
) -> None:
    site = stars_site
    buyer = await telegram_buyer(site)
    path = f"/users/{buyer}/stars-invoices"
    bad = [
        ({"create_link": True}, "order_id"),  # the core's words: "give either order_id or amount"
        ({"amount": {"asset": "RUB", "amount_minor": "5"}}, "amount"),
        ({"amount": {"asset": "XTR", "amount_minor": "0"}}, "amount"),
        ({"amount": {"asset": "XTR", "amount_minor": "5"}, "order_id": "x"}, "order_id"),
        ({"amount": {"asset": "XTR", "amount_minor": "5"}, "subscription_period": MONTH}, "subscription_period"),
    ]
    for body, field in bad:
        answer = await site.post(path, body)
        assert answer.status == 400, (body, answer.body)
        fields = {v["field"] for v in answer.error["details"].get("field_violations", [])}
        assert any(field in name for name in fields), (body, answer.body)
    assert (await site.get("/payments", query={"user_id": buyer})).body["payments"] == []

    opened = await site.post(path, {"amount": {"asset": "XTR", "amount_minor": "250"}, "create_link": True})
    assert opened.status == 200, opened.body
    payment, invoice = opened.body["payment"], opened.body["invoice"]
    assert opened.body["invoice_link"].startswith("https://t.me/$") and payment["order_id"] == ""
    bot = await gateway(site.hub, site.tenant)
    assert (await pre_checkout(bot, buyer, invoice["payload"], 250)).ok
    charge = bot_api.pay(invoice["payload"], 250)
    for _ in range(2):  # Telegram may deliver the successful payment twice: credited once
        await confirm(bot, buyer, invoice["payload"], 250, charge)
    assert (await site.get(f"/payments/{payment['id']}")).body["status"] == "succeeded"
    assert await posted(site, buyer, "XTR") == 250
    await assert_ledger_ok(site.tenant)
