"""Telegram Stars: payments in XTR through the tenant's own bot, over the Bot API.

Stars have no webhooks and no secrets of their own. The adapter acts as the tenant's bot (its
token comes in the config as the secret `bot_token`, because the class declares
`uses_bot_token`): invoice links are made with createInvoiceLink, and what was paid is read back
from getStarTransactions, where an incoming payment's id is the `telegram_payment_charge_id` of
its successful_payment and its source (a TransactionPartnerUser) carries the invoice payload,
which is the hub's payment id. A charge exists only once paid, so a Stars payment has no
provider_ref before that; CheckPayment and the reconciliation worker find it by the payload
(`find_by_reference`).

The payment itself reaches the hub through the bot: the gateway relays pre_checkout_query and
successful_payment to ValidatePreCheckout and ConfirmTelegramPayment (domain/payments/stars*.py).
A charge is given back with refundStarPayment (`refund_charge`); Telegram answers a charge it
refunded before with CHARGE_ALREADY_REFUNDED, which is a refund done. A subscription's renewal is
stopped with editUserStarSubscription (`cancel_renewal`).

The Bot API puts the token in the URL path (/bot<token>/<method>), so every message names the
method only; httpx's own request log is silenced in core_server/logs.py for the same reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any, ClassVar

import httpx

from core_server.domain.provider_api import (
    BOT_TOKEN,
    Intent,
    Notice,
    ProviderConfig,
    ProviderPayment,
    ProviderRejected,
    ProviderState,
    Received,
    WebhookReply,
)
from core_server.providers.http import base_url, call, json_of, rejected

NAME = "telegram_stars"
STARS = "XTR"
DEFAULT_URL = "https://api.telegram.org"
TITLE_LIMIT, DESCRIPTION_LIMIT = 32, 255
PAGE = 100  # getStarTransactions' largest page
MAX_PAGES = 10  # a lookup reads at most the 1000 most recent transactions
ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


class BotApiRefusal(ProviderRejected):
    """An answer with `ok` false; `description` is Telegram's own ("Bad Request: ...")."""

    def __init__(self, message: str, description: str) -> None:
        super().__init__(message)
        self.description = description


def _is_user_payment(transaction: Mapping[str, Any]) -> bool:
    """An incoming payment by a user for an invoice (not a refund, a withdrawal, paid media)."""
    source = transaction.get("source")
    return (
        isinstance(source, dict)
        and source.get("type") == "user"
        and source.get("transaction_type", "invoice_payment") == "invoice_payment"
    )


def _paid(transaction: Mapping[str, Any]) -> ProviderPayment:
    amount = transaction.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ProviderRejected(f"{NAME}: a transaction without a positive whole amount of Stars")
    source = transaction["source"]
    return ProviderPayment(
        provider_ref=str(transaction.get("id", "")),
        reference=str(source.get("invoice_payload") or ""),
        state=ProviderState.PAID,
        paid=Received(STARS, amount),
        raw_status="paid",
        recurring=bool(source.get("subscription_period")),  # a charge of a Telegram subscription
    )


