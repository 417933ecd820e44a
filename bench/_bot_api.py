"""`python -m bench._bot_api`: a fake Telegram Bot API for load, in a process of its own.

tests/bots/telegram.py keeps every request for assertions; under a benchmark's load that list
grows without end and its parsing competes with the gateway for the loop. This one answers every
method the bots call like Telegram does and only counts calls by method (`GET /stats`). It prints
`READY <port>` once it listens on a free loopback port. It also keeps the time each message was
sent (`GET /send_times?since=<t>`, this process's monotonic clock), so a benchmark measures a
bot's send rate from the server's side. `make bench` skips it (the name starts
with `_`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from typing import Any

from aiohttp import web

EPOCH = 1_700_000_000
TRUE_METHODS = {"setwebhook", "deletewebhook", "setmycommands", "answercallbackquery", "answerprecheckoutquery"}


class LoadBotApi:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._message_ids = itertools.count(1)
        self.send_times: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"].lower()
        self.calls[method] += 1
        bot_id = int(token.partition(":")[0])
        result: Any
        if method in TRUE_METHODS:
            result = True
        elif method == "getme":
            result = {"id": bot_id, "is_bot": True, "first_name": "Bench", "username": f"bench{bot_id}_bot"}
        elif method in ("sendmessage", "editmessagetext"):
            if method == "sendmessage":
                self.send_times.append(time.monotonic())
            params = await request.post()
            message_id = int(str(params.get("message_id") or next(self._message_ids)))
            result = {
                "message_id": message_id,
                "date": EPOCH,
                "chat": {"id": int(str(params["chat_id"])), "type": "private"},
                "from": {"id": bot_id, "is_bot": True, "first_name": "Bench"},
                "text": str(params.get("text", "")),
            }
        else:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": result})

    async def stats(self, _: web.Request) -> web.Response:
        return web.Response(text=json.dumps(self.calls), content_type="application/json")

    async def sends(self, request: web.Request) -> web.Response:
        """The server's clock now and the times of the messages sent after `since`."""
        since = float(request.query.get("since", "0"))
        times = [at for at in self.send_times if at > since]
        return web.Response(text=json.dumps({"now": time.monotonic(), "times": times}), content_type="application/json")


async def serve() -> None:
    api = LoadBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    app.router.add_get("/stats", api.stats)
    app.router.add_get("/send_times", api.sends)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"READY {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
