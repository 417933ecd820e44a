"""What the batchers of the fast path share (usage charges, store/charge_batches_pg.py; screen
reads, store/reads/batches_pg.py): lanes of callers queued behind at most `in_flight` running
statements, the statements' tasks, and how a statement run for several callers answers each."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence, Sized
from typing import Any, Generic, Protocol, TypeVar


class _Queued(Protocol):
    @property
    def queue(self) -> Sized: ...


LaneT = TypeVar("LaneT", bound=_Queued)


class Lanes(Generic[LaneT]):
    """The lanes of one batcher, by key, each with at most `in_flight` statements running."""

    def __init__(self, in_flight: int) -> None:
        if in_flight < 1:
            raise ValueError("a lane needs at least one statement in flight")
        self._in_flight = in_flight
        self._lanes: dict[Hashable, LaneT] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_batch: Callable[[int], None] | None = None  # told each batch's size (a metric)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def queued(self) -> int:
        """Callers waiting for a statement, in every lane."""
        return sum(len(lane.queue) for lane in self._lanes.values())

    def _spawn(self, statement: Coroutine[Any, Any, None]) -> None:
        """Run a batch's statement in a task of its own: no caller's cancellation stops it."""
        task = asyncio.get_running_loop().create_task(statement)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(self) -> None:
        """Wait for the statements still running (their callers are owed an answer)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def settle(answers: Sequence[asyncio.Future[Any]], results: Awaitable[Sequence[Any]]) -> None:
    """Give each caller its own result (one that is an exception is raised to that caller alone).
    A statement that fails as a whole (a lost connection...) fails every caller; a core stopping
    under it cancels them. A caller who gave up is skipped."""
    try:
        outcomes = await results
    except asyncio.CancelledError:
        for answer in answers:
            answer.cancel()
        raise
    except Exception as error:
        for answer in answers:
            if not answer.done():
                answer.set_exception(error)
        return
    for answer, outcome in zip(answers, outcomes, strict=True):
        if answer.done():
            continue
        if isinstance(outcome, BaseException):
            answer.set_exception(outcome)
        else:
            answer.set_result(outcome)
