"""A fake Telegram Bot API for the Stars adapter: getMe, createInvoiceLink, getStarTransactions,
refundStarPayment, editUserStarSubscription.

It answers under /bot<token>/<method> the way the Bot API documents it
(https://core.telegram.org/bots/api#payments): parameters as JSON or a form, the `{"ok": ...}`
envelope with `error_code` and `description`, 401 for an unknown token. createInvoiceLink checks
the Stars rules (currency XTR, exactly one price, provider_token empty, payload 1 to 128 bytes,
title 1 to 32 and description 1 to 255 characters, subscription_period 2592000 only). Tests make
the bot receive payments with `pay` (a StarTransaction whose source is a TransactionPartnerUser
with the invoice payload, whose id is the charge id the successful_payment would carry) and add
unrelated traffic with `noise`; getStarTransactions serves them newest first, as the Bot API does
in practice, paged by offset and limit. refundStarPayment gives a charge back once (the user who
paid it, by charge id): a refund transaction (same id, the user as `receiver`) is added, and a
second call answers 400 CHARGE_ALREADY_REFUNDED, as Telegram does; `refund_then_fail` makes the
next refunds happen and their answers get lost (a 5xx after refunding). editUserStarSubscription
takes a charge of a subscription (one paid with a subscription_period) by the user who paid it and
records whether its renewal is cancelled; setting what is already set answers 400
SUBSCRIPTION_NOT_MODIFIED (this fake's wording: nothing reads it).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from aiohttp import web

from tests.providers.fakes.server import ServedApp, new_app

TOKEN = "7000001:AAFakeBotTokenForStarsTests_0123456789"
SUBSCRIPTION_PERIOD = 2_592_000


def _answer(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


class FakeTelegramBotApi(ServedApp):
    def __init__(self, token: str = TOKEN) -> None:
        self.tokens = {token}
        self.base_url = ""  # set by the test once served
        self.links: dict[str, dict[str, Any]] = {}  # slug -> createInvoiceLink's parameters
        self.transactions: list[dict[str, Any]] = []  # oldest first, as they happened
        self.refunded: list[str] = []  # charge ids given back, in order
        self.refund_answers_lost: list[int] = []  # statuses answered instead, after refunding
        self.renewal_cancelled: dict[str, bool] = {}  # subscription charge id -> is_canceled, as last set
        self._ids = itertools.count(1)
        self._clock = itertools.count(int(time.time()))
        self.app = new_app()
        self.app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        self.app.router.add_route("GET", "/bot{token}/{method}", self._handle)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of each call of `method` received so far."""
        return [json.loads(r.body or b"{}") for r in self.recorded if r.path.endswith(f"/{method}")]

    # --- what happens at Telegram -------------------------------------------------------------------

    def pay(self, payload: str, amount: int, *, user: int = 1, charge_id: str = "", period: int = 0) -> str:
        """The user pays an invoice: the bot receives Stars. Returns the charge id."""
        charge = charge_id or f"stxFakeCharge{next(self._ids):06d}"
        source: dict[str, Any] = {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": {"id": user, "is_bot": False, "first_name": "Buyer"},
            "invoice_payload": payload,
        }
        if period:
            source["subscription_period"] = period
        self.transactions.append({"id": charge, "amount": amount, "date": next(self._clock), "source": source})
        return charge

    def refund_then_fail(self, *statuses: int) -> None:
        """The next refunds are made, but their answers are these statuses (5xx) instead of ok."""
        self.refund_answers_lost.extend(statuses)

    def noise(self, count: int) -> None:
        """Other traffic: payments for other invoices and a withdrawal."""
        for _ in range(count):
            self.pay(f"other-{next(self._ids)}", 7, user=99)
        self.transactions.append(
            {"id": f"wd{next(self._ids)}", "amount": 5, "date": next(self._clock), "receiver": {"type": "fragment"}}
        )

    # --- the API ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.tokens:
            return _error(401, "Unauthorized")
        if request.content_type == "application/json":
            params: dict[str, Any] = await request.json()
        else:
            params = dict(await request.post())
        method = request.match_info["method"]
        if method == "getMe":
            bot_id = int(request.match_info["token"].split(":")[0])
            return _answer({"id": bot_id, "is_bot": True, "first_name": "Shop", "username": "shop_bot"})
        if method == "createInvoiceLink":
            return self._create_invoice_link(params)
        if method == "getStarTransactions":
            return self._get_star_transactions(params)
        if method == "refundStarPayment":
            return self._refund_star_payment(params)
        if method == "editUserStarSubscription":
            return self._edit_user_star_subscription(params)
        return _error(404, "Not Found")

    def _create_invoice_link(self, params: dict[str, Any]) -> web.Response:
        title, description = str(params.get("title", "")), str(params.get("description", ""))
        payload, prices = str(params.get("payload", "")), params.get("prices")
        if not 1 <= len(title) <= 32:
            return _error(400, "Bad Request: invoice title length must be between 1 and 32")
        if not 1 <= len(description) <= 255:
            return _error(400, "Bad Request: invoice description length must be between 1 and 255")
        if not 1 <= len(payload.encode()) <= 128:
            return _error(400, "Bad Request: invoice payload length must be between 1 and 128 bytes")
        if params.get("currency") != "XTR" or params.get("provider_token"):
            return _error(400, "Bad Request: this fake takes Telegram Stars only")
        if not isinstance(prices, list) or len(prices) != 1 or not isinstance(prices[0].get("amount"), int):
            return _error(400, "Bad Request: Stars invoices must have exactly one price")
        if params.get("subscription_period", SUBSCRIPTION_PERIOD) != SUBSCRIPTION_PERIOD:
            return _error(400, "Bad Request: SUBSCRIPTION_PERIOD_INVALID")
        slug = f"FakeInvoice{next(self._ids)}"
        self.links[slug] = params
        return _answer(f"https://t.me/${slug}")

    def _refund_star_payment(self, params: dict[str, Any]) -> web.Response:
        charge = str(params.get("telegram_payment_charge_id", ""))
        try:
            user = int(str(params.get("user_id", "")))
        except ValueError:
            return _error(400, "Bad Request: invalid user_id specified")
        paid = next((t for t in self.transactions if t["id"] == charge and "source" in t), None)
        if not charge or paid is None:
            return _error(400, "Bad Request: CHARGE_NOT_FOUND")
        if paid["source"]["user"]["id"] != user:
            return _error(400, "Bad Request: USER_ID_INVALID")
        if charge in self.refunded:
            return _error(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunded.append(charge)
        receiver = {"type": "user", "transaction_type": "invoice_payment", "user": paid["source"]["user"]}
        self.transactions.append(
            {"id": charge, "amount": paid["amount"], "date": next(self._clock), "receiver": receiver}
        )
        if self.refund_answers_lost:
            return web.Response(status=self.refund_answers_lost.pop(0), text="fake failure after refunding")
        return _answer(True)

    def _edit_user_star_subscription(self, params: dict[str, Any]) -> web.Response:
        charge = str(params.get("telegram_payment_charge_id", ""))
        cancel = params.get("is_canceled")
        try:
            user = int(str(params.get("user_id", "")))
        except ValueError:
            return _error(400, "Bad Request: invalid user_id specified")
        if not isinstance(cancel, bool):
            return _error(400, "Bad Request: is_canceled must be a boolean")
        paid = next((t for t in self.transactions if t["id"] == charge and "source" in t), None)
        if paid is None or "subscription_period" not in paid["source"]:
            return _error(400, "Bad Request: CHARGE_ID_INVALID")
        if paid["source"]["user"]["id"] != user:
            return _error(400, "Bad Request: USER_ID_INVALID")
        if self.renewal_cancelled.get(charge, False) == cancel:
            return _error(400, "Bad Request: SUBSCRIPTION_NOT_MODIFIED")
        self.renewal_cancelled[charge] = cancel
        return _answer(True)

    def _get_star_transactions(self, params: dict[str, Any]) -> web.Response:
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        if not 1 <= limit <= 100 or offset < 0:
            return _error(400, "Bad Request: limit must be between 1 and 100")
        newest_first = list(reversed(self.transactions))
        return _answer({"transactions": newest_first[offset : offset + limit]})