class TelegramStars:
    name: ClassVar[str] = NAME
    secret_fields: ClassVar[tuple[str, ...]] = ()
    option_fields: ClassVar[tuple[str, ...]] = ()
    required_fields: ClassVar[tuple[str, ...]] = ()
    uses_bot_token: ClassVar[bool] = True

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def _call(self, config: ProviderConfig, method: str, params: Mapping[str, Any]) -> Any:
        """One Bot API method; its `result` when `ok`, else the error the answer describes."""
        token = config.secret(BOT_TOKEN)
        if not token:
            raise ProviderRejected(f"{NAME}: the tenant has no bot token")
        url = f"{base_url(config, DEFAULT_URL)}/bot{token}/{method}"
        response = await call(
            self._client, NAME, "POST", url, json_body=dict(params), shown_path=f"/bot<token>/{method}"
        )
        data = json_of(response, NAME)
        if not isinstance(data, dict) or data.get("ok") is not True:
            detail = str(data.get("description", "")) if isinstance(data, dict) else "not a Bot API answer"
            raise BotApiRefusal(str(rejected(NAME, response, f"{method}: {detail}")), detail)
        return data.get("result")

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        """An invoice link; the charge id (provider_ref) is only known once the buyer pays."""
        if intent.asset != STARS:
            raise ProviderRejected(f"{NAME}: takes {STARS} only, not {intent.asset}")
        title = (intent.title or intent.description or "Payment")[:TITLE_LIMIT]
        params: dict[str, Any] = {
            "title": title,
            "description": (intent.description or title)[:DESCRIPTION_LIMIT],
            "payload": intent.reference,
            "provider_token": "",
            "currency": STARS,
            "prices": [{"label": title, "amount": intent.amount}],
        }
        if intent.subscription_period:
            params["subscription_period"] = intent.subscription_period
        link = await self._call(config, "createInvoiceLink", params)
        if not isinstance(link, str) or not link:
            raise ProviderRejected(f"{NAME}: createInvoiceLink answered no link")
        return ProviderPayment(
            provider_ref="", reference=intent.reference, state=ProviderState.PENDING, pay_url=link, raw_status="open"
        )

    async def _user_payments(self, config: ProviderConfig) -> AsyncIterator[Mapping[str, Any]]:
        """The bot's incoming invoice payments among its most recent transactions, page by page."""
        for page in range(MAX_PAGES):
            result = await self._call(config, "getStarTransactions", {"offset": page * PAGE, "limit": PAGE})
            transactions = result.get("transactions") if isinstance(result, dict) else None
            if not isinstance(transactions, list):
                raise ProviderRejected(f"{NAME}: getStarTransactions answered no transaction list")
            for transaction in transactions:
                if isinstance(transaction, dict) and _is_user_payment(transaction):
                    yield transaction
            if len(transactions) < PAGE:
                return

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        """The charge `provider_ref` (a telegram_payment_charge_id): PAID when the bot received it."""
        async for transaction in self._user_payments(config):
            if str(transaction.get("id", "")) == provider_ref:
                return _paid(transaction)
        return ProviderPayment(provider_ref=provider_ref, reference="", state=ProviderState.PENDING)

    async def find_by_reference(self, config: ProviderConfig, reference: str) -> ProviderPayment:
        """The first charge whose invoice payload is `reference`. A subscription invoice is
        charged again on each renewal under the same payload: the oldest charge is the one that
        paid the invoice itself (renewals are payments of their own)."""
        first: Mapping[str, Any] | None = None
        async for transaction in self._user_payments(config):
            if transaction["source"].get("invoice_payload") != reference:
                continue
            if first is None or _date(transaction) < _date(first):
                first = transaction
        if first is None:
            return ProviderPayment(provider_ref="", reference=reference, state=ProviderState.PENDING)
        return _paid(first)

    async def renewal_charges(
        self, config: ProviderConfig, payer: str, references: Collection[str]
    ) -> list[ProviderPayment]:
        """The subscription charges the user `payer` paid under any of `references` (invoice
        payloads) among the bot's most recent transactions, oldest first."""
        if not (payer.isascii() and payer.isdigit()):
            raise ProviderRejected(f"{NAME}: a subscriber is a Telegram user id, a number")
        found: list[Mapping[str, Any]] = []
        async for transaction in self._user_payments(config):
            source = transaction["source"]
            user = source.get("user")
            if source.get("invoice_payload") not in references or not source.get("subscription_period"):
                continue
            if isinstance(user, dict) and str(user.get("id", "")) == payer:
                found.append(transaction)
        return [_paid(transaction) for transaction in sorted(found, key=_date)]

    async def refund_charge(self, config: ProviderConfig, payer: str, provider_ref: str) -> None:
        """refundStarPayment: the charge back to the user who paid it (`payer`, a Telegram user
        id). A charge Telegram refunded before (CHARGE_ALREADY_REFUNDED) is a refund done."""
        if not (payer.isascii() and payer.isdigit()):
            raise ProviderRejected(f"{NAME}: a refund goes to a Telegram user id, a number")
        params = {"user_id": int(payer), "telegram_payment_charge_id": provider_ref}
        try:
            await self._call(config, "refundStarPayment", params)
        except BotApiRefusal as refusal:
            if ALREADY_REFUNDED not in refusal.description:
                raise

    async def cancel_renewal(self, config: ProviderConfig, payer: str, provider_ref: str) -> None:
        """editUserStarSubscription with is_canceled: Telegram stops charging the subscriber
        (`payer`, a Telegram user id) at the end of the period paid for."""
        if not (payer.isascii() and payer.isdigit()):
            raise ProviderRejected(f"{NAME}: a subscription belongs to a Telegram user id, a number")
        params = {"user_id": int(payer), "telegram_payment_charge_id": provider_ref, "is_canceled": True}
        await self._call(config, "editUserStarSubscription", params)

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        raise ProviderRejected(f"{NAME}: Stars payments reach the tenant's bot, not a webhook")

    def reply(self, accepted: bool) -> WebhookReply:
        return WebhookReply(200, b"OK") if accepted else WebhookReply(404, b"no webhooks for telegram_stars")

    async def check_config(self, config: ProviderConfig) -> None:
        """getMe with the tenant's bot token."""
        me = await self._call(config, "getMe", {})
        if not isinstance(me, dict) or me.get("is_bot") is not True:
            raise ProviderRejected(f"{NAME}: getMe did not describe a bot")


def _date(transaction: Mapping[str, Any]) -> int:
    date = transaction.get("date")
    return date if isinstance(date, int) and not isinstance(date, bool) else 0


ADAPTER = TelegramStars
