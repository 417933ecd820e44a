"""Periodic background work, each step a use case; a failing step is logged and retried on the
next tick, never fatal to the core."""

from __future__ import annotations

import asyncio
import contextlib
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
        # the loop does not wait for the POSTs it starts: a hanging receiver holds only its slots
        dispatcher = WebhookDispatcher(deps)
        loops.append(Loop("outbound-webhooks", 1.0, lambda: dispatcher.run_due(wait=False), dispatcher.drain))
    return loops


async def run_loop(loop: Loop, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            done = await loop.step()
            if done:
                log.info("worker step", worker=loop.name, items=done)
        except Exception:
            log.exception("worker step failed", worker=loop.name)
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
