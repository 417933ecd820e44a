"""The Cryptomus merchant API, which Heleket serves in the same shape: one adapter, named per provider.

Docs followed (the two sites are page for page the same API):
- Request format: doc.cryptomus.com/business/general/request-format, doc.heleket.com/general/request-format
- Creating an invoice (`POST /v1/payment`): doc.cryptomus.com/business/payments/creating-invoice,
  doc.heleket.com/methods/payments/creating-invoice
- Payment information (`POST /v1/payment/info`): doc.cryptomus.com/business/payments/payment-information
- Payment statuses: doc.cryptomus.com/payments/payment-statuses, doc.heleket.com/methods/payments/payment-statuses
- Webhook: doc.cryptomus.com/en/business/payments/webhook, doc.heleket.com/methods/payments/webhook
- Testing webhook: doc.cryptomus.com/payments/testing-webhook; balance (`POST /v1/balance`): doc.cryptomus.com/balance
- Heleket's own SDKs (github.com/Heleket/php-sdk: Webhook/WebhookVerifier.php, docs/06-webhooks.md,
  docs/10-reference.md; github.com/Heleket/go-sdk: webhook/verifier.go) for the webhook recipe.

Requests: every call is a POST of a JSON body with headers `merchant: <merchant uuid>` and
`sign: md5(base64(body) . payment API key)` over the exact bytes sent; a call without parameters
sends an empty body and signs the empty string. Bodies are written as PHP's json_encode writes
them (`/` escaped), so the signature holds whether the server hashes the raw body or re-encodes it.

Webhooks carry `sign` inside the JSON body. It is checked the documented way: decode the body as
PHP does, drop `sign`, encode the rest as `json_encode($data, JSON_UNESCAPED_UNICODE)` and compare
md5(base64(that) . API key) in constant time (`_php_json` reproduces PHP byte for byte).
Only `type: payment` (an invoice) is acted on; a static wallet's `type: wallet` is ignored.
Caveat: the provider's "test webhook" call sends a correctly signed delivery, even about a real
invoice, without anything having been paid; whoever holds the payment key can produce one.

Neither provider documents a sandbox host, so `test_mode` changes nothing; `base_url` overrides the
host (tests point it at a fake).

Statuses (all documented ones): `paid`, `paid_over`, `wrong_amount` (underpaid, final) -> PAID;
`check`, `process`, `confirm_check`, `wrong_amount_waiting` (underpaid, the payer may still top
up), `locked` (held by the AML check, may be released) -> PENDING; `cancel` (the payer did not pay
before the invoice's lifetime ended) -> EXPIRED; `fail`, `system_fail`, `refund_process`,
`refund_fail`, `refund_paid` -> FAILED. An undocumented status reads as PENDING (nothing credited).

Amounts: `amount` is the invoice's, in `currency` (the hub's asset, as sent); `payer_amount` is what
the payer was asked in `payer_currency`, surcharges included; `payment_amount` is what the payer
sent, in `payer_currency` (it can read 0.00 on a `paid` invoice settled inside the provider). So a
PAID payment is valued in the invoice's asset: `paid` is exactly `amount`; `paid_over` and
`wrong_amount` are `amount * payment_amount / payer_amount`, rounded down to the asset's minor
unit (never credit a fraction that did not arrive), and `paid_over` is never less than `amount`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Context, Decimal
from typing import Any, ClassVar

import httpx

from core_server.domain.provider_api import (
    Intent,
    Notice,
    ProviderConfig,
    ProviderPayment,
    ProviderRejected,
    ProviderState,
    ProviderUnavailable,
    Received,
    SignatureInvalid,
    WebhookReply,
    decimal_text,
    parse_decimal,
)
from core_server.providers import _php_json
from core_server.providers.http import base_url, call, rejected

_STATES: Mapping[str, ProviderState] = {
    "paid": ProviderState.PAID,
    "paid_over": ProviderState.PAID,
    "wrong_amount": ProviderState.PAID,
    "check": ProviderState.PENDING,
    "process": ProviderState.PENDING,
    "confirm_check": ProviderState.PENDING,
    "wrong_amount_waiting": ProviderState.PENDING,
    "locked": ProviderState.PENDING,
    "cancel": ProviderState.EXPIRED,
    "fail": ProviderState.FAILED,
    "system_fail": ProviderState.FAILED,
    "refund_process": ProviderState.FAILED,
    "refund_fail": ProviderState.FAILED,
    "refund_paid": ProviderState.FAILED,
}
_LIFETIME = (300, 43200)  # the invoice lifetime the API accepts, in seconds
_DESCRIPTION_MAX = 255  # additional_data max length
_EXACT = Context(prec=80, rounding=ROUND_FLOOR)


class MerchantApiAdapter:
    """A Cryptomus-shaped provider; subclasses name it and give its default API host."""

    name: ClassVar[str]
    default_base_url: ClassVar[str]
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    option_fields: ClassVar[tuple[str, ...]] = ("merchant_id",)
    required_fields: ClassVar[tuple[str, ...]] = ("api_key", "merchant_id")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        payload: dict[str, Any] = {
            "amount": decimal_text(intent.amount, intent.scale),
            "currency": intent.asset,
            "order_id": intent.reference,
        }
        if config.webhook_url:
            payload["url_callback"] = config.webhook_url
        if intent.return_url:
            payload["url_return"] = intent.return_url
            payload["url_success"] = intent.return_url
        # Outside the accepted range the API refuses the invoice; the nearest allowed lifetime is
        # the closest to what was asked (a late payment still arrives as a webhook).
        payload["lifetime"] = min(max(intent.ttl_seconds, _LIFETIME[0]), _LIFETIME[1])
        if intent.description:
            payload["additional_data"] = intent.description[:_DESCRIPTION_MAX]
        return self._payment(config, await self._post(config, "/v1/payment", payload))

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        return self._payment(config, await self._post(config, "/v1/payment/info", {"uuid": provider_ref}))

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        # `headers` carry nothing signed: the sign travels inside the body.
        try:
            data = _php_json.loads(body)
        except ValueError:
            raise ProviderRejected(f"{self.name}: webhook body is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderRejected(f"{self.name}: webhook body is not a JSON object")
        self._verify(config, data)
        if data.get("type") != "payment":
            return Notice(ignored=True)  # a static wallet's top-up: not an invoice of ours
        payment = self._payment(config, data)
        # Signed is not paid: the provider's "test webhook" call sends a correctly signed
        # notification about a real invoice while nothing was paid, and anyone holding the
        # payment key can make one. The facts are therefore confirmed with /v1/payment/info.
        return Notice(provider_ref=payment.provider_ref, reference=payment.reference, payment=None)

    def reply(self, accepted: bool) -> WebhookReply:
        return WebhookReply() if accepted else WebhookReply(status=401, body=b"refused")

    async def check_config(self, config: ProviderConfig) -> None:
        await self._post(config, "/v1/balance", None)

    def _verify(self, config: ProviderConfig, data: dict[str, Any]) -> None:
        key = config.secret("api_key")
        sign = data.pop("sign", None)
        if not key:
            raise SignatureInvalid(f"{self.name}: no api_key configured to verify with")
        if not isinstance(sign, str) or not sign:
            raise SignatureInvalid(f"{self.name}: webhook has no sign")
        try:
            signed = _php_json.dumps(data).encode()
        except ValueError:
            raise ProviderRejected(f"{self.name}: webhook body cannot be re-encoded as PHP does") from None
        if not hmac.compare_digest(_sign(signed, key).encode(), sign.encode()):
            raise SignatureInvalid(f"{self.name}: webhook sign does not match")

    async def _post(self, config: ProviderConfig, path: str, payload: Mapping[str, Any] | None) -> Any:
        key, merchant = config.secret("api_key"), config.option("merchant_id")
        if not key or not merchant:
            raise ProviderRejected(f"{self.name}: api_key and merchant_id are required")
        body = b"" if payload is None else _php_json.dumps(payload).encode()
        headers = {"merchant": merchant, "sign": _sign(body, key), "content-type": "application/json"}
        url = base_url(config, self.default_base_url) + path
        response = await call(self._client, self.name, "POST", url, headers=headers, content=body)
        try:
            answer = _php_json.loads(response.content)
        except ValueError:
            if response.is_success:  # the call may have worked: say so as an unknown outcome
                raise ProviderUnavailable(f"{self.name}: POST {path} answered without JSON") from None
            raise rejected(self.name, response) from None
        if not response.is_success or not isinstance(answer, dict) or answer.get("state") != 0:
            raise rejected(self.name, response, _error_text(answer))
        return answer.get("result")

    def _payment(self, config: ProviderConfig, result: Any) -> ProviderPayment:
        if not isinstance(result, dict) or not result.get("uuid"):
            raise ProviderRejected(f"{self.name}: answer has no payment uuid")
        status = str(result.get("status") or result.get("payment_status") or "")
        state = _STATES.get(status, ProviderState.PENDING)
        return ProviderPayment(
            provider_ref=str(result["uuid"]),
            reference=str(result.get("order_id") or ""),
            state=state,
            paid=self._received(config, status, result) if state is ProviderState.PAID else None,
            pay_url=str(result.get("url") or ""),
            expires_at=_timestamp(result.get("expired_at")),
            raw_status=status,
        )

    def _received(self, config: ProviderConfig, status: str, result: Mapping[str, Any]) -> Received:
        asset = str(result.get("currency") or "").upper()
        scale = config.scale(asset) if asset else None
        if scale is None:
            raise ProviderRejected(f"{self.name}: no scale known for {asset[:20]!r}; declare the asset in the hub")
        try:
            return Received(asset, _paid_minor(status, result, scale))
        except (ValueError, ArithmeticError):
            raise ProviderRejected(f"{self.name}: the paid amount of a {status} payment cannot be read") from None


def _paid_minor(status: str, result: Mapping[str, Any], scale: int) -> int:
    amount = _number_text(result.get("amount"))
    invoice = parse_decimal(amount, scale)
    if status == "paid":
        return invoice
    sent = Decimal(_number_text(result.get("payment_amount")))
    asked = result.get("payer_amount")
    asked_value = Decimal(_number_text(asked)) if asked is not None else Decimal(0)
    if asked_value > 0:
        value = _EXACT.divide(_EXACT.multiply(Decimal(amount), sent), asked_value)
    elif str(result.get("payer_currency") or result.get("currency")).upper() == str(result.get("currency")).upper():
        value = sent  # no payer_amount, but paid in the invoice's own asset
    else:
        raise ValueError("no payer_amount to value a payment made in another currency")
    minor = int(value.scaleb(scale).to_integral_value(rounding=ROUND_FLOOR))
    if minor < 0:
        raise ValueError("negative amount")
    return max(minor, invoice) if status == "paid_over" else minor


def _number_text(value: Any) -> str:
    """An amount as its exact decimal text: a string as delivered, a JSON number as its literal."""
    if isinstance(value, _php_json.PhpDouble):
        return value.source
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        text = str(value).strip()
        if Decimal(text).is_finite():  # InvalidOperation is an ArithmeticError
            return text
    raise ValueError("not an amount")


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _error_text(answer: Any) -> str:
    """The provider's own words for a refusal: `message`, or the fields `errors` names."""
    if not isinstance(answer, dict):
        return ""
    if isinstance(answer.get("message"), str):
        return str(answer["message"])
    errors = answer.get("errors")
    if isinstance(errors, dict):
        return "; ".join(
            f"{field}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for field, v in errors.items()
        )
    return ""


def _sign(body: bytes, key: str) -> str:
    # The providers' documented scheme is MD5; it is theirs to choose, not ours.
    return hashlib.md5(base64.b64encode(body) + key.encode()).hexdigest()  # noqa: S324
