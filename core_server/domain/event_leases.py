"""One stream at a time per tenant and named event consumer (WatchEvents with `consumer`).

A gateway runs a notifier per tenant bot that reads with the consumer "bot-notifications" and
commits its cursor after each notice. Two gateway replicas would both read after the same cursor
and both send each notice, so a consumer's stream holds a lease: a row per tenant and consumer,
shared by the core replicas. A second stream of the consumer waits, open and silent (a hot
standby), until the first ends (its lease is freed at once) or its core replica stops renewing
(it died: the lease runs out after `lease_seconds`). A holder that could not renew in time and
finds its lease taken ends its stream (CONSUMER_LEASE_LOST) rather than read on beside the new
holder.

One task per process does this for all its streams in batched statements: a claim for every
waiting stream each `claim_seconds`, a renewal of every held lease each `renew_seconds`, so a
thousand bot notifiers cost two statements every few seconds, not a query each.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from core_server.domain.clock import Clock
from core_server.store.repositories import events as event_repo
from core_server.store.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0
CLAIM_SECONDS = 2.0


@dataclass(eq=False)
class Lease:
    """A stream's claim on (tenant, consumer); compared by identity (two streams may want one key)."""

    tenant: uuid.UUID
    consumer: str
    holder: uuid.UUID = field(default_factory=uuid.uuid4)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    lost: bool = False


class ConsumerLeases:
    """The leases of this process's consumer streams; `on_lost(tenant)` wakes a stream that lost one."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        on_lost: Callable[[uuid.UUID], None],
        *,
        lease_seconds: float | None = None,
        renew_seconds: float | None = None,
        claim_seconds: float | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._on_lost = on_lost
        # the module's values when not given, read now (tests shorten them for a core they start)
        self._lease = dt.timedelta(seconds=LEASE_SECONDS if lease_seconds is None else lease_seconds)
        self._renew_seconds = RENEW_SECONDS if renew_seconds is None else renew_seconds
        self._claim_seconds = CLAIM_SECONDS if claim_seconds is None else claim_seconds
        self._waiting: set[Lease] = set()
        self._held: set[Lease] = set()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def acquire(self, tenant: uuid.UUID, consumer: str) -> Lease:
        """The consumer's lease for a new stream: at once when free, else when it is freed."""
        lease = Lease(tenant, consumer)
        self._waiting.add(lease)
        try:
            await self._claim([lease])
            if not lease.held.is_set():
                self._start()
                await lease.held.wait()
        except BaseException:
            self._waiting.discard(lease)
            if lease.held.is_set():  # won while being cancelled: give it back
                await self.release(lease)
            raise
        return lease

    async def release(self, lease: Lease) -> None:
        """Free a stream's lease (it ended), so a waiting stream takes it at once."""
        self._waiting.discard(lease)
        self._held.discard(lease)
        if lease.held.is_set() and not lease.lost:
            lease.lost = True  # nothing of it is held any more
            async with self._uow() as uow:
                await event_repo.release_lease(uow, lease.tenant, lease.consumer, lease.holder)
                await uow.commit()
        self._kick.set()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            # a context of its own: not the first waiting call's (its request id, its actor in the logs)
            self._task = asyncio.create_task(self._run(), name="event-consumer-leases", context=contextvars.Context())

    async def _claim(self, leases: list[Lease]) -> None:
        """Claim the waiting leases, one per (tenant, consumer) in a statement."""
        first: dict[tuple[uuid.UUID, str], Lease] = {}
        for lease in leases:
            if not lease.held.is_set():
                first.setdefault((lease.tenant, lease.consumer), lease)
        if not first:
            return
        now = self._clock.now()
        claims = [(lease.tenant, lease.consumer, lease.holder) for lease in first.values()]
        async with self._uow() as uow:
            won = await event_repo.claim_leases(uow, claims, now, now + self._lease)
            await uow.commit()
        for lease in first.values():
            if lease.holder in won:
                self._waiting.discard(lease)
                self._held.add(lease)
                lease.held.set()
        if self._held:
            self._start()  # renewals

    async def _renew(self) -> None:
        held = list(self._held)
        async with self._uow() as uow:
            kept = await event_repo.renew_leases(uow, [lease.holder for lease in held], self._clock.now() + self._lease)
            await uow.commit()
        for lease in held:
            if lease.holder not in kept and lease in self._held:
                lease.lost = True
                self._held.discard(lease)
                self._on_lost(lease.tenant)

    async def _run(self) -> None:
        """Claims for the waiting streams, renewals of the held leases; ends when there are none."""
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while self._waiting or self._held:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self._claim_seconds)
            self._kick.clear()
            try:
                if self._waiting:
                    await self._claim(list(self._waiting))
                if self._held and loop.time() - renewed >= self._renew_seconds:
                    renewed = loop.time()
                    await self._renew()
            except Exception as error:  # the database away: try again next round; leases may run out
                log.warning("event consumer leases failed", error=repr(error))
