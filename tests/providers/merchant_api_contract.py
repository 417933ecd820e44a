"""The stories every Cryptomus-shaped adapter must pass, told against the fake provider.

test_cryptomus.py and test_heleket.py each subclass `MerchantApiContract` with their adapter and
pay host; pytest collects the subclasses (this module's name keeps it from being collected alone).
Signatures expected here are computed in this file or by the fake, never by the adapter.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

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
    WebhookReply,
)
from core_server.providers._merchant_api import MerchantApiAdapter
from core_server.providers.registry import payment_adapters
from tests.providers.fakes.cryptomus import API_KEY, MERCHANT, FakeMerchantApi, md5_sign, php_style
from tests.providers.fakes.server import adapter_client, serve

REFERENCE = "4f6a1c2e-8d3b-4a7e-9c1f-2b5d6e7f8a90"
WEBHOOK_URL = "https://hub.example/webhooks/t-1"


@dataclass
class Rig:
    fake: FakeMerchantApi
    adapter: MerchantApiAdapter
    config: ProviderConfig

    def intent(self, **changes: Any) -> Intent:
        fields: dict[str, Any] = {
            "reference": REFERENCE,
            "asset": "USDT",
            "amount": 12_500_000,
            "scale": 6,
            "description": "",
            "ttl_seconds": 1800,
        }
        return Intent(**{**fields, **changes})

    def invoice(self, **fields: Any) -> str:
        """An invoice of 12.50 USDT for REFERENCE, as the provider holds it."""
        return self.fake.add_invoice(**{"amount": "12.50000000", "currency": "USDT", "order_id": REFERENCE, **fields})


def md5_of(body: bytes, key: str = API_KEY) -> str:
    return hashlib.md5(base64.b64encode(body) + key.encode()).hexdigest()  # noqa: S324 - the provider's scheme


def _webhook_config(options: dict[str, str] | None = None, key: str = API_KEY) -> ProviderConfig:
    return ProviderConfig(provider="x", secrets={"api_key": key}, options=options or {"merchant_id": MERCHANT})


_PLAIN_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request to {request.url}")


_FIXED_FIELDS = {"sign", "type", "uuid", "order_id", "amount", "status", "currency"}
_FIELD_VALUES = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _PLAIN_TEXT


class MerchantApiContract:
    adapter_class: ClassVar[type[MerchantApiAdapter]]
    pay_host: ClassVar[str]

    def offline_adapter(self) -> MerchantApiAdapter:
        """For what needs no network (webhooks, replies): a client that refuses every request."""
        return self.adapter_class(httpx.AsyncClient(transport=httpx.MockTransport(_no_network)))

    @pytest.fixture
    async def rig(self) -> AsyncIterator[Rig]:
        fake = FakeMerchantApi(pay_host=self.pay_host)
        async with serve(fake.app) as url, adapter_client() as client:
            config = ProviderConfig(
                provider=self.adapter_class.name,
                secrets={"api_key": API_KEY},
                options={"merchant_id": MERCHANT},
                base_url=url,
                webhook_url=WEBHOOK_URL,
            )
            try:
                yield Rig(fake, self.adapter_class(client), config)
            finally:
                fake.release()

    # opening a payment

    async def test_an_invoice_is_opened_with_the_hubs_reference_and_a_signed_php_style_body(self, rig: Rig) -> None:
        intent = rig.intent(description="Пакет «100 токенов» / месяц", return_url="https://shop.example/back")

        payment = await rig.adapter.create_payment(rig.config, intent)

        [request] = rig.fake.recorded
        assert (request.method, request.path) == ("POST", "/v1/payment")
        assert (
            request.body
            == (
                '{"amount":"12.500000","currency":"USDT","order_id":"4f6a1c2e-8d3b-4a7e-9c1f-2b5d6e7f8a90",'
                '"url_callback":"https:\\/\\/hub.example\\/webhooks\\/t-1",'
                '"url_return":"https:\\/\\/shop.example\\/back","url_success":"https:\\/\\/shop.example\\/back",'
                '"lifetime":1800,"additional_data":"Пакет «100 токенов» \\/ месяц"}'
            ).encode()
        )
        assert request.headers["merchant"] == MERCHANT
        assert request.headers["sign"] == md5_of(request.body)
        assert request.headers["content-type"] == "application/json"
        assert payment.provider_ref in rig.fake.invoices
        assert payment.reference == REFERENCE
        assert (payment.state, payment.raw_status, payment.paid) == (ProviderState.PENDING, "check", None)
        assert payment.pay_url == f"https://{self.pay_host}/pay/{payment.provider_ref}"
        assert payment.expires_at is not None
        assert abs((payment.expires_at - dt.datetime.now(dt.UTC)).total_seconds() - 1800) < 60

    @pytest.mark.parametrize(
        ("asset", "amount", "scale", "text"),
        [("USDT", 1, 6, "0.000001"), ("BTC", 1, 8, "0.00000001"), ("RUB", 12345, 2, "123.45"), ("XTR", 50, 0, "50")],
    )
    async def test_the_amount_goes_out_exactly(self, rig: Rig, asset: str, amount: int, scale: int, text: str) -> None:
        await rig.adapter.create_payment(rig.config, rig.intent(asset=asset, amount=amount, scale=scale))

        assert f'"amount":"{text}","currency":"{asset}"'.encode() in rig.fake.recorded[0].body

    @pytest.mark.parametrize(("ttl", "lifetime"), [(60, 300), (10**6, 43200)])
    async def test_a_lifetime_outside_the_accepted_range_is_brought_to_its_nearest_end(
        self, rig: Rig, ttl: int, lifetime: int
    ) -> None:
        await rig.adapter.create_payment(rig.config, rig.intent(ttl_seconds=ttl))

        assert f'"lifetime":{lifetime}'.encode() in rig.fake.recorded[0].body

    async def test_opening_the_same_reference_twice_gives_the_same_invoice(self, rig: Rig) -> None:
        first = await rig.adapter.create_payment(rig.config, rig.intent())
        again = await rig.adapter.create_payment(rig.config, rig.intent())

        assert again.provider_ref == first.provider_ref
        assert len(rig.fake.invoices) == 1

    async def test_a_refused_invoice_names_the_field(self, rig: Rig) -> None:
        with pytest.raises(ProviderRejected, match=r"answered 422: currency: validation\.required"):
            await rig.adapter.create_payment(rig.config, rig.intent(asset=""))

    # reading a payment

    @pytest.mark.parametrize(
        ("status", "state"),
        [
            ("check", ProviderState.PENDING),
            ("process", ProviderState.PENDING),
            ("confirm_check", ProviderState.PENDING),
            ("wrong_amount_waiting", ProviderState.PENDING),
            ("locked", ProviderState.PENDING),
            ("a_status_added_later", ProviderState.PENDING),
            ("cancel", ProviderState.EXPIRED),
            ("fail", ProviderState.FAILED),
            ("system_fail", ProviderState.FAILED),
            ("refund_process", ProviderState.FAILED),
            ("refund_fail", ProviderState.FAILED),
            ("refund_paid", ProviderState.FAILED),
        ],
    )
    async def test_a_status_without_money_is_mapped_and_credits_nothing(
        self, rig: Rig, status: str, state: ProviderState
    ) -> None:
        invoice = rig.invoice()
        rig.fake.settle(invoice, status, payment_amount="5.00000000")

        payment = await rig.adapter.fetch_payment(rig.config, invoice)

        assert (payment.state, payment.paid, payment.raw_status) == (state, None, status)
        assert (payment.provider_ref, payment.reference) == (invoice, REFERENCE)
        assert rig.fake.recorded[0].body == f'{{"uuid":"{invoice}"}}'.encode()

    @pytest.mark.parametrize(
        ("status", "sent", "received"),
        [
            ("paid", "12.50000000", 12_500_000),
            ("paid_over", "13.00000000", 13_000_000),
            ("wrong_amount", "12.000001", 12_000_001),
        ],
    )
    async def test_a_paid_invoice_says_what_arrived(self, rig: Rig, status: str, sent: str, received: int) -> None:
        invoice = rig.invoice()
        rig.fake.settle(invoice, status, payment_amount=sent)

        payment = await rig.adapter.fetch_payment(rig.config, invoice)

        assert payment.state is ProviderState.PAID
        assert payment.paid == Received("USDT", received)

    @pytest.mark.parametrize(
        ("status", "sent", "received"),
        [
            ("paid", "0.00000000", 2_000_000),  # settled inside the provider: payment_amount reads 0
            ("wrong_amount", "127.46", 1_000_000),  # half of what was asked in USDT: half the roubles
            ("paid_over", "300.00", 2_353_679),  # 20000 * 300 / 254.92 = 23536.7958..., rounded down
            ("paid_over", "254.91", 2_000_000),  # the provider says "over": never less than the invoice
        ],
    )
    async def test_a_payment_in_another_currency_is_valued_in_the_invoices_asset(
        self, rig: Rig, status: str, sent: str, received: int
    ) -> None:
        invoice = rig.invoice(amount="20000.00", currency="RUB", payer_currency="USDT", payer_amount="254.92")
        rig.fake.settle(invoice, status, payment_amount=sent)

        payment = await rig.adapter.fetch_payment(rig.config, invoice)

        assert payment.paid == Received("RUB", received)

    async def test_an_underpayment_counts_against_the_surcharged_amount_asked(self, rig: Rig) -> None:
        invoice = rig.invoice(amount="15.00", payer_amount="15.75", discount_percent=-5)  # payer bears 5%
        rig.fake.settle(invoice, "wrong_amount", payment_amount="15.00")

        payment = await rig.adapter.fetch_payment(rig.config, invoice)

        assert payment.paid == Received("USDT", 14_285_714)  # 15 * 15 / 15.75, rounded down

    @pytest.mark.parametrize(
        "fields",
        [{"payment_amount": None}, {"payment_amount": "lots"}, {"amount": "12.5000001"}, {"currency": "DOGE"}],
    )
    async def test_a_paid_amount_that_cannot_be_read_is_refused(self, rig: Rig, fields: dict[str, Any]) -> None:
        invoice = rig.invoice()
        rig.fake.settle(invoice, "paid_over", **{"payment_amount": "13.00000000", **fields})

        with pytest.raises(ProviderRejected, match=r"cannot be read|no scale known"):
            await rig.adapter.fetch_payment(rig.config, invoice)

    async def test_an_asset_beyond_the_well_known_ones_is_read_with_the_declared_scale(self, rig: Rig) -> None:
        invoice = rig.invoice(amount="150.00000000", currency="DOGE", payer_currency="DOGE", payer_amount="150")
        rig.fake.settle(invoice, "paid", payment_amount="150.00000000")
        config = replace(rig.config, scales={**rig.config.scales, "ETH": 18, "DOGE": 8})

        payment = await rig.adapter.fetch_payment(config, invoice)

        assert payment.paid == Received("DOGE", 15_000_000_000)

    async def test_an_unknown_payment_is_refused(self, rig: Rig) -> None:
        with pytest.raises(ProviderRejected, match="404: Payment not found"):
            await rig.adapter.fetch_payment(rig.config, "0b5d6e7f-0000-4000-8000-000000000000")

    # notifications

    async def test_a_signed_notification_names_the_payment_to_confirm(self, rig: Rig) -> None:
        """Signed is not paid (the provider's test webhooks are signed too): the notice names the
        payment and carries no facts, so the core confirms it with /v1/payment/info."""
        payment = await rig.adapter.create_payment(rig.config, rig.intent())
        rig.fake.settle(payment.provider_ref, "paid", payment_amount="12.50000000", txid="0xab/cd")

        notice = rig.adapter.read_webhook(rig.config, {}, rig.fake.webhook(payment.provider_ref))

        assert (notice.provider_ref, notice.reference, notice.ignored) == (payment.provider_ref, REFERENCE, False)
        assert notice.payment is None
        confirmed = await rig.adapter.fetch_payment(rig.config, notice.provider_ref)
        assert (confirmed.state, confirmed.raw_status) == (ProviderState.PAID, "paid")
        assert confirmed.paid == Received("USDT", 12_500_000)

    @pytest.mark.parametrize("escape_unicode", [False, True])
    async def test_a_notification_is_verified_however_its_text_is_escaped(self, rig: Rig, escape_unicode: bool) -> None:
        invoice = rig.invoice(additional_data="Подписка / 30 дней\u2028")
        rig.fake.settle(invoice, "paid", payment_amount="12.50000000")
        body = rig.fake.webhook(invoice, escape_unicode=escape_unicode)

        assert rig.adapter.read_webhook(rig.config, {}, body).provider_ref == invoice
        # a hop that rewrote the JSON without PHP's escaped slashes changes nothing signed
        assert rig.adapter.read_webhook(rig.config, {}, body.replace(b"\\/", b"/")).provider_ref == invoice

    def test_signed_text_is_php_text_empty_objects_and_numbers_included(self) -> None:
        # PHP decodes {} to an empty array (re-encoded []) and 1.50 to a double (re-encoded 1.5).
        signed = b'{"type":"payment","uuid":"u-1","order_id":"o-1","amount":"1.00","status":"check","currency":"USDT","convert":[],"rate":1.5}'
        body = signed[:-1].replace(b'"convert":[]', b'"convert":{}').replace(b'"rate":1.5', b'"rate":1.50')
        body += b',"sign":"' + md5_of(signed).encode() + b'"}'

        notice = self.offline_adapter().read_webhook(_webhook_config(), {}, body)

        assert (notice.provider_ref, notice.reference, notice.ignored) == ("u-1", "o-1", False)

    async def test_a_notification_signed_with_another_key_is_refused(self, rig: Rig) -> None:
        invoice = rig.invoice()
        rig.fake.settle(invoice, "paid", payment_amount="12.50000000")

        with pytest.raises(SignatureInvalid) as refused:
            rig.adapter.read_webhook(rig.config, {}, rig.fake.webhook(invoice, key="someone-elses-key"))
        assert API_KEY not in str(refused.value)

    async def test_a_tampered_notification_is_refused(self, rig: Rig) -> None:
        invoice = rig.invoice()
        rig.fake.settle(invoice, "wrong_amount", payment_amount="1.00000000")
        data = json.loads(rig.fake.webhook(invoice))
        data["status"], data["payment_amount"] = "paid", "12.50000000"

        with pytest.raises(SignatureInvalid):
            rig.adapter.read_webhook(rig.config, {}, php_style(data))

    async def test_a_notification_without_its_sign_is_refused_even_with_a_sign_header(self, rig: Rig) -> None:
        invoice = rig.invoice()
        data = json.loads(rig.fake.webhook(invoice))
        del data["sign"]
        body = php_style(data)

        with pytest.raises(SignatureInvalid):
            rig.adapter.read_webhook(rig.config, {"sign": md5_of(body)}, body)

    @pytest.mark.parametrize("sign", [12345, None, "", ["x"]])
    async def test_a_sign_that_is_not_a_string_is_refused(self, rig: Rig, sign: Any) -> None:
        data = json.loads(rig.fake.webhook(rig.invoice()))
        data["sign"] = sign

        with pytest.raises(SignatureInvalid):
            rig.adapter.read_webhook(rig.config, {}, php_style(data))

    async def test_without_a_configured_key_nothing_verifies(self, rig: Rig) -> None:
        body = rig.fake.webhook(rig.invoice(), key="")

        with pytest.raises(SignatureInvalid):
            rig.adapter.read_webhook(replace(rig.config, secrets={}), {}, body)

    @pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe", b"[1,2]", b'"paid"', b'{"sign":"x","a":NaN}'])
    async def test_a_body_that_cannot_be_read_is_refused(self, rig: Rig, body: bytes) -> None:
        with pytest.raises(ProviderRejected):
            rig.adapter.read_webhook(rig.config, {}, body)

    async def test_a_static_wallet_notification_is_authentic_but_ignored(self, rig: Rig) -> None:
        body = rig.fake.webhook(
            rig.invoice(), type="wallet", wallet_address_uuid="a1b2c3d4-0000-4000-8000-000000000001"
        )

        notice = rig.adapter.read_webhook(rig.config, {}, body)

        assert notice.ignored and notice.payment is None

    def test_any_signed_body_verifies_and_any_change_to_it_does_not(self) -> None:
        adapter = self.offline_adapter()

        # built per call: each provider's subclass runs its own property (one executor each)
        @given(extra=st.dictionaries(_PLAIN_TEXT.filter(lambda key: key not in _FIXED_FIELDS), _FIELD_VALUES))
        def signed_bodies_verify(extra: dict[str, Any]) -> None:
            data = {"type": "payment", "uuid": "u-1", "order_id": "o-1", "amount": "1.00", "status": "check", **extra}
            sign = md5_sign(php_style(data), API_KEY)
            body = php_style({**data, "sign": sign})

            assert adapter.read_webhook(_webhook_config(), {}, body).provider_ref == "u-1"
            with pytest.raises(SignatureInvalid):
                adapter.read_webhook(_webhook_config(), {}, php_style({**data, "amount": "1.01", "sign": sign}))
            with pytest.raises(SignatureInvalid):
                adapter.read_webhook(_webhook_config(key="other"), {}, body)

        signed_bodies_verify()

    def test_the_reply_is_ok_for_accepted_and_401_for_refused(self) -> None:
        adapter = self.offline_adapter()

        assert adapter.reply(True) == WebhookReply(200, b"OK")
        assert adapter.reply(False).status == 401

    # failures

    @pytest.mark.parametrize("status", [500, 502, 503])
    async def test_a_server_error_is_an_unknown_outcome(self, rig: Rig, status: int) -> None:
        rig.fake.misbehaviour.fail_next(status)

        with pytest.raises(ProviderUnavailable, match=f"answered {status}"):
            await rig.adapter.create_payment(rig.config, rig.intent())

    async def test_a_timeout_is_an_unknown_outcome(self, rig: Rig) -> None:
        rig.fake.stall_next()

        with pytest.raises(ProviderUnavailable, match="timed out"):
            await rig.adapter.create_payment(rig.config, rig.intent())

    async def test_a_success_without_json_is_an_unknown_outcome(self, rig: Rig) -> None:
        rig.fake.misbehaviour.fail_next(200)

        with pytest.raises(ProviderUnavailable):
            await rig.adapter.fetch_payment(rig.config, rig.invoice())

    @pytest.mark.parametrize("status", [400, 403, 404])
    async def test_a_client_error_is_a_refusal(self, rig: Rig, status: int) -> None:
        rig.fake.misbehaviour.fail_next(status)

        with pytest.raises(ProviderRejected, match=f"answered {status}"):
            await rig.adapter.fetch_payment(rig.config, rig.invoice())

    # credentials

    async def test_good_credentials_pass_the_balance_check(self, rig: Rig) -> None:
        await rig.adapter.check_config(rig.config)

        [request] = rig.fake.recorded
        assert (request.path, request.body) == ("/v1/balance", b"")
        assert request.headers["sign"] == md5_of(b"")  # a call without parameters signs the empty string

    @pytest.mark.parametrize(
        "secrets_options",
        [
            ({"api_key": "a-wrong-key-0123456789"}, {"merchant_id": MERCHANT}),
            ({"api_key": API_KEY}, {"merchant_id": "x-1"}),
        ],
    )
    async def test_bad_credentials_are_refused_without_showing_the_key(
        self, rig: Rig, secrets_options: tuple[dict[str, str], dict[str, str]]
    ) -> None:
        secrets, options = secrets_options
        with pytest.raises(ProviderRejected, match=r"401: Invalid Sign\.") as refused:
            await rig.adapter.check_config(replace(rig.config, secrets=secrets, options=options))
        assert secrets["api_key"] not in str(refused.value)

    async def test_missing_credentials_are_refused_before_any_call(self, rig: Rig) -> None:
        with pytest.raises(ProviderRejected, match="required"):
            await rig.adapter.check_config(replace(rig.config, options={}))
        assert rig.fake.recorded == []

    # registration

    async def test_the_registry_finds_the_adapter_and_its_fields(self) -> None:
        async with httpx.AsyncClient() as client:
            adapter = payment_adapters(client)[self.adapter_class.name]
        assert isinstance(adapter, self.adapter_class)
        assert adapter.secret_fields == ("api_key",)
        assert adapter.required_fields == ("api_key", "merchant_id")
        assert "merchant_id" in adapter.option_fields

    async def test_without_an_override_the_providers_own_host_is_called(self) -> None:
        seen: list[httpx.URL] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request.url)
            return httpx.Response(200, json={"state": 0, "result": []})

        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            await self.adapter_class(client).check_config(_webhook_config())
        assert [str(url) for url in seen] == [self.adapter_class.default_base_url + "/v1/balance"]
