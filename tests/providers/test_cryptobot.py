"""The CryptoBot adapter against a fake Crypto Pay API: what it sends, how it reads invoices in
every documented status, how it verifies webhooks on the raw bytes, and how failures surface."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_server.domain.provider_api import (
    Intent,
    Notice,
    ProviderConfig,
    ProviderError,
    ProviderRejected,
    ProviderState,
    ProviderUnavailable,
    Received,
    SignatureInvalid,
)
from core_server.providers.cryptobot import CryptoBotAdapter
from core_server.providers.registry import payment_adapters
from tests.providers.fakes.cryptobot import TOKEN, FakeCryptoBot, sign
from tests.providers.fakes.server import adapter_client, serve

REFERENCE = "0b7f3c52-4d0e-4a8e-9c57-2f1f8f3a9d10"
# For what needs no HTTP (webhooks, replies): a client that would answer 599 if it were ever used.
OFFLINE = CryptoBotAdapter(httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(599))))


@pytest.fixture
async def fake() -> AsyncIterator[FakeCryptoBot]:
    bot = FakeCryptoBot()
    async with serve(bot.app) as url:
        bot.base_url = f"{url}/api"
        yield bot


@pytest.fixture
async def adapter() -> AsyncIterator[CryptoBotAdapter]:
    async with adapter_client() as client:
        yield CryptoBotAdapter(client)


def config_of(fake: FakeCryptoBot, *, token: str = TOKEN, **options: str) -> ProviderConfig:
    return ProviderConfig(provider="cryptobot", secrets={"api_token": token}, options=options, base_url=fake.base_url)


def intent(asset: str = "USDT", amount: int = 12_500_000, scale: int = 6, **more: object) -> Intent:
    fields: dict[str, object] = {
        "reference": REFERENCE,
        "asset": asset,
        "amount": amount,
        "scale": scale,
        "description": "Top-up 12.5 USDT",
        "ttl_seconds": 900,
    }
    fields.update(more)
    return Intent(**fields)  # type: ignore[arg-type]


async def opened(fake: FakeCryptoBot, adapter: CryptoBotAdapter, **kwargs: object) -> int:
    payment = await adapter.create_payment(config_of(fake), intent(**kwargs))  # type: ignore[arg-type]
    return int(payment.provider_ref)


# --- create_payment ---


async def test_create_payment_sends_a_crypto_invoice_with_our_reference(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    payment = await adapter.create_payment(config_of(fake), intent(return_url="https://shop.example/done"))

    sent = fake.recorded[-1]
    assert (sent.method, sent.path) == ("POST", "/api/createInvoice")
    assert sent.headers["crypto-pay-api-token"] == TOKEN
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.body) == {
        "currency_type": "crypto",
        "asset": "USDT",
        "amount": "12.500000",
        "payload": REFERENCE,
        "description": "Top-up 12.5 USDT",
        "expires_in": 900,
        "paid_btn_name": "callback",
        "paid_btn_url": "https://shop.example/done",
    }
    invoice = fake.invoices[int(payment.provider_ref)]
    assert payment.state is ProviderState.PENDING
    assert payment.raw_status == "active"
    assert payment.reference == REFERENCE
    assert payment.pay_url == invoice["bot_invoice_url"]
    assert payment.paid is None
    assert payment.expires_at is not None
    assert dt.timedelta(seconds=890) < payment.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=900)


async def test_a_fiat_asset_becomes_a_fiat_invoice(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    await adapter.create_payment(config_of(fake), intent(asset="RUB", amount=11_500, scale=2))

    body = json.loads(fake.recorded[-1].body)
    assert (body["currency_type"], body["fiat"], body["amount"]) == ("fiat", "RUB", "115.00")
    assert "asset" not in body


async def test_limits_are_kept_within_what_the_api_accepts(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    await adapter.create_payment(
        config_of(fake),
        intent(description="x" * 2000, ttl_seconds=90 * 86_400, return_url="tg://resolve?domain=shop"),
    )

    body = json.loads(fake.recorded[-1].body)
    assert len(body["description"]) == 1024
    assert body["expires_in"] == 2_678_400
    assert "paid_btn_name" not in body and "paid_btn_url" not in body


async def test_smallest_usdt_amount_goes_out_and_comes_back_exact(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    payment = await adapter.create_payment(config_of(fake), intent(amount=1))
    assert json.loads(fake.recorded[-1].body)["amount"] == "0.000001"

    fake.pay(int(payment.provider_ref))
    fetched = await adapter.fetch_payment(config_of(fake), payment.provider_ref)

    assert fetched.paid == Received("USDT", 1)


async def test_a_refused_invoice_is_rejected_with_the_provider_error_name(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    with pytest.raises(ProviderRejected, match="ASSET_INVALID"):
        await adapter.create_payment(config_of(fake), intent(asset="XTR", amount=100, scale=0))


# --- fetch_payment: every documented status ---


async def test_an_active_invoice_is_pending(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    sent = fake.recorded[-1]
    assert (sent.method, sent.path) == ("GET", "/api/getInvoices")
    assert sent.headers["crypto-pay-api-token"] == TOKEN
    assert payment.provider_ref == str(invoice_id)
    assert (payment.state, payment.paid, payment.raw_status) == (ProviderState.PENDING, None, "active")
    assert payment.reference == REFERENCE


async def test_a_paid_crypto_invoice_reports_its_amount(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.pay(invoice_id)

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    assert payment.state is ProviderState.PAID
    assert payment.raw_status == "paid"
    assert payment.paid == Received("USDT", 12_500_000)
    assert payment.reference == REFERENCE


@pytest.mark.parametrize(
    ("paid_amount", "minor"),
    [("13", 13_000_000), ("12.4", 12_400_000)],
    ids=["overpaid", "underpaid"],
)
async def test_paid_amount_when_given_is_what_arrived(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter, paid_amount: str, minor: int
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.pay(invoice_id, paid_asset="USDT", paid_amount=paid_amount)

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    assert payment.paid == Received("USDT", minor)


async def test_a_paid_fiat_invoice_reports_the_fiat_it_settled(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter, asset="RUB", amount=11_500, scale=2)
    fake.pay(invoice_id)  # the buyer sent 1.44 USDT at 80 RUB

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    assert payment.paid == Received("RUB", 11_500)


async def test_an_expired_invoice_is_expired_with_nothing_received(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.expire(invoice_id)

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    assert (payment.state, payment.paid, payment.raw_status) == (ProviderState.EXPIRED, None, "expired")


async def test_an_undocumented_status_keeps_waiting(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    # CryptoBot has no failed status; anything it may add later must neither credit nor close the payment.
    invoice_id = await opened(fake, adapter)
    fake.edit(invoice_id, status="refunded")

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    assert (payment.state, payment.paid, payment.raw_status) == (ProviderState.PENDING, None, "refunded")


async def test_a_paid_amount_finer_than_the_scale_is_rejected(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.pay(invoice_id, amount="12.5000001")

    with pytest.raises(ProviderRejected, match="unreadable amount"):
        await adapter.fetch_payment(config_of(fake), str(invoice_id))


async def test_an_unreadable_amount_on_a_pending_invoice_is_not_an_error(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.edit(invoice_id, amount="twelve")

    payment = await adapter.fetch_payment(config_of(fake), str(invoice_id))

    assert (payment.state, payment.paid) == (ProviderState.PENDING, None)


async def test_an_asset_is_read_with_the_scale_the_tenant_declared(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    invoice_id = await opened(fake, adapter, asset="ETH", amount=25, scale=3)
    fake.pay(invoice_id)

    with pytest.raises(ProviderRejected, match="scale is unknown"):
        await adapter.fetch_payment(config_of(fake), str(invoice_id))
    declared = replace(config_of(fake), scales={**config_of(fake).scales, "ETH": 9})
    payment = await adapter.fetch_payment(declared, str(invoice_id))

    assert payment.paid == Received("ETH", 25_000_000)


async def test_an_unknown_invoice_is_rejected(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    with pytest.raises(ProviderRejected, match="not found"):
        await adapter.fetch_payment(config_of(fake), "999999")


async def test_a_provider_ref_that_is_not_an_invoice_id_is_rejected_without_a_call(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    with pytest.raises(ProviderRejected, match="not a CryptoBot invoice id"):
        await adapter.fetch_payment(config_of(fake), "12,13")
    assert fake.recorded == []


# --- read_webhook ---


async def test_a_signed_paid_update_is_trusted(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter, description="Пополнение баланса")
    fake.pay(invoice_id)
    headers, body = fake.webhook(invoice_id)

    notice = adapter.read_webhook(config_of(fake), headers, body)

    assert notice.provider_ref == str(invoice_id)
    assert notice.reference == REFERENCE
    assert not notice.ignored
    assert notice.payment is not None
    assert notice.payment.state is ProviderState.PAID
    assert notice.payment.paid == Received("USDT", 12_500_000)


async def test_the_signature_is_checked_on_the_raw_bytes_not_a_reserialisation(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    invoice_id = await opened(fake, adapter, description="Пополнение баланса")
    fake.pay(invoice_id)
    headers, body = fake.webhook(invoice_id)
    compact = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert compact != body

    resigned = {**headers, "crypto-pay-api-signature": sign(TOKEN, compact)}
    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake), resigned, body)
    assert adapter.read_webhook(config_of(fake), headers, body).payment is not None


async def test_a_signature_made_with_another_token_is_refused(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.pay(invoice_id)
    headers, body = fake.webhook(invoice_id, token="12345:AAHsomebodyElsesToken")

    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake), headers, body)


async def test_a_tampered_body_is_refused(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.pay(invoice_id)
    headers, body = fake.webhook(invoice_id)
    tampered = body.replace(b'"amount": "12.500000"', b'"amount": "99.500000"')
    assert tampered != body

    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake), headers, tampered)


async def test_a_missing_signature_header_is_refused(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.pay(invoice_id)
    _, body = fake.webhook(invoice_id)

    with pytest.raises(SignatureInvalid, match="without"):
        adapter.read_webhook(config_of(fake), {"content-type": "application/json"}, body)


def test_a_tenant_without_a_token_cannot_verify_anything() -> None:
    body = b'{"update_type": "invoice_paid"}'
    config = ProviderConfig(provider="cryptobot", secrets={}, options={})

    with pytest.raises(SignatureInvalid):
        OFFLINE.read_webhook(config, {"crypto-pay-api-signature": sign("", body)}, body)


@pytest.mark.parametrize("body", [b"not json at all", b"\xff\xfe{", b"[1, 2, 3]", b'{"update_type": "invoice_paid"}'])
def test_a_signed_body_that_cannot_be_read_is_rejected(body: bytes) -> None:
    config = ProviderConfig(provider="cryptobot", secrets={"api_token": TOKEN}, options={})

    with pytest.raises(ProviderRejected):
        OFFLINE.read_webhook(config, {"crypto-pay-api-signature": sign(TOKEN, body)}, body)


async def test_update_types_other_than_invoice_paid_are_ignored(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    headers, body = fake.webhook(invoice_id, update_type="invoice_created")

    assert adapter.read_webhook(config_of(fake), headers, body) == Notice(ignored=True)


def test_replies_are_ok_for_accepted_and_401_for_refused() -> None:
    adapter = OFFLINE

    assert (adapter.reply(True).status, adapter.reply(True).body) == (200, b"OK")
    assert adapter.reply(False).status == 401


_TOKENS = st.text(min_size=1, max_size=60)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(token=_TOKENS, body=st.binary(max_size=512))
def test_any_body_signed_with_the_token_verifies(token: str, body: bytes) -> None:
    config = ProviderConfig(provider="cryptobot", secrets={"api_token": token}, options={})
    with contextlib.suppress(ProviderRejected):  # verified, then unreadable: the signature was accepted
        OFFLINE.read_webhook(config, {"crypto-pay-api-signature": sign(token, body)}, body)


@settings(max_examples=200)
@given(token=_TOKENS, body=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_changed_byte_breaks_the_signature(token: str, body: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]
    config = ProviderConfig(provider="cryptobot", secrets={"api_token": token}, options={})

    with pytest.raises(SignatureInvalid):
        OFFLINE.read_webhook(config, {"crypto-pay-api-signature": sign(token, body)}, changed)


@settings(max_examples=200)
@given(minor=st.integers(0, 10**15), scale=st.sampled_from([("USDT", 6), ("TON", 9), ("BTC", 8), ("RUB", 2)]))
def test_paid_webhook_amounts_are_read_exactly(minor: int, scale: tuple[str, int]) -> None:
    asset, places = scale
    invoice = {"invoice_id": 7, "status": "paid", "currency_type": "crypto", "asset": asset, "payload": REFERENCE}
    invoice["amount"] = format(Decimal(minor).scaleb(-places), "f")
    body = json.dumps({"update_id": 1, "update_type": "invoice_paid", "payload": invoice}).encode()
    config = ProviderConfig(provider="cryptobot", secrets={"api_token": TOKEN}, options={})

    notice = OFFLINE.read_webhook(config, {"crypto-pay-api-signature": sign(TOKEN, body)}, body)

    assert notice.payment is not None and notice.payment.paid == Received(asset, minor)


def test_a_json_number_amount_never_passes_through_a_float() -> None:
    # 19 significant digits: as a float this would come back as 12345678901.123457
    body = b'{"update_type":"invoice_paid","payload":{"invoice_id":9,"status":"paid","asset":"BTC","amount":12345678901.12345678}}'
    config = ProviderConfig(provider="cryptobot", secrets={"api_token": TOKEN}, options={})

    notice = OFFLINE.read_webhook(config, {"crypto-pay-api-signature": sign(TOKEN, body)}, body)

    assert notice.payment is not None and notice.payment.paid == Received("BTC", 1_234_567_890_112_345_678)


# --- failures of the provider ---


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_unavailable(fake: FakeCryptoBot, adapter: CryptoBotAdapter, status: int) -> None:
    fake.misbehaviour.fail_next(status)

    with pytest.raises(ProviderUnavailable):
        await adapter.create_payment(config_of(fake), intent())


async def test_a_hang_is_unavailable(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    fake.misbehaviour.fail_next("hang")

    with pytest.raises(ProviderUnavailable, match="timed out"):
        await adapter.fetch_payment(config_of(fake), "40001")


async def test_rate_limiting_is_unavailable_not_a_refusal(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    fake.misbehaviour.fail_next(429)

    with pytest.raises(ProviderUnavailable, match="429"):
        await adapter.create_payment(config_of(fake), intent())


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_4xx_is_rejected(fake: FakeCryptoBot, adapter: CryptoBotAdapter, status: int) -> None:
    fake.misbehaviour.fail_next(status)  # a plain-text body, as a proxy would answer

    with pytest.raises(ProviderRejected, match=str(status)):
        await adapter.create_payment(config_of(fake), intent())


async def test_a_bad_parameter_is_rejected(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    with pytest.raises(ProviderRejected, match="AMOUNT_INVALID"):
        await adapter.create_payment(config_of(fake), intent(amount=0))


# --- check_config, and secrets staying out of errors ---


async def test_check_config_accepts_the_right_token(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    await adapter.check_config(config_of(fake))

    sent = fake.recorded[-1]
    assert (sent.method, sent.path, sent.headers["crypto-pay-api-token"]) == ("GET", "/api/getMe", TOKEN)


async def test_check_config_refuses_a_wrong_token_without_repeating_it(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter
) -> None:
    wrong = "12345:AAHwrongTokenThatMustNotLeak"

    with pytest.raises(ProviderRejected, match="UNAUTHORIZED") as refused:
        await adapter.check_config(config_of(fake, token=wrong))

    assert wrong not in str(refused.value)
    assert "AAHwrong" not in repr(refused.value)


@pytest.mark.parametrize("token", ["", "12345:AAH token", "12345:AAHтокен"])
async def test_check_config_refuses_a_missing_or_malformed_token_before_calling(
    fake: FakeCryptoBot, adapter: CryptoBotAdapter, token: str
) -> None:
    with pytest.raises(ProviderRejected, match="api_token") as refused:
        await adapter.check_config(config_of(fake, token=token))

    assert fake.recorded == []
    assert not token or token not in str(refused.value)


async def test_no_error_carries_the_token(fake: FakeCryptoBot, adapter: CryptoBotAdapter) -> None:
    errors: list[ProviderError] = []
    for how in (500, "hang", 400, 429):
        fake.misbehaviour.fail_next(how)
        try:
            await adapter.create_payment(config_of(fake), intent())
        except ProviderError as error:
            errors.append(error)
    try:
        adapter.read_webhook(config_of(fake), {"crypto-pay-api-signature": "00"}, b"{}")
    except ProviderError as error:
        errors.append(error)

    assert len(errors) == 5
    assert all(TOKEN not in str(error) and TOKEN not in repr(error.args) for error in errors)


# --- where it connects, and how the hub finds it ---


@pytest.mark.parametrize(
    ("test_mode", "expected"),
    [(False, "https://pay.crypt.bot/api/getMe"), (True, "https://testnet-pay.crypt.bot/api/getMe")],
)
async def test_mainnet_by_default_and_testnet_in_test_mode(test_mode: bool, expected: str) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"ok": True, "result": {"app_id": 1}})

    config = ProviderConfig(provider="cryptobot", secrets={"api_token": TOKEN}, options={}, test_mode=test_mode)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await CryptoBotAdapter(client).check_config(config)

    assert seen == [expected]


async def test_the_registry_finds_the_adapter() -> None:
    async with httpx.AsyncClient() as client:
        adapter = payment_adapters(client)["cryptobot"]

    assert isinstance(adapter, CryptoBotAdapter)
    assert (adapter.secret_fields, adapter.required_fields) == (("api_token",), ("api_token",))
    assert adapter.option_fields == ()
