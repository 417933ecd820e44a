"""Waiting on something another task does, in tests: the streams, bots and fake servers that
tests watch run in other tasks and have no event a test could await."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(condition: Callable[[], Any], within: float = 30.0, step: float = 0.02) -> None:
    """Return once `condition()` is true; fail after `within` seconds. A fixed sleep before an
    assertion is a guess at the machine's speed, and a loaded CI machine guesses wrong."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110  # nothing to wait on but the condition itself
            await asyncio.sleep(step)


async def settled(count: Callable[[], int], quiet: float = 1.0, within: float = 30.0) -> int:
    """`count()` once it has not changed for `quiet` seconds; fail after `within` seconds. For a
    stop that another task acts on when it hears of it (through an event stream, under whatever
    load): what it had in flight ends, then nothing more comes."""
    async with asyncio.timeout(within):
        last, since = count(), asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - since < quiet:
            await asyncio.sleep(0.02)
            if (now := count()) != last:
                last, since = now, asyncio.get_running_loop().time()
        return last
