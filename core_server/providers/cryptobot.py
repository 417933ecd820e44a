"""CryptoBot (Crypto Pay API): invoices the buyer pays inside Telegram's @CryptoBot.

Followed (the official reference is one page, "Crypto Pay API", at
https://help.send.tg/en/articles/10279948-crypto-pay-api, formerly https://help.crypt.bot/crypto-pay-api):
- "Authorizing your app": methods are https://pay.crypt.bot/api/<method> (testnet
  https://testnet-pay.crypt.bot/api/<method>), the app token goes in the `Crypto-Pay-API-Token`
  header, and every answer is `{"ok": true, "result": ...}` or `{"ok": false, "error": {"code", "name"}}`.
- getMe (the credentials check), createInvoice (`currency_type` "crypto" with `asset`, or "fiat"
  with `fiat`; `amount` as a decimal string; `payload` up to 4 kB; `description` up to 1024
  characters; `expires_in` 1-2678400 seconds; `paid_btn_name`/`paid_btn_url`), getInvoices
  (`invoice_ids`, answered as `{"items": [Invoice]}`).
- The Invoice type: `status` is "active", "paid" or "expired"; `bot_invoice_url` is the pay link
  (`pay_url` is deprecated since 1.2); `paid_asset`/`paid_amount` are documented only for fiat
  invoices; `payload` echoes ours.
- "Webhooks" and "Verifying webhook updates": an Update `{update_id, update_type, request_date,
  payload: Invoice}` where the only update type is "invoice_paid" and `update_id` is not unique;
  the `crypto-pay-api-signature` header is the hex HMAC-SHA-256 of the raw (unparsed) body keyed
  with the SHA-256 digest of the app token.
SDKs read to confirm field names and the signing key: vovchic17/aiosend, the crypto-pay-api crate.

Fiat invoices: an asset the API lists as a fiat currency (RUB, USD, ...) is invoiced with
`currency_type` "fiat", the buyer pays its value in crypto at CryptoBot's rate, and the payment is
reported as the fiat amount of the invoice (what it settled), since a crypto `paid_asset` could
never match the asked asset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
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
from core_server.providers.http import base_url, call, rejected

NAME = "cryptobot"
LIVE_URL = "https://pay.crypt.bot/api"
TESTNET_URL = "https://testnet-pay.crypt.bot/api"
TOKEN_HEADER = "Crypto-Pay-API-Token"  # noqa: S105 -- a header name, not a credential
SIGNATURE_HEADER = "crypto-pay-api-signature"
PAID_UPDATE = "invoice_paid"

MAX_EXPIRES_IN = 2_678_400
MAX_DESCRIPTION = 1024

# The fiat codes createInvoice accepts in `fiat` (API 1.2); anything else is sent as a crypto `asset`.
FIAT_CODES = frozenset(
    {"USD", "EUR", "RUB", "BYN", "UAH", "GBP", "CNY", "KZT", "UZS", "GEL"}
    | {"TRY", "AMD", "THB", "INR", "BRL", "IDR", "AZN", "AED", "PLN", "ILS"}
)
STATES: Mapping[str, ProviderState] = {
    "active": ProviderState.PENDING,
    "paid": ProviderState.PAID,
    "expired": ProviderState.EXPIRED,
}


class CryptoBotAdapter:
    """Crypto Pay invoices; the invoice id is the dedup key, our payment id rides in `payload`."""

    name: ClassVar[str] = NAME
    secret_fields: ClassVar[tuple[str, ...]] = ("api_token",)
    option_fields: ClassVar[tuple[str, ...]] = ()
    required_fields: ClassVar[tuple[str, ...]] = ("api_token",)

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        result = await self._api(config, "POST", "createInvoice", json_body=_invoice_request(intent))
        if not isinstance(result, dict):
            raise ProviderRejected(f"{NAME}: createInvoice answered without an invoice")
        return _payment(result, config.scales)

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        if not (provider_ref.isascii() and provider_ref.isdigit()):
            raise ProviderRejected(f"{NAME}: {provider_ref[:40]!r} is not a CryptoBot invoice id")
        wanted = str(int(provider_ref))
        result = await self._api(config, "GET", "getInvoices", params={"invoice_ids": wanted})
        items = result.get("items") if isinstance(result, dict) else result
        if not isinstance(items, list):
            raise ProviderRejected(f"{NAME}: getInvoices answered without a list of invoices")
        for item in items:
            if isinstance(item, dict) and _invoice_id(item) == wanted:
                return _payment(item, config.scales)
        raise ProviderRejected(f"{NAME}: invoice {wanted} not found")

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        token = config.secret("api_token")
        given = headers.get(SIGNATURE_HEADER, "").strip().lower()
        if not given:
            raise SignatureInvalid(f"{NAME}: webhook without the {SIGNATURE_HEADER} header")
        if not token:
            raise SignatureInvalid(f"{NAME}: no api_token to verify the webhook with")
        if not hmac.compare_digest(webhook_signature(token, body).encode(), given.encode("utf-8", "replace")):
            raise SignatureInvalid(f"{NAME}: webhook signature does not verify")
        update = _loads(body, "webhook body")
        if not isinstance(update, dict):
            raise ProviderRejected(f"{NAME}: webhook body is not a JSON object")
        # `request_date` is not checked: the docs set no freshness window and retry deliveries for
        # up to 3 days (API 1.5.2); a replayed update is harmless, deduplicated by the invoice id.
        if update.get("update_type") != PAID_UPDATE:
            return Notice(ignored=True)
        invoice = update.get("payload")
        if not isinstance(invoice, dict):
            raise ProviderRejected(f"{NAME}: {PAID_UPDATE} update without an invoice")
        payment = _payment(invoice, config.scales)
        return Notice(provider_ref=payment.provider_ref, reference=payment.reference, payment=payment)

    def reply(self, accepted: bool) -> WebhookReply:
        # Anything but 200 makes Crypto Pay deliver again (API 1.5.2: 17 attempts over 3 days).
        return WebhookReply() if accepted else WebhookReply(status=401, body=b"refused")

    async def check_config(self, config: ProviderConfig) -> None:
        result = await self._api(config, "GET", "getMe")
        if not isinstance(result, dict):
            raise ProviderRejected(f"{NAME}: getMe answered without an app")

    async def _api(
        self,
        config: ProviderConfig,
        http_method: str,
        method: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any:
        """One API method's `result`. A refusal is ProviderRejected whether it comes as a 4xx or as
        `"ok": false` under a 200; 5xx, timeouts and 429 are ProviderUnavailable."""
        url = f"{base_url(config, LIVE_URL, TESTNET_URL)}/{method}"
        headers = {TOKEN_HEADER: _token(config)}
        response = await call(self._client, NAME, http_method, url, headers=headers, params=params, json_body=json_body)
        answer = _loads(response.content, f"{method} answer", response.status_code)
        if not response.is_success or not isinstance(answer, dict) or answer.get("ok") is not True:
            raise rejected(NAME, response, f"{method}: {_error_name(answer)}")
        if "result" not in answer:
            raise rejected(NAME, response, f"{method}: answered without a result")
        return answer["result"]


def webhook_signature(token: str, body: bytes) -> str:
    """What Crypto Pay puts in `crypto-pay-api-signature`: hex HMAC-SHA-256 of the raw body, keyed
    with the raw 32-byte SHA-256 digest of the app token (not its hex)."""
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _invoice_request(intent: Intent) -> dict[str, Any]:
    body: dict[str, Any] = {"amount": decimal_text(intent.amount, intent.scale), "payload": intent.reference}
    if intent.asset in FIAT_CODES:
        body.update(currency_type="fiat", fiat=intent.asset)
    else:
        body.update(currency_type="crypto", asset=intent.asset)
    if intent.description:
        body["description"] = intent.description[:MAX_DESCRIPTION]
    if intent.ttl_seconds > 0:
        # Beyond the API's maximum the hub's own expiry still applies; the invoice just lives 31 days.
        body["expires_in"] = min(intent.ttl_seconds, MAX_EXPIRES_IN)
    if intent.return_url.startswith(("https://", "http://")):
        # The documented "Return" button after payment; other schemes are refused by the API.
        body.update(paid_btn_name="callback", paid_btn_url=intent.return_url)
    return body


def _payment(invoice: Mapping[str, Any], scales: Mapping[str, int]) -> ProviderPayment:
    provider_ref = _invoice_id(invoice)
    if not provider_ref:
        raise ProviderRejected(f"{NAME}: an invoice without an invoice_id")
    status = invoice.get("status")
    raw_status = status if isinstance(status, str) else ""
    # An undocumented status is neither money nor an end: keep waiting, and keep it in raw_status.
    state = STATES.get(raw_status, ProviderState.PENDING)
    reference = invoice.get("payload")
    return ProviderPayment(
        provider_ref=provider_ref,
        reference=reference if isinstance(reference, str) else "",
        state=state,
        paid=_received(invoice, scales, provider_ref) if state is ProviderState.PAID else None,
        pay_url=_pay_url(invoice),
        expires_at=_moment(invoice.get("expiration_date")),
        raw_status=raw_status,
    )


def _received(invoice: Mapping[str, Any], scales: Mapping[str, int], provider_ref: str) -> Received:
    """What a paid invoice brought. Crypto invoices: `paid_asset`/`paid_amount` where given (the
    docs promise them only for fiat invoices), else the invoice's own `asset`/`amount`."""
    if invoice.get("currency_type") == "fiat":
        asset, amount = invoice.get("fiat"), invoice.get("amount")
    elif invoice.get("paid_asset") and invoice.get("paid_amount") is not None:
        asset, amount = invoice.get("paid_asset"), invoice.get("paid_amount")
    else:
        asset, amount = invoice.get("asset"), invoice.get("amount")
    if not isinstance(asset, str) or not asset:
        raise ProviderRejected(f"{NAME}: paid invoice {provider_ref} does not name its asset")
    scale = scales.get(asset.upper())
    if scale is None:
        raise ProviderRejected(f"{NAME}: paid invoice {provider_ref} is in {asset[:16]}, whose scale is unknown")
    try:
        minor = parse_decimal(_amount_text(amount), scale)
    except ValueError:
        raise ProviderRejected(f"{NAME}: paid invoice {provider_ref} has an unreadable amount") from None
    if minor < 0:
        raise ProviderRejected(f"{NAME}: paid invoice {provider_ref} has a negative amount")
    return Received(asset, minor)


