"""`testpay`: an in-memory payment provider for testing the payments domain on its own.

It is a real adapter (the PaymentAdapter protocol, registered in the test hub beside the real
ones) whose "provider" is a dict in this process, so a test decides what the provider says
(paid, how much, failed) and when it misbehaves, and signs notifications the way a signing
provider does (HMAC-SHA256 of the raw body under the tenant's `signing_key`). With the option
`unsigned=yes` its notifications carry no facts, like YooKassa's and MulenPay's, and the domain
must fetch the payment before crediting. Each provider's own adapter is tested against a fake
of that provider in tests/providers/.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from core_server.domain.provider_api import (
    Intent,
    Notice,
    ProviderConfig,
    ProviderPayment,
    ProviderRejected,
    ProviderState,
    Received,
    SignatureInvalid,
    WebhookReply,
)

GOOD_KEY = "tp-api-key-placeholder"


@dataclass
class Invoice:
    ref: str
    reference: str
    asset: str
    amount: int
    state: ProviderState = ProviderState.PENDING
    paid: Received | None = None


@dataclass
class TestPayProvider:
    """The provider's side: invoices by ref, and failures to serve next."""

    __test__ = False  # not a pytest test class

    invoices: dict[str, Invoice] = field(default_factory=dict)
    failures: list[Exception] = field(default_factory=list)
    fetches: int = 0
    _refs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def pay(self, ref: str, asset: str | None = None, amount: int | None = None) -> Invoice:
        invoice = self.invoices[ref]
        invoice.state = ProviderState.PAID
        invoice.paid = Received(asset or invoice.asset, invoice.amount if amount is None else amount)
        return invoice

    def by_reference(self, reference: str) -> Invoice:
        return next(i for i in self.invoices.values() if i.reference == reference)


PROVIDER = TestPayProvider()


def sign(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def notification(
    invoice: Invoice, key: str = "tp-signing-placeholder", *, facts: bool = True
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of the notification the provider sends about `invoice`."""
    data: dict[str, object] = {"ref": invoice.ref}
    if facts:
        paid = invoice.paid
        data |= {"reference": invoice.reference, "state": invoice.state.value}
        if paid is not None:
            data |= {"paid_asset": paid.asset, "paid_amount": paid.amount}
    body = json.dumps(data).encode()
    return {"X-TestPay-Signature": sign(body, key), "Content-Type": "application/json"}, body


class TestPay:
    __test__ = False  # not a pytest test class
    name: ClassVar[str] = "testpay"
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "signing_key")
    option_fields: ClassVar[tuple[str, ...]] = ("unsigned",)
    required_fields: ClassVar[tuple[str, ...]] = ("api_key", "signing_key")

    def __init__(self, provider: TestPayProvider = PROVIDER) -> None:
        self.provider = provider

    def _auth(self, config: ProviderConfig) -> None:
        self.provider._maybe_fail()
        if config.secret("api_key") != GOOD_KEY:
            raise ProviderRejected("testpay: answered 401: bad api key")

    def _view(self, invoice: Invoice) -> ProviderPayment:
        return ProviderPayment(
            provider_ref=invoice.ref,
            reference=invoice.reference,
            state=invoice.state,
            paid=invoice.paid,
            pay_url=f"https://testpay.invalid/pay/{invoice.ref}",
            raw_status=invoice.state.value,
        )

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        self._auth(config)
        ref = f"tp_{next(self.provider._refs)}"
        self.provider.invoices[ref] = Invoice(ref, intent.reference, intent.asset, intent.amount)
        return self._view(self.provider.invoices[ref])

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        self._auth(config)
        self.provider.fetches += 1
        invoice = self.provider.invoices.get(provider_ref)
        if invoice is None:
            raise ProviderRejected("testpay: answered 404")
        return self._view(invoice)

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        given = headers.get("x-testpay-signature", "")
        if not hmac.compare_digest(given, sign(body, config.secret("signing_key"))):
            raise SignatureInvalid("testpay: bad signature")
        try:
            data = json.loads(body)
        except ValueError:
            raise ProviderRejected("testpay: unreadable body") from None
        if data.get("ping"):
            return Notice(ignored=True)
        if config.option("unsigned") == "yes" or "state" not in data:
            return Notice(provider_ref=str(data["ref"]))
        paid = None
        if "paid_asset" in data:
            paid = Received(str(data["paid_asset"]), int(data["paid_amount"]))
        facts = ProviderPayment(
            provider_ref=str(data["ref"]),
            reference=str(data.get("reference", "")),
            state=ProviderState(data["state"]),
            paid=paid,
            raw_status=str(data["state"]),
        )
        return Notice(provider_ref=facts.provider_ref, payment=facts)

    def reply(self, accepted: bool) -> WebhookReply:
        return WebhookReply(200, b"OK") if accepted else WebhookReply(401, b"bad signature")

    async def check_config(self, config: ProviderConfig) -> None:
        self._auth(config)
