"""The MulenPay adapter against a fake MulenPay: the signed request it sends, how it reads
payments, how it admits callbacks by the webhook URL secret, and how it fails."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.domain.provider_api import (
    Intent,
    Notice,
    ProviderConfig,
    ProviderRejected,
    ProviderState,
    ProviderUnavailable,
    Received,
    SignatureInvalid,
)
from core_server.providers.mulenpay import URL_SECRET_HEADER, MulenPayAdapter
from core_server.providers.registry import payment_adapters
from tests.providers.fakes.mulenpay import API_KEY, SECRET_KEY, SHOP_ID, FakeMulenPay, expected_sign
from tests.providers.fakes.server import Recorded, adapter_client, serve

REFERENCE = "0b6f3a52-1c8e-4d7a-9a51-6e2f4c3d2b10"
WEBHOOK_SECRET = "whs_Qm9vdGhlcmU5ZmE3"
INTENT = Intent(
    reference=REFERENCE,
    asset="RUB",
    amount=12345,
    scale=2,
    description="Top-up of 123.45 RUB",
    ttl_seconds=3600,
    return_url="https://shop.example/return",
)
SECRETS = {"api_key": API_KEY, "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}
CONFIG = ProviderConfig("mulenpay", SECRETS, {"shop_id": str(SHOP_ID)})
READER = MulenPayAdapter(httpx.AsyncClient())  # reading a callback makes no request
ADMITTED = {URL_SECRET_HEADER: WEBHOOK_SECRET, "content-type": "application/json"}


@dataclass
class Mulen:
    fake: FakeMulenPay
    config: ProviderConfig
    adapter: MulenPayAdapter

    @property
    def recorded(self) -> list[Recorded]:
        return list(self.fake.recorded)

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)

    async def opened(self, intent: Intent = INTENT) -> int:
        return int((await self.adapter.create_payment(self.config, intent)).provider_ref)


@pytest.fixture
async def mulen() -> AsyncIterator[Mulen]:
    fake = FakeMulenPay()
    async with serve(fake.app) as url, adapter_client() as client:
        yield Mulen(fake, replace(CONFIG, base_url=f"{url}/api"), MulenPayAdapter(client))


# -- opening a payment ---------------------------------------------------------------------------


async def test_create_payment_sends_the_documented_signed_request(mulen: Mulen) -> None:
    payment = await mulen.adapter.create_payment(mulen.config, INTENT)

    [sent] = mulen.recorded
    assert (sent.method, sent.path) == ("POST", "/api/v2/payments")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["content-type"] == "application/json"
    body = json.loads(sent.body)
    assert body == {
        "currency": "rub",
        "amount": "123.45",
        "uuid": REFERENCE,
        "shopId": SHOP_ID,
        "description": "Top-up of 123.45 RUB",
        "items": [
            {
                "description": "Top-up of 123.45 RUB",
                "quantity": 1,
                "price": "123.45",
                "vat_code": 0,
                "payment_subject": 4,
                "payment_mode": 4,
            }
        ],
        "sign": hashlib.sha1(f"rub123.45{SHOP_ID}{SECRET_KEY}".encode()).hexdigest(),  # noqa: S324 - theirs
    }
    assert (payment.provider_ref, payment.reference) == ("1", REFERENCE)
    assert (payment.state, payment.paid) == (ProviderState.PENDING, None)
    assert payment.pay_url == "https://mulenpay.ru/payment/widget/1"


async def test_live_requests_go_to_the_documented_server() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": {"balances": []}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await MulenPayAdapter(client).check_config(CONFIG)
    assert str(seen[0].url) == f"https://mulenpay.ru/api/v2/shops/{SHOP_ID}/balances"


async def test_a_kopeck_goes_out_exactly(mulen: Mulen) -> None:
    await mulen.adapter.create_payment(mulen.config, replace(INTENT, amount=1))

    body = json.loads(mulen.recorded[0].body)
    assert (body["amount"], body["items"][0]["price"]) == ("0.01", "0.01")
    assert body["sign"] == expected_sign("rub", "0.01", SHOP_ID, SECRET_KEY)


async def test_an_intent_without_description_still_describes_the_payment(mulen: Mulen) -> None:
    await mulen.adapter.create_payment(mulen.config, replace(INTENT, description=""))

    assert json.loads(mulen.recorded[0].body)["description"] == f"Payment {REFERENCE}"


@given(amount=st.integers(min_value=1, max_value=10**15), secret=st.text(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_every_amount_is_signed_over_what_is_sent(amount: int, secret: str) -> None:
    sent: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"success": True, "paymentUrl": "https://mulenpay.ru/p/1", "id": 1})

    async def create() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            config = replace(CONFIG, secrets={**SECRETS, "secret_key": secret})
            await MulenPayAdapter(client).create_payment(config, replace(INTENT, amount=amount))

    asyncio.run(create())

    [body] = sent
    whole, cents = divmod(amount, 100)
    assert body["amount"] == f"{whole}.{cents:02d}"
    signed = f"rub{body['amount']}{body['shopId']}{secret}"
    assert body["sign"] == hashlib.sha1(signed.encode()).hexdigest()  # noqa: S324 - theirs


async def test_a_wrong_signing_secret_is_refused_by_mulenpay_without_repeating_it(mulen: Mulen) -> None:
    config = replace(mulen.config, secrets={**SECRETS, "secret_key": "sk_wrong_secret"})

    with pytest.raises(ProviderRejected, match="422: invalid sign") as refused:
        await mulen.adapter.create_payment(config, INTENT)
    assert "sk_wrong_secret" not in str(refused.value)
    assert mulen.fake.payments == {}


async def test_a_shop_id_that_is_not_a_number_sends_nothing(mulen: Mulen) -> None:
    with pytest.raises(ProviderRejected, match="shop_id"):
        await mulen.adapter.create_payment(replace(mulen.config, options={"shop_id": "5; drop"}), INTENT)
    assert mulen.recorded == []


# -- reading a payment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "amount", "state", "paid"),
    [
        (0, "", ProviderState.PENDING, None),
        (1, "", ProviderState.PENDING, None),
        (2, "", ProviderState.FAILED, None),
        (3, "", ProviderState.PAID, Received("RUB", 12345)),
        (3, "150.00", ProviderState.PAID, Received("RUB", 15000)),  # overpaid
        (3, "100", ProviderState.PAID, Received("RUB", 10000)),  # underpaid
        (4, "", ProviderState.FAILED, None),
        (5, "", ProviderState.PENDING, None),
        (6, "", ProviderState.PENDING, None),
        ("3", "", ProviderState.PAID, Received("RUB", 12345)),  # a status sent as text
        (9, "", ProviderState.PENDING, None),  # not documented: nothing is credited
    ],
)
async def test_each_status_maps_to_the_hubs_state(
    mulen: Mulen, status: int | str, amount: str, state: ProviderState, paid: Received | None
) -> None:
    payment_id = await mulen.opened()
    mulen.fake.settle(payment_id, status, amount=amount)

    payment = await mulen.adapter.fetch_payment(mulen.config, str(payment_id))

    assert (payment.state, payment.paid, payment.raw_status) == (state, paid, str(status))
    assert (payment.provider_ref, payment.reference) == (str(payment_id), REFERENCE)
    assert payment.expires_at is None
    assert (mulen.recorded[-1].method, mulen.recorded[-1].path) == ("GET", f"/api/v2/payments/{payment_id}")


@pytest.mark.parametrize(
    ("amount", "paid"),
    [("0.01", 1), ("1000.5", 100050), ("98765432101234.56", 9876543210123456), ("7", 700)],
)
async def test_paid_amounts_are_read_exactly(mulen: Mulen, amount: str, paid: int) -> None:
    payment_id = await mulen.opened()
    mulen.fake.settle(payment_id, 3, amount=amount)

    assert (await mulen.adapter.fetch_payment(mulen.config, str(payment_id))).paid == Received("RUB", paid)


async def test_a_paid_amount_sent_as_a_json_number_is_read_without_floats() -> None:
    answer = b'{"success": true, "payment": {"id": 8, "uuid": "u", "amount": 0.1, "currency": "rub", "status": 3}}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))
    async with httpx.AsyncClient(transport=transport) as client:
        payment = await MulenPayAdapter(client).fetch_payment(CONFIG, "8")

    assert payment.paid == Received("RUB", 10)


@pytest.mark.parametrize(("amount", "currency"), [("1.001", "rub"), ("12,50", "rub"), ("10.00", "xyz")])
async def test_a_processed_payment_with_an_unreadable_amount_is_refused(
    mulen: Mulen, amount: str, currency: str
) -> None:
    payment_id = await mulen.opened()
    mulen.fake.settle(payment_id, 3, amount=amount, currency=currency)

    with pytest.raises(ProviderRejected, match="unreadable amount"):
        await mulen.adapter.fetch_payment(mulen.config, str(payment_id))


async def test_an_unreadable_amount_on_a_failed_payment_is_left_out(mulen: Mulen) -> None:
    payment_id = await mulen.opened()
    mulen.fake.settle(payment_id, 4, amount="1.001")

    payment = await mulen.adapter.fetch_payment(mulen.config, str(payment_id))

    assert (payment.state, payment.paid) == (ProviderState.FAILED, None)


@pytest.mark.parametrize("provider_ref", ["", "abc", "1/../../shops/5/balances", "-1", "١٢"])
async def test_an_id_that_is_not_a_number_sends_nothing(mulen: Mulen, provider_ref: str) -> None:
    with pytest.raises(ProviderRejected, match="numbers"):
        await mulen.adapter.fetch_payment(mulen.config, provider_ref)
    assert mulen.recorded == []


async def test_an_unknown_payment_is_refused(mulen: Mulen) -> None:
    with pytest.raises(ProviderRejected, match="404: not found"):
        await mulen.adapter.fetch_payment(mulen.config, "77")


# -- callbacks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("payment_status", ["success", "cancel"])
async def test_a_callback_with_the_url_secret_names_the_payment_to_fetch(mulen: Mulen, payment_status: str) -> None:
    payment_id = await mulen.opened()

    notice = mulen.adapter.read_webhook(mulen.config, ADMITTED, mulen.fake.callback(payment_id, payment_status))

    assert notice == Notice(provider_ref=str(payment_id), reference=REFERENCE, payment=None)


async def test_a_tampered_callback_credits_nothing(mulen: Mulen) -> None:
    payment_id = await mulen.opened()
    body = mulen.fake.callback(payment_id, "success", amount="999999.00")  # at MulenPay: still unpaid

    notice = mulen.adapter.read_webhook(mulen.config, ADMITTED, body)
    fetched = await mulen.adapter.fetch_payment(mulen.config, notice.provider_ref)

    assert notice.payment is None
    assert (fetched.state, fetched.paid) == (ProviderState.PENDING, None)


async def test_a_callback_with_an_undocumented_status_is_still_checked_not_ignored(mulen: Mulen) -> None:
    payment_id = await mulen.opened()
    mulen.fake.settle(payment_id, 3)

    notice = mulen.adapter.read_webhook(mulen.config, ADMITTED, mulen.fake.callback(payment_id, "hold"))

    assert (notice.ignored, notice.provider_ref) == (False, str(payment_id))
    assert (await mulen.adapter.fetch_payment(mulen.config, notice.provider_ref)).state is ProviderState.PAID


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {URL_SECRET_HEADER: ""},
        {URL_SECRET_HEADER: "whs_wrong"},
        {URL_SECRET_HEADER: WEBHOOK_SECRET + " "},
        {URL_SECRET_HEADER: WEBHOOK_SECRET[:-1]},
        {URL_SECRET_HEADER.upper(): WEBHOOK_SECRET},  # the gateway lower-cases header names
        {"authorization": f"Bearer {WEBHOOK_SECRET}"},
    ],
)
def test_a_callback_without_the_url_secret_is_refused(headers: dict[str, str]) -> None:
    body = b'{"id": 1, "amount": 123.45, "currency": "rub", "uuid": "u", "payment_status": "success"}'

    with pytest.raises(SignatureInvalid):
        READER.read_webhook(CONFIG, headers, body)


def test_without_a_configured_secret_no_callback_passes() -> None:
    config = replace(CONFIG, secrets={**SECRETS, "webhook_secret": ""})

    with pytest.raises(SignatureInvalid):
        READER.read_webhook(config, {URL_SECRET_HEADER: ""}, b'{"id": 1}')


def test_the_secret_is_checked_before_the_body_is_read() -> None:
    with pytest.raises(SignatureInvalid):
        READER.read_webhook(CONFIG, {URL_SECRET_HEADER: "nope"}, b"not json")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1]",
        b'{"uuid": "u", "payment_status": "success"}',
        b'{"id": "abc", "payment_status": "success"}',
        b'{"id": true, "payment_status": "success"}',
        b'{"id": -4, "payment_status": "success"}',
        b'{"id": 1.5, "payment_status": "success"}',
        b"\xff\xfe",
    ],
)
def test_an_admitted_body_that_cannot_be_read_is_refused(body: bytes) -> None:
    with pytest.raises(ProviderRejected):
        READER.read_webhook(CONFIG, ADMITTED, body)


@given(configured=st.text(min_size=1, max_size=40), given_secret=st.text(max_size=40))
def test_only_the_exact_url_secret_admits_a_callback(configured: str, given_secret: str) -> None:
    config = replace(CONFIG, secrets={**SECRETS, "webhook_secret": configured})
    body = b'{"id": 3, "uuid": "u", "payment_status": "success"}'

    if given_secret == configured:
        assert READER.read_webhook(config, {URL_SECRET_HEADER: given_secret}, body).provider_ref == "3"
    else:
        with pytest.raises(SignatureInvalid):
            READER.read_webhook(config, {URL_SECRET_HEADER: given_secret}, body)


@given(st.binary(max_size=300))
def test_no_admitted_body_breaks_the_reader(body: bytes) -> None:
    try:
        notice = READER.read_webhook(CONFIG, ADMITTED, body)
    except ProviderRejected:
        return
    assert notice.payment is None
    assert notice.provider_ref.isdigit()


def test_replies() -> None:
    assert (READER.reply(True).status, READER.reply(True).body) == (200, b"OK")
    assert READER.reply(False).status == 401


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [500, 502, 503, "hang", 429])
async def test_an_unknown_outcome_is_unavailable(mulen: Mulen, how: int | str) -> None:
    mulen.fail_next(how)
    with pytest.raises(ProviderUnavailable):
        await mulen.adapter.create_payment(mulen.config, INTENT)


@pytest.mark.parametrize("how", [500, "hang"])
async def test_fetching_during_an_outage_is_unavailable(mulen: Mulen, how: int | str) -> None:
    payment_id = await mulen.opened()
    mulen.fail_next(how)
    with pytest.raises(ProviderUnavailable):
        await mulen.adapter.fetch_payment(mulen.config, str(payment_id))


async def test_a_wrong_api_key_is_refused(mulen: Mulen) -> None:
    config = replace(mulen.config, secrets={**SECRETS, "api_key": "mp_wrong_key"})

    with pytest.raises(ProviderRejected, match="401: unauthorized") as refused:
        await mulen.adapter.create_payment(config, INTENT)
    assert "mp_wrong_key" not in str(refused.value)


async def test_a_validation_error_is_refused_with_mulenpays_words(mulen: Mulen) -> None:
    with pytest.raises(ProviderRejected, match="422: The selected currency is invalid"):
        await mulen.adapter.create_payment(mulen.config, replace(INTENT, asset="USD"))


async def test_a_4xx_without_json_is_refused(mulen: Mulen) -> None:
    mulen.fail_next(400)
    with pytest.raises(ProviderRejected, match="400"):
        await mulen.adapter.create_payment(mulen.config, INTENT)


async def test_an_answer_that_says_it_failed_is_refused() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"success": False, "message": "Ошибка"}))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(ProviderRejected, match="Ошибка"):
            await MulenPayAdapter(client).fetch_payment(CONFIG, "1")


async def test_check_config_accepts_the_shops_own_key(mulen: Mulen) -> None:
    await mulen.adapter.check_config(mulen.config)

    assert mulen.recorded[-1].path == f"/api/v2/shops/{SHOP_ID}/balances"
    assert mulen.recorded[-1].headers["authorization"] == f"Bearer {API_KEY}"


async def test_check_config_refuses_a_wrong_key(mulen: Mulen) -> None:
    config = replace(mulen.config, secrets={**SECRETS, "api_key": "mp_wrong_key"})

    with pytest.raises(ProviderRejected, match="401") as refused:
        await mulen.adapter.check_config(config)
    assert "mp_wrong_key" not in str(refused.value)


async def test_check_config_refuses_another_shop(mulen: Mulen) -> None:
    with pytest.raises(ProviderRejected, match="403: Магазин не найден"):
        await mulen.adapter.check_config(replace(mulen.config, options={"shop_id": "6"}))


async def test_check_config_refuses_a_shop_id_that_is_not_a_number(mulen: Mulen) -> None:
    with pytest.raises(ProviderRejected, match="shop_id"):
        await mulen.adapter.check_config(replace(mulen.config, options={"shop_id": ""}))
    assert mulen.recorded == []


def test_the_registry_finds_the_adapter() -> None:
    adapter = payment_adapters(httpx.AsyncClient())["mulenpay"]

    assert isinstance(adapter, MulenPayAdapter)
    assert set(adapter.required_fields) <= set(adapter.secret_fields) | set(adapter.option_fields)
