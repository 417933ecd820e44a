"""The worker loop's pacing: a step that found nothing waits `every_seconds`; an eager loop whose
step did work goes again at once, so a backlog (outbound webhooks) drains without pauses."""

from __future__ import annotations

import asyncio

from core_server.workers.loops import Loop, run_loop


async def _steps_within(loop_of: list[int], eager: bool, seconds: float = 0.3) -> int:
    results = list(loop_of)
    taken = 0

    async def step() -> int:
        nonlocal taken
        taken += 1
        return results.pop(0) if results else 0

    stop = asyncio.Event()
    task = asyncio.create_task(run_loop(Loop("test", 60.0, step, eager=eager), stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    return taken


async def test_an_eager_loop_steps_again_at_once_while_its_steps_do_work() -> None:
    assert await _steps_within([5, 5, 5], eager=True) == 4  # three busy steps, then one that found nothing


async def test_a_plain_loop_waits_between_steps_even_after_work() -> None:
    assert await _steps_within([5, 5, 5], eager=False) == 1


async def test_an_eager_loop_whose_step_fails_pauses() -> None:
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    stop = asyncio.Event()
    task = asyncio.create_task(run_loop(Loop("failing", 60.0, failing, eager=True), stop))
    await asyncio.sleep(0.2)
    stop.set()
    await task
    assert calls == 1