def _invoice_id(invoice: Mapping[str, Any]) -> str:
    value = invoice.get("invoice_id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0:
        return str(int(value))
    return ""


def _pay_url(invoice: Mapping[str, Any]) -> str:
    for key in ("bot_invoice_url", "mini_app_invoice_url", "web_app_invoice_url", "pay_url"):
        url = invoice.get(key)
        if isinstance(url, str) and url:
            return url
    return ""


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _amount_text(value: Any) -> str:
    if isinstance(value, str | Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise ValueError("not an amount")


def _loads(content: bytes, what: str, status: int | None = None) -> Any:
    """JSON with decimals kept exact (`parse_float=Decimal`): amounts never pass through a float."""
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        answered = f" (HTTP {status})" if status is not None else ""
        raise ProviderRejected(f"{NAME}: {what} is not JSON{answered}") from None


def _error_name(answer: Any) -> str:
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict) and isinstance(error.get("name"), str):
        return str(error["name"])[:100]
    return "refused without an error name"


def _token(config: ProviderConfig) -> str:
    token = config.secret("api_token")
    if not token:
        raise ProviderRejected(f"{NAME}: api_token is not set")
    if not (token.isascii() and token.isprintable()) or any(ch.isspace() for ch in token):
        # Checked here because httpx would raise while encoding the header, with the token inside.
        raise ProviderRejected(f"{NAME}: api_token is malformed")
    return token


ADAPTER = CryptoBotAdapter
