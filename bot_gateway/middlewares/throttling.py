"""Anti-flood: how many updates one user may send one bot, and stricter limits per handler.

Each (bot, user) has a token bucket in memory: `burst` updates at once, refilled at `rate` per
second. An outer middleware applies the general bucket to every update before anything reaches
the core, so a flooding user costs the core nothing. Handlers that are costly or move money ask
for a stricter bucket of their own with a flag, `flags={"throttling": "purchase"}`, which an inner
middleware checks. An update over its limit is dropped; a button press is answered with a short
"slow down" so the user's spinner stops. Payment updates (`pre_checkout_query`, whose answer
Telegram awaits, and `successful_payment`: money already taken) are never dropped.

The buckets live in memory (one gateway process) or, when `BILLING_HUB_REDIS_URL` is set, in Redis
(`bot_gateway/redis_state.py`), so several replicas serving the same bots share one budget per user.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import gettext as _

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FLAG = "throttling"


@dataclass(frozen=True)
class Limit:
    """`burst` updates at once, then `rate` a second."""

    burst: float
    rate: float


DEFAULT_LIMIT = Limit(burst=10, rate=2.0)
HANDLER_LIMITS: Mapping[str, Limit] = {
    "purchase": Limit(burst=3, rate=0.2),  # money moves: a few presses, then one per 5 s
    "promo": Limit(burst=3, rate=0.1),  # guessing codes is what a flood would do here
}


class Limiter(Protocol):
    """Where the buckets live: `take` one token from the bucket of `key`, False when it is empty."""

    async def take(self, key: tuple[Any, ...], limit: Limit) -> bool: ...


class RateLimiter:
    """Token buckets by key, in memory, bounded (the least recently used are dropped)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[tuple[Any, ...], tuple[float, float]] = OrderedDict()

    def allow(self, key: tuple[Any, ...], limit: Limit) -> bool:
        """Take one token from the bucket of `key`; False when it is empty."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (limit.burst, now))
        tokens = min(limit.burst, tokens + (now - last) * limit.rate)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return allowed

    async def take(self, key: tuple[Any, ...], limit: Limit) -> bool:
        """`allow`, as the `Limiter` protocol (a Redis limiter must await) asks for it."""
        return self.allow(key, limit)


async def _refuse(event: TelegramObject) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(_("Too many requests. Please wait a moment."))


def _is_payment(event: TelegramObject) -> bool:
    if not isinstance(event, Update):
        return False
    return event.pre_checkout_query is not None or (
        event.message is not None and event.message.successful_payment is not None
    )


class AntiFloodMiddleware(BaseMiddleware):
    """Outer middleware on updates: the general bucket of each user of each bot."""

    def __init__(self, limiter: Limiter | None = None, limit: Limit = DEFAULT_LIMIT) -> None:
        self.limiter = limiter or RateLimiter()
        self._limit = limit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is None or _is_payment(event):
            return await handler(event, data)
        if not await self.limiter.take((data["bot"].id, sender.id), self._limit):
            return None  # dropped before it costs a call to the core
        return await handler(event, data)


class HandlerThrottleMiddleware(BaseMiddleware):
    """Inner middleware on messages and button presses: the handler's own bucket, by its flag."""

    def __init__(self, limiter: Limiter | None = None, limits: Mapping[str, Limit] = HANDLER_LIMITS) -> None:
        self.limiter = limiter or RateLimiter()
        self._limits = limits

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        name = get_flag(data, FLAG)
        sender: TelegramUser | None = data.get("event_from_user")
        if name is None or sender is None:
            return await handler(event, data)
        if not await self.limiter.take((data["bot"].id, sender.id, name), self._limits[name]):
            await _refuse(event)
            return None
        return await handler(event, data)
