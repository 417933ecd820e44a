"""The BTCPay Server adapter against a fake Greenfield API: what it sends, how it reads each
invoice status and the amount received, how it verifies and reads webhooks, and how failures of
the instance reach the domain."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_server.domain.provider_api import (
    Intent,
    ProviderConfig,
    ProviderRejected,
    ProviderState,
    ProviderUnavailable,
    Received,
    SignatureInvalid,
)
from core_server.providers.btcpay import BTCPayAdapter
from core_server.providers.registry import payment_adapters
from tests.providers.fakes.btcpay import FakeBTCPay, sign
from tests.providers.fakes.server import Recorded, adapter_client, serve

REFERENCE = "5f0c9a52-7f53-4f4e-9a3e-0b8f2a1c6d11"


async def served(server: FakeBTCPay) -> AsyncIterator[FakeBTCPay]:
    async with serve(server.app) as url:
        server.url = url
        yield server
        # A "hang" misbehaviour sleeps an hour inside its handler, and aiohttp's cleanup waits 60 s
        # for running handlers before cancelling them; cancel this test's requests now instead.
        for task in asyncio.all_tasks():
            if getattr(task.get_coro(), "__qualname__", "") == "RequestHandler._handle_request":
                task.cancel()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBTCPay]:
    async for server in served(FakeBTCPay()):
        yield server


@pytest.fixture
async def adapter() -> AsyncIterator[BTCPayAdapter]:
    async with adapter_client() as client:
        yield BTCPayAdapter(client)


def config_of(fake: FakeBTCPay, **changes: Any) -> ProviderConfig:
    secrets = {"api_key": fake.api_key, "webhook_secret": fake.webhook_secret}
    options = {"store_id": fake.store_id}
    secrets.update({k: v for k, v in changes.items() if k in secrets})
    options.update({k: v for k, v in changes.items() if k == "store_id"})
    return ProviderConfig("btcpay", secrets, options, base_url=changes.get("base_url", fake.url))


def intent(amount: int = 12345, asset: str = "USD", scale: int = 2, **changes: Any) -> Intent:
    fields: dict[str, Any] = {
        "reference": REFERENCE,
        "asset": asset,
        "amount": amount,
        "scale": scale,
        "description": "100 tokens",
        "ttl_seconds": 900,
        "return_url": "https://shop.example/return",
    }
    return Intent(**(fields | changes))


def recorded(fake: FakeBTCPay) -> list[Recorded]:
    return fake.recorded


async def opened(fake: FakeBTCPay, adapter: BTCPayAdapter, **intent_changes: Any) -> str:
    return (await adapter.create_payment(config_of(fake), intent(**intent_changes))).provider_ref


# --- create_payment --------------------------------------------------------------------------------


async def test_create_sends_the_documented_invoice_request(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    before = int(time.time())
    payment = await adapter.create_payment(config_of(fake), intent())

    [request] = recorded(fake)
    assert (request.method, request.path) == ("POST", f"/api/v1/stores/{fake.store_id}/invoices")
    assert request.headers["authorization"] == f"token {fake.api_key}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "amount": "123.45",
        "currency": "USD",
        "metadata": {"orderId": REFERENCE, "itemDesc": "100 tokens"},
        "checkout": {"expirationMinutes": 15, "redirectURL": "https://shop.example/return"},
    }
    assert payment.provider_ref in fake.invoices
    assert payment.reference == REFERENCE
    assert payment.state is ProviderState.PENDING
    assert payment.paid is None
    assert payment.pay_url == f"{fake.url}/i/{payment.provider_ref}"
    assert payment.raw_status == "New"
    assert payment.expires_at is not None
    assert payment.expires_at.tzinfo is dt.UTC
    assert before + 900 <= payment.expires_at.timestamp() <= time.time() + 900


async def test_create_without_return_url_or_description_sends_neither(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    await adapter.create_payment(config_of(fake), intent(return_url="", description=""))

    body = json.loads(recorded(fake)[0].body)
    assert body["metadata"] == {"orderId": REFERENCE}
    assert body["checkout"] == {"expirationMinutes": 15}


@pytest.mark.parametrize(("ttl", "minutes"), [(30, 1), (90, 1), (600, 10), (3599, 59), (86400, 1440)])
async def test_expiration_is_whole_minutes_never_past_the_hubs_ttl(
    fake: FakeBTCPay, adapter: BTCPayAdapter, ttl: int, minutes: int
) -> None:
    await adapter.create_payment(config_of(fake), intent(ttl_seconds=ttl))

    assert json.loads(recorded(fake)[0].body)["checkout"]["expirationMinutes"] == minutes


@pytest.mark.parametrize(
    ("amount", "asset", "scale", "text"),
    [(1, "USDT", 6, "0.000001"), (1, "BTC", 8, "0.00000001"), (123456789012345, "BTC", 8, "1234567.89012345"),
     (5, "XTR", 0, "5"), (1000000000, "TON", 9, "1.000000000"), (10, "RUB", 2, "0.10")],
)  # fmt: skip
async def test_amounts_go_out_as_exact_decimal_strings(
    fake: FakeBTCPay, adapter: BTCPayAdapter, amount: int, asset: str, scale: int, text: str
) -> None:
    await adapter.create_payment(config_of(fake), intent(amount=amount, asset=asset, scale=scale))

    assert json.loads(recorded(fake)[0].body)["amount"] == text
    assert '"amount":"' + text + '"' in recorded(fake)[0].body.decode()


async def test_a_self_hosted_provider_needs_its_base_url(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    with pytest.raises(ProviderRejected, match="base_url"):
        await adapter.create_payment(config_of(fake, base_url=""), intent())
    with pytest.raises(ProviderRejected, match="base_url"):
        await adapter.fetch_payment(config_of(fake, base_url=""), "anything")
    with pytest.raises(ProviderRejected, match="base_url"):
        await adapter.check_config(config_of(fake, base_url=""))
    assert recorded(fake) == []


async def test_a_validation_refusal_carries_btcpays_words(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    with pytest.raises(ProviderRejected, match="amount: The amount should be 0 or more") as refused:
        await adapter.create_payment(config_of(fake), intent(amount=-1))

    assert "400" in str(refused.value)


# --- fetch_payment: every status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "additional", "state", "raw"),
    [
        ("New", "None", ProviderState.PENDING, "New"),
        ("New", "PaidPartial", ProviderState.PENDING, "New (PaidPartial)"),
        ("Processing", "None", ProviderState.PENDING, "Processing"),
        ("Processing", "PaidOver", ProviderState.PENDING, "Processing (PaidOver)"),
        ("Expired", "None", ProviderState.EXPIRED, "Expired"),
        ("Invalid", "None", ProviderState.FAILED, "Invalid"),
        ("Invalid", "Marked", ProviderState.FAILED, "Invalid (Marked)"),
        ("Invalid", "PaidOver", ProviderState.FAILED, "Invalid (PaidOver)"),
    ],
)
async def test_statuses_without_money_to_credit(
    fake: FakeBTCPay, adapter: BTCPayAdapter, status: str, additional: str, state: ProviderState, raw: str
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.set_status(invoice_id, status, additional, paid="50.00" if additional != "None" else None)

    payment = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert (payment.state, payment.paid, payment.raw_status) == (state, None, raw)
    assert (payment.provider_ref, payment.reference) == (invoice_id, REFERENCE)
    last = recorded(fake)[-1]
    assert (last.method, last.path) == ("GET", f"/api/v1/stores/{fake.store_id}/invoices/{invoice_id}")
    assert last.headers["authorization"] == f"token {fake.api_key}"


async def test_settled_in_full_is_paid_the_invoice_amount(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.add_payment(invoice_id, "0.00191714", currency="BTC", rate="64392.23")  # 123.450...1 USD: dust
    fake.set_status(invoice_id, "Settled", paid="123.45")

    payment = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert (payment.state, payment.paid, payment.raw_status) == (ProviderState.PAID, Received("USD", 12345), "Settled")
    assert all(not r.path.endswith("/payment-methods") for r in recorded(fake))


async def test_overpaid_is_paid_the_confirmed_net_in_the_invoice_currency(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    # 0.002 BTC less a 0.00001 network fee at 64392.23 USD/BTC = 128.1405377 USD ...
    fake.add_payment(invoice_id, "0.002", fee="0.00001", currency="BTC", rate="64392.23")
    # ... plus 0.00007765 BTC over lightning = 5.0000566... USD; an unconfirmed payment does not count
    fake.add_payment(invoice_id, "0.00007765", currency="BTC", rate="64392.23", method="BTC-LN")
    fake.add_payment(invoice_id, "0.001", status="Processing", currency="BTC", rate="64392.23")
    fake.set_status(invoice_id, "Settled", "PaidOver", paid="197.53")

    payment = await adapter.fetch_payment(config_of(fake), invoice_id)

    # 133.1405943... rounded half-to-even to the cent
    assert (payment.state, payment.paid, payment.raw_status) == (
        ProviderState.PAID,
        Received("USD", 13314),
        "Settled (PaidOver)",
    )
    last = recorded(fake)[-1]
    assert (last.method, last.path) == ("GET", f"/api/v1/stores/{fake.store_id}/invoices/{invoice_id}/payment-methods")
    assert last.headers["authorization"] == f"token {fake.api_key}"


async def test_overpaid_keeps_the_digits_btcpay_rounds_away_in_paid_amount(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter, amount=1_000_000, asset="USDT", scale=6)
    fake.add_payment(invoice_id, "1.234567", method="USDT-TRON")
    fake.set_status(invoice_id, "Settled", "PaidOver", paid="1.23")  # BTCPay: 2 digits for a currency it does not list

    payment = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert payment.paid == Received("USDT", 1_234_567)


async def test_marked_settled_is_paid_the_invoice_amount_even_with_less_received(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.set_status(invoice_id, "Settled", "Marked", paid="40.00")

    payment = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert (payment.state, payment.paid) == (ProviderState.PAID, Received("USD", 12345))


async def test_underpaid_then_expired_waits_while_monitored_then_pays_what_confirmed(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter, amount=1_000_000, asset="USDT", scale=6)
    fake.add_payment(invoice_id, "0.400001")
    fake.add_payment(invoice_id, "0.1", status="Invalid")  # double-spent: not accounted
    fake.set_status(invoice_id, "Expired", "PaidPartial", paid="0.400001", monitoring_left=3600)

    waiting = await adapter.fetch_payment(config_of(fake), invoice_id)
    fake.set_status(invoice_id, "Expired", "PaidPartial", monitoring_left=-1)
    final = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert (waiting.state, waiting.paid) == (ProviderState.PENDING, None)
    assert (final.state, final.paid, final.raw_status) == (
        ProviderState.PAID,
        Received("USDT", 400001),
        "Expired (PaidPartial)",
    )
    assert recorded(fake)[-1].path == f"/api/v1/stores/{fake.store_id}/invoices/{invoice_id}/payment-methods"


async def test_paid_late_is_paid_once_its_payments_confirm(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter, amount=150_000, asset="BTC", scale=8)
    fake.add_payment(invoice_id, "0.0015", status="Processing")
    fake.set_status(invoice_id, "Expired", "PaidLate", paid="0.0015", monitoring_left=3600)

    unconfirmed = await adapter.fetch_payment(config_of(fake), invoice_id)
    fake.methods[invoice_id][0]["payments"][0]["status"] = "Settled"
    confirmed = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert unconfirmed.state is ProviderState.PENDING
    assert (confirmed.state, confirmed.paid) == (ProviderState.PAID, Received("BTC", 150_000))


async def test_expired_with_nothing_confirmed_by_the_end_of_monitoring_is_expired(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.add_payment(invoice_id, "0.0001", status="Processing", currency="BTC", rate="64392.23")
    fake.set_status(invoice_id, "Expired", "PaidPartial", monitoring_left=-60)

    payment = await adapter.fetch_payment(config_of(fake), invoice_id)

    assert (payment.state, payment.paid) == (ProviderState.EXPIRED, None)


async def test_an_invoice_amount_finer_than_the_assets_scale_is_refused(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.invoices[invoice_id]["amount"] = "123.456"
    fake.set_status(invoice_id, "Settled")

    with pytest.raises(ProviderRejected, match=r"amount '123\.456' is not an exact amount at scale 2"):
        await adapter.fetch_payment(config_of(fake), invoice_id)


async def test_overpaid_without_a_confirmed_payment_is_refused_not_credited_nothing(
    fake: FakeBTCPay, adapter: BTCPayAdapter
) -> None:
    invoice_id = await opened(fake, adapter)
    fake.add_payment(invoice_id, "0.004", status="Processing", currency="BTC", rate="50000")
    fake.set_status(invoice_id, "Settled", "PaidOver")

    with pytest.raises(ProviderRejected, match="no confirmed payment"):
        await adapter.fetch_payment(config_of(fake), invoice_id)


async def test_a_payment_that_cannot_be_read_is_refused(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.add_payment(invoice_id, "lots")
    fake.set_status(invoice_id, "Settled", "PaidOver")

    with pytest.raises(ProviderRejected, match="value"):
        await adapter.fetch_payment(config_of(fake), invoice_id)


async def test_an_asset_is_read_with_the_scale_the_tenant_declared(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter, amount=25_000_000, asset="LTC", scale=8)
    fake.set_status(invoice_id, "Settled", paid="0.25")

    with pytest.raises(ProviderRejected, match="no scale is known"):
        await adapter.fetch_payment(config_of(fake), invoice_id)
    declared = replace(config_of(fake), scales={**config_of(fake).scales, "LTC": 8})
    payment = await adapter.fetch_payment(declared, invoice_id)

    assert payment.paid == Received("LTC", 25_000_000)


async def test_an_unknown_status_is_refused_not_guessed(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.set_status(invoice_id, "Refunded")

    with pytest.raises(ProviderRejected, match="unknown invoice status"):
        await adapter.fetch_payment(config_of(fake), invoice_id)


async def test_an_unknown_invoice_is_refused(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    with pytest.raises(ProviderRejected, match="404: invoice-not-found"):
        await adapter.fetch_payment(config_of(fake), "NoSuchInvoice")


# --- read_webhook ----------------------------------------------------------------------------------------


async def test_settled_event_asks_the_domain_to_fetch_the_invoice(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    fake.add_payment(invoice_id, "0.004", currency="BTC", rate="50000")
    fake.set_status(invoice_id, "Settled", "PaidOver", paid="200.00")
    body = fake.delivery("InvoiceSettled", invoice_id, manuallyMarked=False, overPaid=True)

    notice = adapter.read_webhook(config_of(fake), fake.signed(body), body)
    fetched = await adapter.fetch_payment(config_of(fake), notice.provider_ref)

    assert (notice.provider_ref, notice.reference, notice.payment, notice.ignored) == (
        invoice_id,
        REFERENCE,
        None,
        False,
    )
    assert fetched.paid == Received("USD", 20000)


@pytest.mark.parametrize(
    ("event_type", "fields"),
    [
        ("InvoiceExpired", {"partiallyPaid": True}),
        ("InvoicePaymentSettled", {"afterExpiration": True, "paymentMethodId": "BTC-CHAIN"}),
        ("InvoiceExpiredPaidPartial", {}),
        ("InvoicePaidAfterExpiration", {}),
    ],
)
async def test_money_on_an_expired_invoice_asks_for_a_fetch(
    fake: FakeBTCPay, adapter: BTCPayAdapter, event_type: str, fields: dict[str, Any]
) -> None:
    invoice_id = await opened(fake, adapter)
    body = fake.delivery(event_type, invoice_id, **fields)

    notice = adapter.read_webhook(config_of(fake), fake.signed(body), body)

    assert (notice.provider_ref, notice.payment, notice.ignored) == (invoice_id, None, False)


@pytest.mark.parametrize(
    ("event_type", "fields", "state", "raw"),
    [
        ("InvoiceExpired", {"partiallyPaid": False}, ProviderState.EXPIRED, "Expired"),
        ("InvoiceInvalid", {"manuallyMarked": False}, ProviderState.FAILED, "Invalid"),
        ("InvoiceInvalid", {"manuallyMarked": True}, ProviderState.FAILED, "Invalid (Marked)"),
    ],
)
async def test_final_events_with_nothing_received_carry_their_state(
    fake: FakeBTCPay, adapter: BTCPayAdapter, event_type: str, fields: dict[str, Any], state: ProviderState, raw: str
) -> None:
    invoice_id = await opened(fake, adapter)
    body = fake.delivery(event_type, invoice_id, **fields)

    notice = adapter.read_webhook(config_of(fake), fake.signed(body), body)

    assert notice.payment is not None
    assert (notice.payment.provider_ref, notice.payment.reference) == (invoice_id, REFERENCE)
    assert (notice.payment.state, notice.payment.paid, notice.payment.raw_status) == (state, None, raw)


@pytest.mark.parametrize(
    ("event_type", "fields"),
    [
        ("InvoiceCreated", {}),
        ("InvoiceReceivedPayment", {"afterExpiration": False, "paymentMethodId": "BTC-CHAIN"}),
        ("InvoiceProcessing", {"overPaid": False}),
        ("InvoicePaymentSettled", {"afterExpiration": False, "paymentMethodId": "BTC-CHAIN"}),
        ("InvoiceRefund", {"pullPaymentId": "pp1"}),
    ],
)
async def test_events_the_hub_does_not_act_on_are_ignored(
    fake: FakeBTCPay, adapter: BTCPayAdapter, event_type: str, fields: dict[str, Any]
) -> None:
    invoice_id = await opened(fake, adapter)
    body = fake.delivery(event_type, invoice_id, **fields)

    notice = adapter.read_webhook(config_of(fake), fake.signed(body), body)

    assert (notice.ignored, notice.payment) == (True, None)


async def test_events_that_are_not_about_invoices_are_ignored(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    body = json.dumps({"type": "PayoutCreated", "storeId": fake.store_id, "payoutId": "p1"}).encode()

    assert adapter.read_webhook(config_of(fake), fake.signed(body), body).ignored


async def test_a_delivery_for_another_store_is_ignored(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    invoice_id = await opened(fake, adapter)
    body = fake.delivery("InvoiceSettled", invoice_id, store_id="AnotherStoreOfTheSameUser")

    notice = adapter.read_webhook(config_of(fake), fake.signed(body), body)

    assert (notice.ignored, notice.payment) == (True, None)


async def test_a_wrong_signature_is_refused(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    body = fake.delivery("InvoiceSettled", "Inv1")
    headers = {"btcpay-sig": sign("someone-elses-secret", body)}

    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake), headers, body)


async def test_a_tampered_body_is_refused(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    body = fake.delivery("InvoiceExpired", "Inv1", partiallyPaid=False)
    headers = fake.signed(body)

    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake), headers, body.replace(b"Inv1", b"Inv2"))


@pytest.mark.parametrize(
    "headers",
    [{}, {"btcpay-sig": ""}, {"btcpay-sig": "sha256="}, {"btcpay-sig": "sha1=abc"}, {"x-btcpay-sig": "sha256=00"}],
)
async def test_a_missing_or_malformed_signature_header_is_refused(
    fake: FakeBTCPay, adapter: BTCPayAdapter, headers: dict[str, str]
) -> None:
    body = fake.delivery("InvoiceSettled", "Inv1")

    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake), headers, body)


async def test_no_configured_secret_verifies_nothing(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    body = fake.delivery("InvoiceSettled", "Inv1")

    with pytest.raises(SignatureInvalid):
        adapter.read_webhook(config_of(fake, webhook_secret=""), {"btcpay-sig": sign("", body)}, body)


async def test_the_signature_hex_is_read_in_either_case(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    body = fake.delivery("InvoiceSettled", "Inv1")
    upper = "sha256=" + sign(fake.webhook_secret, body).removeprefix("sha256=").upper()

    assert adapter.read_webhook(config_of(fake), {"btcpay-sig": upper}, body).provider_ref == "Inv1"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"\xff\xfe", b"[1, 2]", b'{"invoiceId": "Inv1"}', b'{"type": "InvoiceSettled", "storeId": "x"}'],
)
async def test_an_authentic_body_that_cannot_be_read_is_refused(
    fake: FakeBTCPay, adapter: BTCPayAdapter, body: bytes
) -> None:
    with pytest.raises(ProviderRejected):
        adapter.read_webhook(config_of(fake), fake.signed(body), body)


async def test_replies() -> None:
    async with httpx.AsyncClient() as client:
        adapter = BTCPayAdapter(client)
    assert (adapter.reply(True).status, adapter.reply(True).body) == (200, b"OK")
    assert adapter.reply(False).status == 401


_OFFLINE = BTCPayAdapter(httpx.AsyncClient())  # read_webhook never touches the network
_CONFIG = ProviderConfig("btcpay", {"api_key": "k", "webhook_secret": "s3cret"}, {"store_id": "S"}, base_url="http://x")


@given(st.binary(max_size=512))
def test_any_body_signed_with_the_secret_passes_the_signature_check(body: bytes) -> None:
    with contextlib.suppress(ProviderRejected):  # verified, then found unreadable: not a signature failure
        _OFFLINE.read_webhook(_CONFIG, {"btcpay-sig": sign("s3cret", body)}, body)


@given(st.binary(min_size=1, max_size=512), st.data())
def test_any_changed_byte_fails_the_signature_check(body: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]

    with pytest.raises(SignatureInvalid):
        _OFFLINE.read_webhook(_CONFIG, {"btcpay-sig": sign("s3cret", body)}, changed)


# --- failures of the instance, check_config ----------------------------------------------------------------


@pytest.mark.parametrize("how", [500, 502, 503, 429, "hang"])
async def test_an_unknown_outcome_is_unavailable(fake: FakeBTCPay, adapter: BTCPayAdapter, how: int | str) -> None:
    invoice_id = await opened(fake, adapter)
    fake.misbehaviour.fail_next(how, how, how)

    with pytest.raises(ProviderUnavailable):
        await adapter.create_payment(config_of(fake), intent())
    with pytest.raises(ProviderUnavailable):
        await adapter.fetch_payment(config_of(fake), invoice_id)
    with pytest.raises(ProviderUnavailable):
        await adapter.check_config(config_of(fake))


async def test_an_unreachable_instance_is_unavailable(adapter: BTCPayAdapter) -> None:
    config = ProviderConfig("btcpay", {"api_key": "k"}, {"store_id": "S"}, base_url="http://127.0.0.1:9")

    with pytest.raises(ProviderUnavailable):
        await adapter.fetch_payment(config, "Inv1")


@pytest.mark.parametrize("status", [400, 404])
async def test_a_client_error_is_rejected(fake: FakeBTCPay, adapter: BTCPayAdapter, status: int) -> None:
    fake.misbehaviour.fail_next(status)

    with pytest.raises(ProviderRejected, match=str(status)):
        await adapter.create_payment(config_of(fake), intent())


async def test_check_config_lists_one_invoice_with_the_key(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    await adapter.check_config(config_of(fake))

    [request] = recorded(fake)
    assert (request.method, request.path) == ("GET", f"/api/v1/stores/{fake.store_id}/invoices")
    assert request.headers["authorization"] == f"token {fake.api_key}"


async def test_check_config_refuses_a_wrong_key_without_echoing_it(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    with pytest.raises(ProviderRejected, match="401: unauthenticated") as refused:
        await adapter.check_config(config_of(fake, api_key="wrong-key-do-not-log-me"))

    assert "wrong-key-do-not-log-me" not in str(refused.value)
    assert fake.api_key not in str(refused.value)


async def test_check_config_refuses_another_store(fake: FakeBTCPay, adapter: BTCPayAdapter) -> None:
    with pytest.raises(ProviderRejected, match="403: missing-permission"):
        await adapter.check_config(config_of(fake, store_id="SomeoneElsesStore"))


@pytest.mark.parametrize("missing", ["api_key", "store_id"])
async def test_check_config_refuses_missing_settings_without_calling(
    fake: FakeBTCPay, adapter: BTCPayAdapter, missing: str
) -> None:
    with pytest.raises(ProviderRejected, match=missing):
        await adapter.check_config(config_of(fake, **{missing: ""}))
    assert recorded(fake) == []


async def test_the_registry_finds_the_adapter() -> None:
    async with httpx.AsyncClient() as client:
        found = payment_adapters(client)["btcpay"]
    assert isinstance(found, BTCPayAdapter)
    assert set(found.required_fields) <= set(found.secret_fields) | set(found.option_fields)
