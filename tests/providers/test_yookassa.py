"""The YooKassa adapter against a fake YooKassa: what it sends, how it reads payments and
notifications, and how it fails."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_server.domain.provider_api import (
    Intent,
    Notice,
    ProviderConfig,
    ProviderRejected,
    ProviderState,
    ProviderUnavailable,
    Received,
)
from core_server.providers.registry import payment_adapters
from core_server.providers.yookassa import YooKassaAdapter
from tests.providers.fakes.server import Recorded, adapter_client, serve
from tests.providers.fakes.yookassa import SECRET_KEY, SHOP_ID, FakeYooKassa

REFERENCE = "5f0c7e0e-8d7a-4a43-9d3f-3c1f6f0b2a11"
INTENT = Intent(
    reference=REFERENCE,
    asset="RUB",
    amount=12345,
    scale=2,
    description="Top-up of 123.45 RUB",
    ttl_seconds=3600,
    return_url="https://shop.example/return",
)
READER = YooKassaAdapter(httpx.AsyncClient())  # reading a notification makes no request


@dataclass
class Kassa:
    fake: FakeYooKassa
    config: ProviderConfig
    adapter: YooKassaAdapter

    @property
    def recorded(self) -> list[Recorded]:
        return list(self.fake.recorded)

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)


@pytest.fixture
async def kassa() -> AsyncIterator[Kassa]:
    fake = FakeYooKassa()
    async with serve(fake.app) as url, adapter_client() as client:
        config = ProviderConfig(
            provider="yookassa",
            secrets={"secret_key": SECRET_KEY},
            options={"shop_id": SHOP_ID},
            base_url=f"{url}/v3",
        )
        yield Kassa(fake, config, YooKassaAdapter(client))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- opening a payment ---------------------------------------------------------------------------


async def test_create_payment_sends_the_documented_request(kassa: Kassa) -> None:
    payment = await kassa.adapter.create_payment(kassa.config, INTENT)

    [sent] = kassa.recorded
    assert (sent.method, sent.path) == ("POST", "/v3/payments")
    assert sent.headers["authorization"] == basic(SHOP_ID, SECRET_KEY)
    assert sent.headers["idempotence-key"] == REFERENCE
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.body) == {
        "amount": {"value": "123.45", "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://shop.example/return"},
        "description": "Top-up of 123.45 RUB",
        "metadata": {"reference": REFERENCE},
    }
    assert payment.provider_ref in kassa.fake.payments
    assert payment.reference == REFERENCE
    assert payment.state is ProviderState.PENDING
    assert payment.raw_status == "pending"
    assert payment.paid is None
    assert payment.pay_url == f"https://yoomoney.ru/api-pages/v2/payment-confirm/epl?orderId={payment.provider_ref}"


async def test_live_requests_go_to_the_documented_endpoint() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"account_id": SHOP_ID, "status": "enabled"})

    config = ProviderConfig("yookassa", {"secret_key": SECRET_KEY}, {"shop_id": SHOP_ID})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await YooKassaAdapter(client).check_config(config)
    assert str(seen[0].url) == "https://api.yookassa.ru/v3/me"


async def test_a_retried_create_gets_the_payment_the_first_attempt_opened(kassa: Kassa) -> None:
    first = await kassa.adapter.create_payment(kassa.config, INTENT)
    again = await kassa.adapter.create_payment(kassa.config, INTENT)

    assert again.provider_ref == first.provider_ref
    assert len(kassa.fake.payments) == 1
    assert {r.headers["idempotence-key"] for r in kassa.recorded} == {REFERENCE}


async def test_a_create_whose_answer_was_lost_is_repeated_without_a_second_payment(kassa: Kassa) -> None:
    kassa.fail_next(500)
    with pytest.raises(ProviderUnavailable):
        await kassa.adapter.create_payment(kassa.config, INTENT)
    payment = await kassa.adapter.create_payment(kassa.config, INTENT)

    assert list(kassa.fake.payments) == [payment.provider_ref]


async def test_a_long_description_is_cut_to_yookassas_128_characters(kassa: Kassa) -> None:
    await kassa.adapter.create_payment(kassa.config, replace(INTENT, description="Ж" * 300))

    assert json.loads(kassa.recorded[0].body)["description"] == "Ж" * 128


async def test_the_return_url_option_stands_in_for_an_intent_without_one(kassa: Kassa) -> None:
    config = replace(kassa.config, options={**kassa.config.options, "return_url": "https://shop.example/thanks"})
    await kassa.adapter.create_payment(config, replace(INTENT, return_url=""))

    assert json.loads(kassa.recorded[0].body)["confirmation"]["return_url"] == "https://shop.example/thanks"


async def test_without_any_return_url_nothing_is_sent(kassa: Kassa) -> None:
    with pytest.raises(ProviderRejected, match="return URL"):
        await kassa.adapter.create_payment(kassa.config, replace(INTENT, return_url=""))
    assert kassa.recorded == []


async def test_a_millionth_of_a_usdt_goes_out_exactly(kassa: Kassa) -> None:
    await kassa.adapter.create_payment(kassa.config, replace(INTENT, asset="USDT", amount=1, scale=6))

    assert json.loads(kassa.recorded[0].body)["amount"] == {"value": "0.000001", "currency": "USDT"}


# -- reading a payment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "value", "state", "paid"),
    [
        ("pending", "", "", ProviderState.PENDING, None),
        ("waiting_for_capture", "", "", ProviderState.PENDING, None),
        ("succeeded", "", "", ProviderState.PAID, Received("RUB", 12345)),
        ("succeeded", "", "200.00", ProviderState.PAID, Received("RUB", 20000)),  # overpaid
        ("succeeded", "", "100", ProviderState.PAID, Received("RUB", 10000)),  # underpaid
        ("canceled", "insufficient_funds", "", ProviderState.FAILED, None),
        ("canceled", "3d_secure_failed", "", ProviderState.FAILED, None),
        ("canceled", "canceled_by_merchant", "", ProviderState.FAILED, None),
        ("canceled", "expired_on_confirmation", "", ProviderState.EXPIRED, None),
        ("canceled", "expired_on_capture", "", ProviderState.EXPIRED, None),
    ],
)
async def test_each_status_maps_to_the_hubs_state(
    kassa: Kassa, status: str, reason: str, value: str, state: ProviderState, paid: Received | None
) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fake.settle(opened.provider_ref, status, reason=reason, value=value)

    payment = await kassa.adapter.fetch_payment(kassa.config, opened.provider_ref)

    assert (payment.state, payment.paid, payment.raw_status) == (state, paid, status)
    assert payment.provider_ref == opened.provider_ref
    assert payment.reference == REFERENCE
    assert kassa.recorded[-1].path == f"/v3/payments/{opened.provider_ref}"


async def test_a_payment_waiting_for_capture_says_when_the_hold_ends(kassa: Kassa) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fake.settle(opened.provider_ref, "waiting_for_capture")

    payment = await kassa.adapter.fetch_payment(kassa.config, opened.provider_ref)

    assert payment.expires_at == dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("currency", "value", "paid"),
    [
        ("USDT", "0.000001", Received("USDT", 1)),
        ("RUB", "98765432101234.56", Received("RUB", 9876543210123456)),
        ("BTC", "0.00000001", Received("BTC", 1)),
        ("RUB", "0.01", Received("RUB", 1)),
    ],
)
async def test_paid_amounts_are_read_exactly(kassa: Kassa, currency: str, value: str, paid: Received) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fake.settle(opened.provider_ref, "succeeded", value=value, currency=currency)

    assert (await kassa.adapter.fetch_payment(kassa.config, opened.provider_ref)).paid == paid


@pytest.mark.parametrize(("value", "currency"), [("123.456", "RUB"), ("12,50", "RUB"), ("10.00", "XYZ")])
async def test_a_succeeded_payment_with_an_unreadable_amount_is_refused(
    kassa: Kassa, value: str, currency: str
) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fake.settle(opened.provider_ref, "succeeded", value=value, currency=currency)

    with pytest.raises(ProviderRejected, match="unreadable amount"):
        await kassa.adapter.fetch_payment(kassa.config, opened.provider_ref)


async def test_an_unreadable_amount_on_an_unpaid_payment_is_left_out(kassa: Kassa) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fake.settle(opened.provider_ref, "canceled", value="1.234")

    payment = await kassa.adapter.fetch_payment(kassa.config, opened.provider_ref)

    assert (payment.state, payment.paid) == (ProviderState.FAILED, None)


async def test_an_unknown_payment_is_refused_with_yookassas_reason(kassa: Kassa) -> None:
    with pytest.raises(ProviderRejected, match="404: not_found"):
        await kassa.adapter.fetch_payment(kassa.config, "2ffb1c17-000f-5000-9000-1b36d2d7a2f5")


async def test_a_payment_id_cannot_reach_another_path(kassa: Kassa) -> None:
    with pytest.raises(ProviderRejected):
        await kassa.adapter.fetch_payment(kassa.config, "../me")
    assert [r.path for r in kassa.recorded if r.path.endswith("/me")] != ["/v3/me"]


# -- notifications -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "status"),
    [
        ("payment.succeeded", "succeeded"),
        ("payment.canceled", "canceled"),
        ("payment.waiting_for_capture", "waiting_for_capture"),
    ],
)
async def test_a_payment_notification_names_the_payment_to_fetch(kassa: Kassa, event: str, status: str) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fake.settle(opened.provider_ref, status)

    notice = kassa.adapter.read_webhook(kassa.config, {}, kassa.fake.notification(event, opened.provider_ref))

    assert notice == Notice(provider_ref=opened.provider_ref, reference=REFERENCE, payment=None)


async def test_a_forged_success_notification_credits_nothing(kassa: Kassa) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    forged = kassa.fake.settle(opened.provider_ref, "succeeded") | {}
    kassa.fake.settle(opened.provider_ref, "pending")  # at YooKassa the buyer has not paid
    body = json.dumps({"type": "notification", "event": "payment.succeeded", "object": forged}).encode()

    notice = kassa.adapter.read_webhook(kassa.config, {}, body)
    fetched = await kassa.adapter.fetch_payment(kassa.config, notice.provider_ref)

    assert notice.payment is None  # the body's facts are never taken
    assert (fetched.state, fetched.paid) == (ProviderState.PENDING, None)


async def test_a_notification_of_another_shops_payment_cannot_be_confirmed(kassa: Kassa) -> None:
    body = json.dumps(
        {"type": "notification", "event": "payment.succeeded", "object": {"id": "elsewhere-1", "status": "succeeded"}}
    ).encode()

    notice = kassa.adapter.read_webhook(kassa.config, {}, body)

    with pytest.raises(ProviderRejected, match="not_found"):
        await kassa.adapter.fetch_payment(kassa.config, notice.provider_ref)


@pytest.mark.parametrize(
    "event", ["refund.succeeded", "payout.succeeded", "payout.canceled", "deal.closed", "payment_method.active"]
)
def test_events_about_other_objects_are_ignored(event: str) -> None:
    body = json.dumps({"type": "notification", "event": event, "object": {"id": "rfnd-1", "status": "succeeded"}})

    notice = READER.read_webhook(_config(), {}, body.encode())

    assert notice == Notice(ignored=True)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"type": "notification", "event": "payment.succeeded"}',
        b'{"type": "notification", "event": "payment.succeeded", "object": []}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {"status": "succeeded"}}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {"id": 42}}',
        b'{"type": "webhook", "event": "payment.succeeded", "object": {"id": "a"}}',
        b'{"type": "notification", "event": 7, "object": {"id": "a"}}',
        b"\xff\xfe",
    ],
)
def test_a_body_that_cannot_be_read_is_refused(body: bytes) -> None:
    with pytest.raises(ProviderRejected):
        READER.read_webhook(_config(), {}, body)


@given(st.binary(max_size=300))
def test_no_body_breaks_the_reader(body: bytes) -> None:
    try:
        notice = READER.read_webhook(_config(), {}, body)
    except ProviderRejected:
        return
    assert notice.payment is None


@given(
    obj=st.sampled_from(["payment", "refund", "payout", "deal", "payment_method"]),
    status=st.text(min_size=1, max_size=20),
    payment_id=st.text(min_size=1, max_size=40),
)
def test_only_payment_events_name_a_payment(obj: str, status: str, payment_id: str) -> None:
    body = json.dumps({"type": "notification", "event": f"{obj}.{status}", "object": {"id": payment_id}}).encode()

    notice = READER.read_webhook(_config(), {}, body)

    if obj == "payment":
        assert notice == Notice(provider_ref=payment_id)
    else:
        assert notice == Notice(ignored=True)


def test_only_a_200_stops_redelivery() -> None:
    adapter = READER

    assert (adapter.reply(True).status, adapter.reply(True).body) == (200, b"OK")
    assert adapter.reply(False).status == 400


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [500, 502, 503, "hang", 429, 202])
async def test_an_unknown_outcome_is_unavailable(kassa: Kassa, how: int | str) -> None:
    kassa.fail_next(how)
    with pytest.raises(ProviderUnavailable):
        await kassa.adapter.create_payment(kassa.config, INTENT)


@pytest.mark.parametrize("how", [500, "hang"])
async def test_fetching_during_an_outage_is_unavailable(kassa: Kassa, how: int | str) -> None:
    opened = await kassa.adapter.create_payment(kassa.config, INTENT)
    kassa.fail_next(how)
    with pytest.raises(ProviderUnavailable):
        await kassa.adapter.fetch_payment(kassa.config, opened.provider_ref)


async def test_an_invalid_request_is_refused_with_yookassas_words(kassa: Kassa) -> None:
    with pytest.raises(ProviderRejected, match=r"400: invalid_request .* amount\.currency"):
        await kassa.adapter.create_payment(kassa.config, replace(INTENT, asset="rub"))


async def test_a_4xx_without_json_is_refused(kassa: Kassa) -> None:
    kassa.fail_next(403)
    with pytest.raises(ProviderRejected, match="403"):
        await kassa.adapter.create_payment(kassa.config, INTENT)


async def test_check_config_accepts_the_shops_own_keys(kassa: Kassa) -> None:
    await kassa.adapter.check_config(kassa.config)

    assert kassa.recorded[-1].path == "/v3/me"
    assert kassa.recorded[-1].headers["authorization"] == basic(SHOP_ID, SECRET_KEY)


@pytest.mark.parametrize(
    ("shop_id", "secret_key"), [(SHOP_ID, "test_wrong_key"), ("999999", SECRET_KEY), ("", ""), (SHOP_ID, "")]
)
async def test_check_config_refuses_bad_credentials_without_repeating_them(
    kassa: Kassa, shop_id: str, secret_key: str
) -> None:
    config = replace(kassa.config, secrets={"secret_key": secret_key}, options={"shop_id": shop_id})

    with pytest.raises(ProviderRejected, match="401: invalid_credentials") as refused:
        await kassa.adapter.check_config(config)
    assert SECRET_KEY not in str(refused.value)
    assert "test_wrong_key" not in str(refused.value)


def test_the_registry_finds_the_adapter() -> None:
    adapter = payment_adapters(httpx.AsyncClient())["yookassa"]

    assert isinstance(adapter, YooKassaAdapter)
    assert set(adapter.required_fields) <= set(adapter.secret_fields) | set(adapter.option_fields)


def _config() -> ProviderConfig:
    return ProviderConfig("yookassa", {"secret_key": SECRET_KEY}, {"shop_id": SHOP_ID})
