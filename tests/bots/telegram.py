"""A fake Telegram Bot API server (aiohttp, port 0) that records every request and answers like
Telegram: the bots under test reach it through aiogram's `TelegramAPIServer.from_base`, and the
core's Telegram Stars adapter (createInvoiceLink, editUserStarSubscription, with JSON bodies)
through a provider config whose base_url is this server.

Every request is kept as a `BotRequest` (token, method, parameters with `reply_markup` decoded), so
a test asserts on what a bot said and which buttons it offered, as a user would see them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

EPOCH = 1_700_000_000


@dataclass
class BotRequest:
    """One Bot API call a bot made."""

    token: str
    method: str  # lower-cased: "sendmessage", "editmessagetext", ...
    params: dict[str, Any]
    message_id: int | None = None  # of the message a send* call made
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded files (sendPhoto, sendDocument) by form field
    at: float = 0.0  # when the server received it (time.monotonic()), for measuring send rates

    def upload(self, param: str) -> bytes:
        """The bytes of the file a parameter names ("photo": "attach://<field>") or carries."""
        value = str(self.params.get(param, ""))
        return self.files[value.removeprefix("attach://")] if value.startswith("attach://") else self.files[param]

    def upload_name(self, param: str) -> str:
        """The file name the bot gave the upload a parameter names (e.g. a document's)."""
        value = str(self.params.get(param, ""))
        return str(self.params[value.removeprefix("attach://")] if value.startswith("attach://") else value)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if chat is not None else None

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row after row."""
        markup = self.params.get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    def button(self, label_part: str) -> str:
        """The callback data of the one button whose label contains `label_part`."""
        found = [data for label, data in self.buttons() if label_part in label]
        assert len(found) == 1, f"{label_part!r} in {self.buttons()}"
        return found[0]


@dataclass
class FakeBotApi:
    """The server's state: what was asked, and the bots' usernames by token."""

    url: str = ""
    requests: list[BotRequest] = field(default_factory=list)
    usernames: dict[str, str] = field(default_factory=dict)
    blocked_by: set[int] = field(default_factory=set)  # chats of users who blocked the bots: 403
    refused: set[str] = field(default_factory=set)  # methods answered 400 (lower case)
    down: set[str] = field(default_factory=set)  # methods answered 502, as when Telegram is down (lower case)
    # methods (lower case) recorded at once but answered only when their event is set: a slow upload
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))

    def of(self, token: str) -> list[BotRequest]:
        """The requests of one bot, oldest first."""
        return [request for request in self.requests if request.token == token]

    def _message(self, token: str, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        bot_id = int(token.split(":")[0])
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": EPOCH,
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": bot_id, "is_bot": True, "first_name": "Bot"},
        }
        if "text" in params:
            message["text"] = params["text"]
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"].lower()
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":  # the core's calls (Stars links, renewals)
            params = dict(await request.json())
        else:  # aiogram's calls
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                    params[key] = value.filename
                else:
                    params[key] = str(value)
            for key in ("reply_markup", "prices", "commands"):
                if key in params:
                    params[key] = json.loads(params[key])
        recorded = BotRequest(token, method, params, files=files, at=time.monotonic())
        self.requests.append(recorded)
        result: Any
        if method.startswith("send") and recorded.chat_id in self.blocked_by:
            body = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            return web.json_response(body, status=403)
        if method in self.held:
            await self.held[method].wait()
        if method in self.down:
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        if method in self.refused:
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request"}, status=400)
        if method == "getme":
            bot_id = int(token.split(":")[0])
            username = self.usernames.get(token, f"bot{bot_id}_bot")
            result = {"id": bot_id, "is_bot": True, "first_name": "Shop", "username": username}
        elif method in ("sendmessage", "sendinvoice", "sendphoto", "senddocument"):
            result = self._message(token, params)
            recorded.message_id = result["message_id"]
        elif method == "createinvoicelink":
            result = f"https://t.me/$invoice-{params.get('payload', '')}"  # a slug per invoice
        elif method == "editmessagetext":
            result = self._message(token, params, int(params["message_id"]))
        elif method in (
            "answercallbackquery",
            "answerprecheckoutquery",
            "deletewebhook",
            "setwebhook",
            "setmycommands",
            "edituserstarsubscription",
            "refundstarpayment",
        ):
            result = True
        elif method == "getupdates":
            await asyncio.sleep(0.05)  # a long poll that ends early: a polling bot does not spin
            result = []
        else:
            body = {"ok": False, "error_code": 404, "description": f"Not Found: method {method}"}
            return web.json_response(body, status=404)
        return web.json_response({"ok": True, "result": result})
