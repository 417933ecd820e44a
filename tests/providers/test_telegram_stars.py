"""The Telegram Stars adapter against a fake Bot API: what it sends, how it reads transactions
back (by charge id, by payload, across pages), and that the bot token never shows in an error."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from core_server.domain.provider_api import (
    ChargeRefunds,
    Intent,
    ProviderConfig,
    ProviderRejected,
    ProviderState,
    ProviderUnavailable,
    Received,
    ReferenceLookup,
    uses_bot_token,
)
from core_server.providers.http import new_client
from core_server.providers.registry import payment_adapters
from core_server.providers.telegram_stars import MAX_PAGES, PAGE, TelegramStars
from tests.providers.fakes.server import serve
from tests.providers.fakes.telegram import TOKEN, FakeTelegramBotApi


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramBotApi]:
    bot_api = FakeTelegramBotApi()
    async with serve(bot_api.app) as url:
        bot_api.base_url = url
        yield bot_api


@pytest.fixture
async def stars() -> AsyncIterator[TelegramStars]:
    client = new_client(public_only=False)
    yield TelegramStars(client)
    await client.aclose()


def config(fake: FakeTelegramBotApi, token: str = TOKEN) -> ProviderConfig:
    secrets = {"bot_token": token} if token else {}
    return ProviderConfig("telegram_stars", secrets, {}, base_url=fake.base_url)


def intent(reference: str = "pay-1", amount: int = 250, **fields: object) -> Intent:
    return Intent(reference, "XTR", amount, 0, "Ten thousand tokens", 3600, **fields)  # type: ignore[arg-type]


def test_it_is_registered_and_acts_with_the_tenants_bot_token() -> None:
    adapters = payment_adapters(new_client(public_only=False))
    assert isinstance(adapters["telegram_stars"], TelegramStars)
    assert uses_bot_token(adapters["telegram_stars"])
    assert isinstance(adapters["telegram_stars"], ReferenceLookup)
    assert adapters["telegram_stars"].secret_fields == ()


async def test_an_invoice_link_is_made_as_the_bot_api_documents(fake: FakeTelegramBotApi, stars: TelegramStars) -> None:
    opened = await stars.create_payment(config(fake), intent(title="Tokens x10000"))
    assert opened.pay_url.startswith("https://t.me/$FakeInvoice")
    assert (opened.provider_ref, opened.state, opened.reference) == ("", ProviderState.PENDING, "pay-1")
    [sent] = fake.recorded
    assert (sent.method, sent.path) == ("POST", f"/bot{TOKEN}/createInvoiceLink")
    assert json.loads(sent.body) == {
        "title": "Tokens x10000",
        "description": "Ten thousand tokens",
        "payload": "pay-1",
        "provider_token": "",
        "currency": "XTR",
        "prices": [{"label": "Tokens x10000", "amount": 250}],
    }
    await stars.create_payment(config(fake), intent("pay-2", subscription_period=2_592_000))
    assert fake.calls("createInvoiceLink")[-1]["subscription_period"] == 2_592_000


async def test_only_stars_are_taken_and_nothing_is_sent_without_a_token(
    fake: FakeTelegramBotApi, stars: TelegramStars
) -> None:
    with pytest.raises(ProviderRejected, match="XTR only"):
        await stars.create_payment(config(fake), Intent("p", "RUB", 100, 2, "d", 60))
    with pytest.raises(ProviderRejected, match="no bot token"):
        await stars.create_payment(config(fake, token=""), intent())
    assert fake.recorded == []


async def test_refusals_and_outages_never_show_the_token(fake: FakeTelegramBotApi, stars: TelegramStars) -> None:
    with pytest.raises(ProviderRejected) as refused:
        await stars.create_payment(config(fake), intent("x" * 129))
    assert "payload length" in str(refused.value)
    with pytest.raises(ProviderRejected) as unauthorized:
        await stars.check_config(config(fake, token="1:wrong-token-value"))
    assert "401" in str(unauthorized.value)
    fake.misbehaviour.fail_next(502, 429)
    with pytest.raises(ProviderUnavailable) as down:
        await stars.fetch_payment(config(fake), "charge")
    with pytest.raises(ProviderUnavailable) as flooded:
        await stars.fetch_payment(config(fake), "charge")
    for error in (refused, unauthorized, down, flooded):
        assert TOKEN not in str(error.value)
        assert "wrong-token-value" not in str(error.value)
    assert "/bot<token>/getStarTransactions answered 502" in str(down.value)


async def test_a_charge_is_found_by_its_id_or_by_the_payload(fake: FakeTelegramBotApi, stars: TelegramStars) -> None:
    first = fake.pay("pay-7", 300, period=2_592_000)
    fake.noise(3)
    renewal = fake.pay("pay-7", 300, period=2_592_000)
    assert (await stars.fetch_payment(config(fake), renewal)).paid == Received("XTR", 300)
    missing = await stars.fetch_payment(config(fake), "no-such-charge")
    assert (missing.state, missing.provider_ref) == (ProviderState.PENDING, "no-such-charge")
    found = await stars.find_by_reference(config(fake), "pay-7")
    assert (found.state, found.provider_ref, found.reference) == (ProviderState.PAID, first, "pay-7")
    assert found.paid == Received("XTR", 300)  # the first charge paid the invoice; renewals are their own
    unknown = await stars.find_by_reference(config(fake), "pay-8")
    assert (unknown.state, unknown.provider_ref) == (ProviderState.PENDING, "")


async def test_lookups_page_through_recent_transactions_and_stop_at_a_bound(
    fake: FakeTelegramBotApi, stars: TelegramStars
) -> None:
    charge = fake.pay("old-invoice", 40)
    fake.noise(PAGE + 30)  # the charge is on the second page, newest first
    assert (await stars.find_by_reference(config(fake), "old-invoice")).provider_ref == charge
    offsets = [call["offset"] for call in fake.calls("getStarTransactions")]
    assert offsets == [0, PAGE]
    fake.noise(PAGE * MAX_PAGES)  # now beyond the window a lookup reads
    before = len(fake.calls("getStarTransactions"))
    lost = await stars.find_by_reference(config(fake), "old-invoice")
    assert lost.state is ProviderState.PENDING
    assert len(fake.calls("getStarTransactions")) - before == MAX_PAGES


async def test_webhooks_are_refused_and_the_config_check_is_get_me(
    fake: FakeTelegramBotApi, stars: TelegramStars
) -> None:
    with pytest.raises(ProviderRejected):
        stars.read_webhook(config(fake), {}, b"{}")
    assert stars.reply(False).status == 404
    await stars.check_config(config(fake))
    assert fake.recorded[-1].path == f"/bot{TOKEN}/getMe"


async def test_a_charge_is_refunded_once_and_already_refunded_counts_as_done(
    fake: FakeTelegramBotApi, stars: TelegramStars
) -> None:
    assert isinstance(stars, ChargeRefunds)
    charge = fake.pay("pay-9", 120, user=77)
    await stars.refund_charge(config(fake), "77", charge)
    assert fake.calls("refundStarPayment") == [{"user_id": 77, "telegram_payment_charge_id": charge}]
    assert fake.refunded == [charge]
    await stars.refund_charge(config(fake), "77", charge)  # CHARGE_ALREADY_REFUNDED: done all the same
    assert fake.refunded == [charge]
    assert (await stars.fetch_payment(config(fake), charge)).state is ProviderState.PAID  # a refund is no payment
    paid = await stars.find_by_reference(config(fake), "pay-9")
    assert (paid.provider_ref, paid.paid) == (charge, Received("XTR", 120))

    with pytest.raises(ProviderRejected, match="CHARGE_NOT_FOUND"):
        await stars.refund_charge(config(fake), "77", "no-such-charge")
    with pytest.raises(ProviderRejected, match="USER_ID_INVALID"):
        await stars.refund_charge(config(fake), "78", fake.pay("pay-10", 5, user=77))
    with pytest.raises(ProviderRejected, match="a number"):
        await stars.refund_charge(config(fake), "@buyer", charge)
    fake.misbehaviour.fail_next(503)
    with pytest.raises(ProviderUnavailable) as down:
        await stars.refund_charge(config(fake), "77", charge)
    assert TOKEN not in str(down.value)
    assert len(fake.calls("refundStarPayment")) == 5  # the one with a bad user id never left
