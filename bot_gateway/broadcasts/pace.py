"""Pacing of one bot's broadcast messages: at most `rate` sends in any second.

Telegram lets a bot send about 30 messages a second to different chats before it answers 429;
the sender keeps under a lower budget (25 a second by default) so the bot's ordinary answers keep
room. The pace spaces the starts of sends by 1/rate seconds and a `MARGIN` more, measured from
the previous start, so no second ever holds more than `rate` starts however late the event loop
wakes; the margin (2 %: 24.5 a second for 25) absorbs the network's jitter, so Telegram's clock sees
no more than `rate` either (without it, a fake Bot API in another process counted 26 in one second).
A rate of 0 lifts the limit (the bench's "how fast can the gateway go").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

MARGIN = 0.02  # each interval is this much longer than 1/rate


class Pace:
    """Waits before each send so that sends start at least 1/rate seconds apart."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 0:
            raise ValueError("rate must be 0 (no limit) or positive")
        self._interval = (1.0 + MARGIN) / rate if rate else 0.0
        self._clock = clock
        self._last: float | None = None

    async def wait(self) -> None:
        """Return when the next send may start (and count it as started now)."""
        if not self._interval:
            return
        if self._last is not None:
            # a sleep may wake a little early on some loops: never start before the interval ends
            delay = self._last + self._interval - self._clock()
            while delay > 0:
                await asyncio.sleep(delay)
                delay = self._last + self._interval - self._clock()
        self._last = self._clock()
