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
