"""Periodic background work, each step a use case; a failing step is logged and retried on the
next tick, never fatal to the core."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from core_server.domain.delivery.gifts import GiftDelivery
from core_server.domain.deps import Deps
from core_server.domain.entitlements.renewal import RenewalService
from core_server.domain.idempotency import sweep_expired
from core_server.domain.money.holds import HoldService
from core_server.domain.orders.service import OrderService
from core_server.domain.payments.reconcile import Reconciler
from core_server.domain.webhooks.dispatcher import WebhookDispatcher

log = structlog.get_logger("billinghub.workers")


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    every_seconds: float
    step: Callable[[], Awaitable[int]]
    # awaited once the loop has stopped: work the steps started and did not wait for
    finish: Callable[[], Awaitable[None]] | None = None
    # a step that did work is followed by the next at once (a backlog drains without pauses); the
    # pause of `every_seconds` comes after a step that found nothing
    eager: bool = False


def core_loops(deps: Deps) -> list[Loop]:
    holds = HoldService(deps)
    orders = OrderService(deps)
    renewals = RenewalService(deps)
    loops = [
        Loop("hold-expiry", 5.0, holds.expire_due),
        Loop("order-expiry", 15.0, orders.expire_due),
        Loop("subscription-renewal", 30.0, renewals.run_due),
        Loop("payment-reconciliation", 10.0, Reconciler(deps).run_due),
        Loop("fragment-delivery", 5.0, GiftDelivery(deps).run_due),
        Loop("idempotency-sweep", 300.0, lambda: sweep_expired(deps, deps.clock.now())),
    ]
    if deps.webhook_sender is not None:
        # a step keeps the POSTs flowing while work is due (at most a second, so a stop is prompt)
        # and does not wait for the ones still in flight: a hanging receiver holds only its slots
        dispatcher = WebhookDispatcher(deps)
        step = functools.partial(dispatcher.run_busy, slice_seconds=1.0)
        loops.append(Loop("outbound-webhooks", 1.0, step, dispatcher.drain, eager=True))
    return loops


async def run_loop(loop: Loop, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            done = await loop.step()
            if done:
                log.info("worker step", worker=loop.name, items=done)
        except Exception:
            log.exception("worker step failed", worker=loop.name)
            done = 0
        if done and loop.eager:
            await asyncio.sleep(0)  # let the rest of the core run between steps
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), loop.every_seconds)


class Workers:
    """Starts the loops as tasks and stops them together."""

    def __init__(self, loops: list[Loop]) -> None:
        self._loops = loops
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(run_loop(loop, self._stop), name=loop.name) for loop in self._loops]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(loop.finish() for loop in self._loops if loop.finish), return_exceptions=True)
