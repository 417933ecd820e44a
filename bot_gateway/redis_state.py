"""Where the bots keep per-user state: in memory (one process) or in Redis (several replicas).

With `BILLING_HUB_REDIS_URL` set, the FSM (a conversation's state and data) lives in aiogram's
`RedisStorage` and the anti-flood buckets in Redis too, so any replica can take the next update of
any user: a conversation begun on one replica continues on another, and a user's budget is one
budget however the updates are spread. The FSM key names the bot (`with_bot_id=True`): one user
talking to two tenants' bots has two conversations, as in memory.

A bucket is updated by one Lua script (read, refill, take, write, expire), atomic in Redis, timed
by the Redis server's clock so replicas with drifting clocks agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

from bot_gateway.middlewares.throttling import Limit, Limiter, RateLimiter

DEFAULT_PREFIX = "billing_hub"
CONVERSATION_TTL = timedelta(days=1)  # a conversation left half-way is forgotten after a day

# KEYS[1] the bucket; ARGV burst, rate. Tokens and time are kept as strings (Lua numbers would be
# truncated to integers on the way to Redis). An idle bucket expires once it would be full again.
_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1]) or burst
local at = tonumber(stored[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
"""


class RedisRateLimiter:
    """Token buckets in Redis, shared by every replica that uses the same Redis and prefix."""

    def __init__(self, redis: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:flood"
        self._script = redis.register_script(_TAKE)

    async def take(self, key: tuple[Any, ...], limit: Limit) -> bool:
        """Take one token from the bucket of `key`; False when it is empty."""
        name = ":".join([self._prefix, *(str(part) for part in key)])
        allowed = await self._script(keys=[name], args=[repr(limit.burst), repr(limit.rate)])
        return bool(allowed)


@dataclass
class BotState:
    """The FSM storage and the anti-flood limiter of a process; `close()` on shutdown."""

    storage: BaseStorage
    limiter: Limiter
    redis: Redis | None = None

    async def close(self) -> None:
        await self.storage.close()  # closes the Redis connection pool of a RedisStorage too


def build_state(redis_url: str | None, prefix: str = DEFAULT_PREFIX) -> BotState:
    """Memory state without `redis_url`; otherwise both in the Redis it names, keys under `prefix`."""
    if not redis_url:
        return BotState(MemoryStorage(), RateLimiter())
    redis: Redis = Redis.from_url(redis_url)
    storage = RedisStorage(
        redis,
        key_builder=DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_bot_id=True),
        state_ttl=CONVERSATION_TTL,
        data_ttl=CONVERSATION_TTL,
    )
    return BotState(storage, RedisRateLimiter(redis, prefix), redis)
