"""Several bot gateway replicas serve the same bots: conversations and anti-flood budgets in Redis.

Each replica is a process of its own (`tests/bots/replica.py`) with the gateway's dispatcher built
from `build_state(redis_url)`, talking to the real core; it handles its updates and exits. A
conversation begun on one replica (the promo screen waits for a code) continues on the next, for
the bot it was begun with only: the FSM key names the bot, so the same user in another tenant's
bot is not in that conversation. Keys live under a prefix of the test's own, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.middlewares.throttling import Limit
from bot_gateway.redis_state import RedisRateLimiter, build_state
from sdk.billinghub.v1 import tenant_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import EPOCH, TenantBot, TgUser, new_user
from tests.bots.telegram import FakeBotApi
from tests.hub import Hub
from tests.redis_server import RedisPrefix, redis_prefix

REPO = Path(__file__).resolve().parents[2]
NO_CODE = "There is no such promo code."


@pytest.fixture
async def redis() -> AsyncIterator[RedisPrefix]:
    async with redis_prefix() as prefix:
        yield prefix


def typed(user: TgUser, text: str, update_id: int) -> dict[str, Any]:
    chat = {"id": user.id, "type": "private", "first_name": user.first_name}
    message = {"message_id": update_id, "date": EPOCH, "chat": chat, "from": user.as_json(), "text": text}
    return {"update_id": update_id, "message": message}


def pressed(user: TgUser, data: str, update_id: int) -> dict[str, Any]:
    chat = {"id": user.id, "type": "private", "first_name": user.first_name}
    message = {"message_id": 1, "date": EPOCH, "chat": chat, "from": {"id": 1, "is_bot": True, "first_name": "Shop"}}
    callback = {"id": f"cb{update_id}", "from": user.as_json(), "chat_instance": "1", "message": message, "data": data}
    return {"update_id": update_id, "callback_query": callback}


async def replica(job: dict[str, Any]) -> None:
    """Run one replica process over `job`'s updates and wait for it to exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bots.replica",
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(json.dumps(job).encode()), timeout=60)
    assert process.returncode == 0, stderr.decode()


async def test_a_conversation_begun_on_one_replica_continues_on_another(
    hub: Hub, tenant_bot: NewBot, bot_api: FakeBotApi, redis: RedisPrefix
) -> None:
    shop_a, shop_b = await tenant_bot("Replica A"), await tenant_bot("Replica B")
    ann = new_user("Ann")

    async def bot_of(shop: TenantBot) -> dict[str, str]:
        key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.tenant.id, "replica")
        return {"tenant_id": shop.tenant.id, "gateway_key": key, "token": shop.token}

    job = {
        "core": hub.target,
        "redis_url": redis.url,
        "prefix": redis.prefix,
        "api_url": bot_api.url,
        "bots": [await bot_of(shop_a), await bot_of(shop_b)],
    }
    promo = MenuCallback(screen=Screen.PROMO).pack()

    await replica({**job, "updates": [{"token": shop_a.token, "update": pressed(ann, promo, 1)}]})
    waiting = await redis.client.keys(f"{redis.prefix}:fsm:{shop_a.bot.id}:*")  # the key names the bot
    await replica(
        {
            **job,
            "updates": [
                {"token": shop_b.token, "update": typed(ann, "NOSUCHCODE", 2)},  # B's bot: no conversation
                {"token": shop_a.token, "update": typed(ann, "NOSUCHCODE", 3)},  # A's bot: the code it waits for
            ],
        }
    )

    (asked,) = [r for r in bot_api.of(shop_a.token) if r.method in ("editmessagetext", "sendmessage")][:1]
    assert "promo code" in asked.text
    (answer_b,) = [r for r in bot_api.of(shop_b.token) if r.method == "sendmessage"]
    assert answer_b.text != NO_CODE  # the main menu: B's bot was never asked for a code
    answer_a = [r for r in bot_api.of(shop_a.token) if r.method == "sendmessage"][-1]
    assert answer_a.text == NO_CODE
    assert waiting  # the conversation crossed between the processes through Redis
    assert await redis.client.keys(f"{redis.prefix}:fsm:*") == []  # and ended with the code
    assert await redis.client.keys(f"{redis.prefix}:flood:*")  # the anti-flood buckets live there too


async def test_two_replicas_share_one_anti_flood_bucket(redis: RedisPrefix) -> None:
    first, second = build_state(redis.url, redis.prefix), build_state(redis.url, redis.prefix)
    assert isinstance(first.limiter, RedisRateLimiter) and isinstance(second.limiter, RedisRateLimiter)
    limit = Limit(burst=4, rate=0.01)
    try:
        taken = [await (first if i % 2 else second).limiter.take((42, 7), limit) for i in range(6)]
        other_user = await first.limiter.take((42, 8), limit)
    finally:
        await first.close()
        await second.close()

    assert taken == [True, True, True, True, False, False]  # one budget of 4, whichever replica asks
    assert other_user is True
