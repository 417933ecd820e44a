"""MulenPay: a signed payment request per intent; callbacks are unsigned, so the hub puts a secret
in the webhook URL and each callback only names a payment that the domain then fetches.

Doc pages followed:
- MulenPay's OpenAPI document "Mulen Pay API V1" (mulenpay.ru/docs/api; a copy is
  github.com/platem9/mulenpay.ru drupal/docs/api.yml): server https://mulenpay.ru/api, auth
  `Authorization: Bearer <API key>`; POST /v2/payments with currency ("rub"), amount (a string
  with kopecks, "1000.50"), uuid (the shop's order id), shopId (integer), description, items
  (receipt lines: description, quantity, price, vat_code, payment_subject, payment_mode) and
  sign = sha1 of currency + amount + shopId + the secret key, hex; answers 201 {success,
  paymentUrl, id}; GET /v2/payments/{id} answers {success, payment {id, uuid, amount, currency,
  description, status}}; GET /v2/shops/{shopId}/balances (403 for a shop that is not the key's);
  errors {error, status} (401 unauthorized, 422 validation); the callback POSTs {id, amount,
  currency, uuid, payment_status: success | cancel} without any signature.
- The official Python SDK, pypi.org/project/mulenpay-api (WALLEXFINTECH; read, not used):
  utils/calculus.py joins currency, amount, shopId in that order, appends the secret key and
  takes the sha1 hex digest; base URL https://mulenpay.ru/api/v2.

Status mapping (the `status` integer of a payment): 0 created, 1 processing, 5 and 6 hold ->
PENDING; 3 processed -> PAID (the only status that credits); 2 canceled, 4 error -> FAILED.
MulenPay documents no expiry status, so EXPIRED is never reported.

Callbacks: the gateway passes the secret it found in the webhook URL as the
`x-billing-hub-url-secret` header; it must equal the tenant's `webhook_secret`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import httpx

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
    decimal_text,
    parse_decimal,
)
from core_server.providers.http import base_url, call, json_object, rejected

NAME = "mulenpay"
DEFAULT_URL = "https://mulenpay.ru/api"
URL_SECRET_HEADER = "x-billing-hub-url-secret"  # noqa: S105 - a header name, not a secret


_STATES: Mapping[int, ProviderState] = {
    0: ProviderState.PENDING,  # Создан
    1: ProviderState.PENDING,  # В обработке
    2: ProviderState.FAILED,  # Отменен
    3: ProviderState.PAID,  # Обработан
    4: ProviderState.FAILED,  # Ошибка
    5: ProviderState.PENDING,  # Холд: authorised, not captured
    6: ProviderState.PENDING,  # Холд
}

# One receipt line for the whole payment (the API requires `items`): no VAT, a service, paid in full.
_VAT_NONE = 0
_SUBJECT_SERVICE = 4
_MODE_FULL_PAYMENT = 4

_ID = re.compile(r"^[0-9]{1,20}$")


class MulenPayAdapter:
    name: ClassVar[str] = NAME
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "secret_key", "webhook_secret")
    option_fields: ClassVar[tuple[str, ...]] = ("shop_id",)
    required_fields: ClassVar[tuple[str, ...]] = ("api_key", "secret_key", "webhook_secret", "shop_id")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        shop_id = _shop_id(config)
        # MulenPay's documented currency codes are lower case ("rub"); the sign covers the code as sent.
        currency = intent.asset.lower()
        amount = decimal_text(intent.amount, intent.scale)
        description = intent.description or f"Payment {intent.reference}"
        body = {
            "currency": currency,
            "amount": amount,
            "uuid": intent.reference,
            "shopId": int(shop_id),
            "description": description,
            "items": [
                {
                    "description": description,
                    "quantity": 1,
                    "price": amount,
                    "vat_code": _VAT_NONE,
                    "payment_subject": _SUBJECT_SERVICE,
                    "payment_mode": _MODE_FULL_PAYMENT,
                }
            ],
            "sign": payment_sign(currency, amount, shop_id, config.secret("secret_key")),
        }
        # MulenPay has no idempotency key: a create retried after an unknown outcome may open a
        # second payment with the same uuid (only the last pay URL reaches the buyer).
        answer = await self._request(config, "POST", "/v2/payments", json_body=body)
        provider_ref = _payment_id(answer.get("id"))
        pay_url = answer.get("paymentUrl")
        if provider_ref is None or not isinstance(pay_url, str) or not pay_url:
            raise ProviderRejected(f"{NAME}: a created payment without an id or a payment URL")
        return ProviderPayment(
            provider_ref=provider_ref, reference=intent.reference, state=ProviderState.PENDING, pay_url=pay_url
        )

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        if not _ID.match(provider_ref):
            raise ProviderRejected(f"{NAME}: payment ids are numbers")
        answer = await self._request(config, "GET", f"/v2/payments/{provider_ref}")
        payment = answer.get("payment")
        if not isinstance(payment, dict):
            raise ProviderRejected(f"{NAME}: an answer without the payment")
        return _payment(config, payment, provider_ref)

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        expected = config.secret("webhook_secret").encode()
        given = headers.get(URL_SECRET_HEADER, "").encode()
        # An unset secret never matches (not even an empty header): nothing unauthenticated passes.
        if not expected or not hmac.compare_digest(given, expected):
            raise SignatureInvalid(f"{NAME}: the webhook URL secret does not match")
        callback = json_object(body, NAME)
        provider_ref = _payment_id(callback.get("id"))
        if provider_ref is None:
            raise ProviderRejected(f"{NAME}: a callback without a payment id")
        reference = callback.get("uuid")
        # Unsigned body: its status and amount are not taken; the domain fetches the payment. Every
        # payment_status (success, cancel, or one not documented yet) is worth that fetch.
        return Notice(provider_ref=provider_ref, reference=reference if isinstance(reference, str) else "")

    def reply(self, accepted: bool) -> WebhookReply:
        return WebhookReply() if accepted else WebhookReply(status=401, body=b"refused")

    async def check_config(self, config: ProviderConfig) -> None:
        # The shop's balances: read-only, 401 for a wrong API key and 403 for a shop id that is not
        # the key's. The signing secret_key is only checked by a real create.
        await self._request(config, "GET", f"/v2/shops/{_shop_id(config)}/balances")

    async def _request(
        self, config: ProviderConfig, method: str, path: str, *, json_body: Any = None
    ) -> dict[str, Any]:
        url = base_url(config, DEFAULT_URL) + path
        headers = {"authorization": f"Bearer {config.secret('api_key')}", "accept": "application/json"}
        response = await call(self._client, NAME, method, url, headers=headers, json_body=json_body)
        if not response.is_success:
            raise rejected(NAME, response, _error_text(response))
        answer = json_object(response.content, NAME)
        if answer.get("success") is False:
            raise rejected(NAME, response, _error_text(response))
        return answer


def payment_sign(currency: str, amount: str, shop_id: str, secret_key: str) -> str:
    """The `sign` of a payment request: sha1 hex of currency + amount + shopId + secret key."""
    text = f"{currency}{amount}{shop_id}{secret_key}"
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - MulenPay's documented scheme, not our choice


def _shop_id(config: ProviderConfig) -> str:
    shop_id = config.option("shop_id")
    if not _ID.match(shop_id):
        raise ProviderRejected(f"{NAME}: shop_id must be the shop's number")
    return shop_id


def _error_text(response: httpx.Response) -> str:
    """MulenPay's own words ({error} or {message}); never our request, which holds the keys."""
    try:
        error = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(error, dict):
        return ""
    return " ".join(str(error[key]) for key in ("error", "message") if isinstance(error.get(key), str))


