"""One driver per real provider, so the same end-to-end scenarios run against each one's fake.

A driver knows its fake server (tests/providers/fakes/), the settings a tenant gives the hub for
it, how its buyer pays (a full, short, surplus or other-asset amount) or the payment fails at the
provider, and what delivery the provider sends then (headers, raw body, the URL's query). The
scenarios in test_providers_end_to_end.py drive the core only through its API and the HTTP
gateway, so each provider's adapter, fake and the payments domain are tried together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from aiohttp import web

from core_server.domain.provider_api import decimal_text, parse_decimal
from tests.providers.fakes import btcpay, cryptobot, cryptomus, heleket, mulenpay, yookassa

WEBHOOK_SECRET = "whsec-placeholder-0123456789"


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    query: str = ""  # the webhook URL's query string (a URL secret)


class Driver(Protocol):
    name: ClassVar[str]
    asset: ClassVar[str]  # the asset payments are asked in
    scale: ClassVar[int]
    amount: ClassVar[int]  # a typical payment, in minor units of `asset`
    other_asset: ClassVar[str | None]  # another asset the provider may report paid in, if it can
    signed: ClassVar[bool]  # whether its notifications carry trusted facts

    def app(self) -> web.Application: ...
    def base_url(self, served: str) -> str: ...
    def settings(self) -> tuple[dict[str, str], dict[str, str]]:
        """(options, secrets) the tenant sets."""
        ...

    def pay(self, ref: str, amount: int, asset: str | None = None) -> None: ...
    def fail(self, ref: str) -> None: ...
    def delivery(self, ref: str, *, forged: bool = False) -> Delivery: ...
    def fail_next(self, *how: int | str) -> None: ...


@dataclass
class CryptoBotDriver:
    name: ClassVar[str] = "cryptobot"
    asset: ClassVar[str] = "USDT"
    scale: ClassVar[int] = 6
    amount: ClassVar[int] = 1_500_000  # 1.5 USDT
    other_asset: ClassVar[str | None] = "LTC"  # not a well-known asset: the tenant declares it, scale 8
    signed: ClassVar[bool] = True
    fake: cryptobot.FakeCryptoBot = field(default_factory=cryptobot.FakeCryptoBot)

    def app(self) -> web.Application:
        return self.fake.app

    def base_url(self, served: str) -> str:
        return f"{served}/api"

    def settings(self) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {"api_token": cryptobot.TOKEN}

    def pay(self, ref: str, amount: int, asset: str | None = None) -> None:
        scale = 8 if asset == "LTC" else self.scale
        self.fake.pay(int(ref), asset=asset or self.asset, amount=decimal_text(amount, scale))

    def fail(self, ref: str) -> None:
        self.fake.expire(int(ref))

    def delivery(self, ref: str, *, forged: bool = False) -> Delivery:
        headers, body = self.fake.webhook(int(ref), token="not-the-token" if forged else None)
        return Delivery(headers, body)

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)


@dataclass
class YooKassaDriver:
    name: ClassVar[str] = "yookassa"
    asset: ClassVar[str] = "RUB"
    scale: ClassVar[int] = 2
    amount: ClassVar[int] = 15_000  # 150.00 RUB
    other_asset: ClassVar[str | None] = "USD"
    signed: ClassVar[bool] = False
    fake: yookassa.FakeYooKassa = field(default_factory=yookassa.FakeYooKassa)

    def app(self) -> web.Application:
        return self.fake.app

    def base_url(self, served: str) -> str:
        return f"{served}/v3"

    def settings(self) -> tuple[dict[str, str], dict[str, str]]:
        return {"shop_id": yookassa.SHOP_ID, "return_url": "https://shop.example.test/back"}, {
            "secret_key": yookassa.SECRET_KEY
        }

    def pay(self, ref: str, amount: int, asset: str | None = None) -> None:
        self.fake.settle(ref, "succeeded", value=decimal_text(amount, self.scale), currency=asset or self.asset)

    def fail(self, ref: str) -> None:
        self.fake.settle(ref, "canceled", reason="general_decline")

    def delivery(self, ref: str, *, forged: bool = False) -> Delivery:
        status = self.fake.payments[ref]["status"]
        event = "payment.canceled" if status == "canceled" else "payment.succeeded"
        # YooKassa signs nothing: a forgery is a notification claiming success for an unpaid
        # payment, which the core must refuse to believe without asking the API.
        if forged:
            event = "payment.succeeded"
        return Delivery({"content-type": "application/json"}, self.fake.notification(event, ref))

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)


@dataclass
class MulenPayDriver:
    name: ClassVar[str] = "mulenpay"
    asset: ClassVar[str] = "RUB"
    scale: ClassVar[int] = 2
    amount: ClassVar[int] = 15_000  # 150.00 RUB
    other_asset: ClassVar[str | None] = None
    signed: ClassVar[bool] = False
    fake: mulenpay.FakeMulenPay = field(default_factory=mulenpay.FakeMulenPay)

    def app(self) -> web.Application:
        return self.fake.app

    def base_url(self, served: str) -> str:
        return f"{served}/api"

    def settings(self) -> tuple[dict[str, str], dict[str, str]]:
        secrets = {"api_key": mulenpay.API_KEY, "secret_key": mulenpay.SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}
        return {"shop_id": str(mulenpay.SHOP_ID)}, secrets

    def pay(self, ref: str, amount: int, asset: str | None = None) -> None:
        self.fake.settle(int(ref), 3, amount=decimal_text(amount, self.scale))

    def fail(self, ref: str) -> None:
        self.fake.settle(int(ref), 2)

    def delivery(self, ref: str, *, forged: bool = False) -> Delivery:
        status = self.fake.payments[int(ref)]["status"]
        body = self.fake.callback(int(ref), "success" if status == 3 else "cancel")
        secret = "wrong-secret" if forged else WEBHOOK_SECRET
        return Delivery({"content-type": "application/json"}, body, f"secret={secret}")

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)


@dataclass
class BTCPayDriver:
    name: ClassVar[str] = "btcpay"
    asset: ClassVar[str] = "USD"
    scale: ClassVar[int] = 2
    amount: ClassVar[int] = 2_500  # 25.00 USD, paid in BTC at the invoice's rate
    other_asset: ClassVar[str | None] = None
    signed: ClassVar[bool] = True
    fake: btcpay.FakeBTCPay = field(default_factory=btcpay.FakeBTCPay)

    def app(self) -> web.Application:
        return self.fake.app

    def base_url(self, served: str) -> str:
        return served

    def settings(self) -> tuple[dict[str, str], dict[str, str]]:
        return {"store_id": btcpay.STORE_ID}, {"api_key": btcpay.API_KEY, "webhook_secret": btcpay.WEBHOOK_SECRET}

    def pay(self, ref: str, amount: int, asset: str | None = None) -> None:
        asked = parse_decimal(self.fake.invoices[ref]["amount"], self.scale)
        self.fake.add_payment(ref, decimal_text(amount, self.scale))
        if amount == asked:
            self.fake.set_status(ref, "Settled")
        elif amount > asked:
            self.fake.set_status(ref, "Settled", "PaidOver")
        else:  # BTCPay stops watching a part-paid invoice when its monitoring ends
            self.fake.set_status(ref, "Expired", "PaidPartial", monitoring_left=-1)

    def fail(self, ref: str) -> None:
        self.fake.set_status(ref, "Invalid")

    def delivery(self, ref: str, *, forged: bool = False) -> Delivery:
        invoice = self.fake.invoices[ref]
        if invoice["status"] == "Invalid":
            body = self.fake.delivery("InvoiceInvalid", ref)
        elif invoice["status"] == "Expired":
            body = self.fake.delivery("InvoiceExpired", ref, partiallyPaid=invoice["additionalStatus"] == "PaidPartial")
        else:
            body = self.fake.delivery("InvoiceSettled", ref, overPaid=invoice["additionalStatus"] == "PaidOver")
        headers = self.fake.signed(body)
        if forged:
            headers["btcpay-sig"] = btcpay.sign("not-the-secret", body)
        return Delivery(headers, body)

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)


@dataclass
class CryptomusDriver:
    name: ClassVar[str] = "cryptomus"
    asset: ClassVar[str] = "USDT"
    scale: ClassVar[int] = 6
    amount: ClassVar[int] = 12_500_000  # 12.5 USDT
    other_asset: ClassVar[str | None] = None
    signed: ClassVar[bool] = True
    fake: cryptomus.FakeMerchantApi = field(default_factory=cryptomus.FakeMerchantApi)

    def app(self) -> web.Application:
        return self.fake.app

    def base_url(self, served: str) -> str:
        return served

    def settings(self) -> tuple[dict[str, str], dict[str, str]]:
        return {"merchant_id": self.fake.merchant}, {"api_key": self.fake.api_key}

    def pay(self, ref: str, amount: int, asset: str | None = None) -> None:
        asked = parse_decimal(self.fake.invoices[ref]["amount"], self.scale)
        status = "paid" if amount == asked else "paid_over" if amount > asked else "wrong_amount"
        self.fake.settle(ref, status, payment_amount=decimal_text(amount, self.scale))

    def fail(self, ref: str) -> None:
        self.fake.settle(ref, "fail")

    def delivery(self, ref: str, *, forged: bool = False) -> Delivery:
        body = self.fake.webhook(ref, key="not-the-key" if forged else None)
        return Delivery({"content-type": "application/json"}, body)

    def fail_next(self, *how: int | str) -> None:
        self.fake.misbehaviour.fail_next(*how)


@dataclass
class HeleketDriver(CryptomusDriver):
    name: ClassVar[str] = "heleket"
    fake: cryptomus.FakeMerchantApi = field(default_factory=heleket.fake_heleket)


DRIVERS: list[type[Any]] = [
    CryptoBotDriver,
    YooKassaDriver,
    MulenPayDriver,
    BTCPayDriver,
    CryptomusDriver,
    HeleketDriver,
]
