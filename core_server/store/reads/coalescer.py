"""Concurrent reads of one kind gathered into one statement (the screen reads on PostgreSQL).

A screen read is one indexed lookup for PostgreSQL, yet each cost the core more than the rest of
the call: the pool's checkout, asyncpg's execute and the socket's wakeups (bench/purchase.py with
GetBalances answered without the database: 0.42 ms of core CPU a call against 0.66 ms with it).
Under load the same read arrives many times at once, so the calls share a statement: while
`in_flight` statements of a kind are running, the calls that arrive wait, and the next statement
takes all of them (up to `max_batch`). An idle core answers a lone call at once, as before; a busy
one answers each call from a statement that started after the call asked, so a call still sees
everything committed before it (the read-your-writes a client relies on after its own write).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """`await get(key)`: `fetch_many(keys)` answers several keys at once, in the order given."""

    def __init__(
        self, fetch_many: Callable[[Sequence[K]], Awaitable[Sequence[V]]], *, in_flight: int = 2, max_batch: int = 256
    ) -> None:
        self._fetch_many = fetch_many
        self._in_flight = in_flight
        self._max_batch = max_batch
        self._running = 0
        self._waiting: list[tuple[K, asyncio.Future[V]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        if self._running < self._in_flight:
            self._start()
        return await future

    def _start(self) -> None:
        batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
        self._running += 1
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        try:
            answers = await self._fetch_many([key for key, _ in batch])
        except asyncio.CancelledError:  # the loop is closing: so are the calls
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            if len(batch) == 1:
                _fail(batch[0][1], error)
            else:  # one call's key must not fail the others' (a tenant's read another's): each alone
                await asyncio.gather(*(self._alone(key, future) for key, future in batch))
        else:
            for (_, future), answer in zip(batch, answers, strict=True):
                _answer(future, answer)
        finally:
            self._running -= 1
            if self._waiting and self._running < self._in_flight:
                self._start()

    async def _alone(self, key: K, future: asyncio.Future[V]) -> None:
        try:
            [answer] = await self._fetch_many([key])
        except Exception as error:  # the call meets its statement's error (UNAVAILABLE, say) itself
            _fail(future, error)
        else:
            _answer(future, answer)


def _answer(future: asyncio.Future[V], answer: V) -> None:
    if not future.done():  # else the caller gave up (its deadline passed)
        future.set_result(answer)


def _fail(future: asyncio.Future[V], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
