"""YooKassa (ЮKassa): a redirect payment per intent; notifications are unsigned, so each one only
names a payment that the domain then fetches with the tenant's own credentials before crediting.

Doc pages followed (yookassa.ru/developers, API v3):
- using-api/basics ("Формат взаимодействия с API ЮKassa"): endpoint https://api.yookassa.ru/v3/,
  HTTP Basic auth with the shop id as user and the secret key as password, the `Idempotence-Key`
  header (a repeated request with the same key answers the first result).
- payments/quick-start ("Быстрый старт"): POST /payments with amount {value, currency} (value a
  decimal string), capture=true, confirmation {type: redirect, return_url}, description (at most
  128 characters), metadata; the buyer is sent to confirmation.confirmation_url.
- using-api/response-handling/http-codes and response-format: errors are
  {type: error, id, code, description, parameter}; 401 invalid_credentials, 404 not_found,
  429 too_many_requests, 500 means the outcome is unknown (repeat with the same idempotence key).
- payments/declined-payments ("Неуспешные платежи"): a canceled payment carries
  cancellation_details {party, reason}; expired_on_confirmation / expired_on_capture are timeouts.
- using-api/webhooks ("Входящие уведомления"): {type: notification, event, object}; events
  payment.waiting_for_capture / payment.succeeded / payment.canceled / refund.succeeded (and
  payout.*, deal.*, payment_method.* for other products); answer HTTP 200, anything else makes
  YooKassa redeliver for 24 hours. Notifications carry no signature: the docs advise checking the
  sender's IP and the object's status through the API.
- The official SDK github.com/yoomoney/yookassa-sdk-python: settings.py (GET /me, the shop's
  settings: account_id, test, status) and domain/common/security_helper.py (the sender IPs).

YooKassa sends notifications from 185.71.76.0/27, 185.71.77.0/27, 77.75.153.0/25, 77.75.156.11,
77.75.156.35, 77.75.154.128/25 and 2a02:5180::/32 (using-api/webhooks#ip). The gateway may filter
on that list; this adapter never trusts the body anyway (the domain re-fetches the payment, and a
payment id from another shop is not found with this tenant's keys).

Status mapping: pending -> PENDING; waiting_for_capture -> PENDING (money only authorised: we ask
capture=true, so it is captured without us); succeeded -> PAID with `amount`; canceled -> EXPIRED
when the reason is a timeout, else FAILED.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

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
    WebhookReply,
    decimal_text,
    parse_decimal,
)
from core_server.providers.http import base_url, call, json_object, rejected

NAME = "yookassa"
DEFAULT_URL = "https://api.yookassa.ru/v3"
DESCRIPTION_LIMIT = 128


_EXPIRY_REASONS = frozenset({"expired_on_confirmation", "expired_on_capture"})

# Events of payment objects; every other object (refund, payout, deal, payment_method) is ignored.
_PAYMENT_OBJECT = "payment"


class YooKassaAdapter:
    name: ClassVar[str] = NAME
    secret_fields: ClassVar[tuple[str, ...]] = ("secret_key",)
    # `return_url` is optional: where the buyer lands after paying when the intent names none
    # (YooKassa requires one for a redirect confirmation).
    option_fields: ClassVar[tuple[str, ...]] = ("shop_id", "return_url")
    required_fields: ClassVar[tuple[str, ...]] = ("shop_id", "secret_key")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        return_url = intent.return_url or config.option("return_url")
        if not return_url:
            raise ProviderRejected(f"{NAME}: a return URL is required (the intent's or the return_url option)")
        body: dict[str, Any] = {
            "amount": {"value": decimal_text(intent.amount, intent.scale), "currency": intent.asset},
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": return_url},
            "metadata": {"reference": intent.reference},
        }
        if intent.description:
            body["description"] = intent.description[:DESCRIPTION_LIMIT]
        # The hub's payment id as the idempotence key: a create retried after a timeout or a 5xx
        # gets the payment the first attempt opened, never a second one (YooKassa keeps keys 24 h).
        response = await self._request(
            config, "POST", "/payments", json_body=body, headers={"Idempotence-Key": intent.reference}
        )
        return _payment(config, _object(response))

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        response = await self._request(config, "GET", f"/payments/{quote(provider_ref, safe='')}")
        return _payment(config, _object(response))

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        notification = json_object(body, NAME)
        event = notification.get("event")
        payment = notification.get("object")
        if notification.get("type") != "notification" or not isinstance(event, str) or not isinstance(payment, dict):
            raise ProviderRejected(f"{NAME}: not a notification")
        if event.split(".", 1)[0] != _PAYMENT_OBJECT:
            return Notice(ignored=True)
        provider_ref = payment.get("id")
        if not isinstance(provider_ref, str) or not provider_ref:
            raise ProviderRejected(f"{NAME}: a payment notification without a payment id")
        # Unsigned: only the id is taken from it (the reference is a hint for logs); the domain
        # fetches the payment before crediting anything.
        return Notice(provider_ref=provider_ref, reference=_reference(payment), payment=None)

    def reply(self, accepted: bool) -> WebhookReply:
        # YooKassa ignores the body; only a 200 stops redelivery.
        return WebhookReply() if accepted else WebhookReply(status=400, body=b"refused")

    async def check_config(self, config: ProviderConfig) -> None:
        # GET /me: the shop's settings, a read-only call that only answers 200 to this shop id
        # with its own secret key (401 invalid_credentials otherwise).
        _object(await self._request(config, "GET", "/me"))

    async def _request(
        self,
        config: ProviderConfig,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url = base_url(config, DEFAULT_URL) + path
        auth = (config.option("shop_id"), config.secret("secret_key"))
        response = await call(self._client, NAME, method, url, headers=headers, json_body=json_body, auth=auth)
        if response.status_code == 200:
            return response
        if response.is_success:
            # A 2xx other than 200 (processing not finished): the outcome is unknown and the same
            # call may be repeated later with the same idempotence key.
            raise ProviderUnavailable(f"{NAME}: {method} {httpx.URL(url).path} answered {response.status_code}")
        raise rejected(NAME, response, _error_text(response))


def _object(response: httpx.Response) -> dict[str, Any]:
    return json_object(response.content, NAME)


def _error_text(response: httpx.Response) -> str:
    """YooKassa's own code and description (never our request, which holds the key)."""
    try:
        error = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(error, dict):
        return ""
    parts = [str(error[key]) for key in ("code", "description", "parameter") if isinstance(error.get(key), str)]
    return " ".join(parts)