def _payment_id(value: object) -> str | None:
    """A payment id as the hub keeps it: the decimal text of MulenPay's integer id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and _ID.match(value):
        return str(int(value))
    return None


def _status(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _payment(config: ProviderConfig, payment: Mapping[str, Any], provider_ref: str) -> ProviderPayment:
    status = _status(payment.get("status"))
    if status is None:
        raise ProviderRejected(f"{NAME}: a payment without a status")
    # A status MulenPay adds later is not money arrived: PENDING until it is understood.
    state = _STATES.get(status, ProviderState.PENDING)
    reference = payment.get("uuid")
    return ProviderPayment(
        provider_ref=_payment_id(payment.get("id")) or provider_ref,
        reference=reference if isinstance(reference, str) else "",
        state=state,
        paid=_received(config, payment) if state is ProviderState.PAID else None,
        raw_status=str(status),
    )


def _received(config: ProviderConfig, payment: Mapping[str, Any]) -> Received:
    """What a processed payment brought, exactly, in the hub's asset code (MulenPay says "rub")."""
    value = payment.get("amount")
    currency = payment.get("currency")
    asset = currency.upper() if isinstance(currency, str) else ""
    scale = config.scale(asset) if asset else None
    try:
        if scale is None or not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            raise ValueError("no readable amount")
        return Received(asset, parse_decimal(str(value), scale))
    except ValueError:
        raise ProviderRejected(f"{NAME}: a processed payment with an unreadable amount") from None


ADAPTER = MulenPayAdapter