def _reference(payment: Mapping[str, Any]) -> str:
    metadata = payment.get("metadata")
    reference = metadata.get("reference") if isinstance(metadata, dict) else None
    return reference if isinstance(reference, str) else ""


def _payment(config: ProviderConfig, payment: Mapping[str, Any]) -> ProviderPayment:
    provider_ref = payment.get("id")
    status = payment.get("status")
    if not isinstance(provider_ref, str) or not provider_ref or not isinstance(status, str):
        raise ProviderRejected(f"{NAME}: a payment without an id or a status")
    state = _state(status, payment)
    confirmation = payment.get("confirmation")
    pay_url = confirmation.get("confirmation_url") if isinstance(confirmation, dict) else None
    return ProviderPayment(
        provider_ref=provider_ref,
        reference=_reference(payment),
        state=state,
        paid=_received(config, payment) if state is ProviderState.PAID else None,
        pay_url=pay_url if isinstance(pay_url, str) else "",
        expires_at=_instant(payment.get("expires_at")),
        raw_status=status,
    )


def _state(status: str, payment: Mapping[str, Any]) -> ProviderState:
    if status == "succeeded":
        return ProviderState.PAID
    if status == "canceled":
        details = payment.get("cancellation_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return ProviderState.EXPIRED if reason in _EXPIRY_REASONS else ProviderState.FAILED
    # pending, waiting_for_capture, and any status YooKassa adds later: nothing has arrived yet
    # (the raw status is kept; reconciliation asks again).
    return ProviderState.PENDING


def _received(config: ProviderConfig, payment: Mapping[str, Any]) -> Received:
    """`amount` of a succeeded payment as minor units of its currency; one that cannot be read
    exactly is a refusal, never a guess."""
    amount = payment.get("amount")
    value = amount.get("value") if isinstance(amount, dict) else None
    currency = amount.get("currency") if isinstance(amount, dict) else None
    scale = config.scale(currency) if isinstance(currency, str) else None
    try:
        if scale is None or not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            raise ValueError("no readable amount")
        return Received(str(currency), parse_decimal(str(value), scale))
    except ValueError:
        raise ProviderRejected(f"{NAME}: a succeeded payment with an unreadable amount") from None


def _instant(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


ADAPTER = YooKassaAdapter
