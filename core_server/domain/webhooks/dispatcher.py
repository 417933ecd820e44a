"""The outbound webhook dispatcher: fans a tenant's events out into deliveries, then POSTs the due
ones to their endpoints.

Fan-out reads each tenant's events after its cursor with the outbox's commit-safe read (the one
ListEvents pages with: store/repositories/events.py), so an event that commits late is never
skipped; it inserts one delivery per matching enabled endpoint (unique per endpoint, event and
series, so a repeat inserts nothing) and moves the cursor in the same transaction. The cursor's row
lock (SKIP LOCKED) keeps two core replicas off the same tenant at once.

Sending leases due deliveries (SKIP LOCKED on PostgreSQL, the one writer on SQLite), counting the
attempt and setting `leased_until`, and commits before any request leaves: no transaction stays
open across the network, and two replicas never send the same attempt. Each POST then runs in its
own task, at most `max_in_flight` at once and `per_endpoint` per endpoint, within `timeout`
seconds; each outcome is written as soon as it is known, so a receiver that hangs holds only its
own slots and never delays another endpoint's deliveries. A dispatcher that dies mid-send leaves a
lease that runs out: the attempt is made again (delivery is at least once; receivers deduplicate
by the event id).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from core_server.domain.deps import Deps
from core_server.domain.webhook_api import PostResult, WebhookSender
from core_server.domain.webhooks.deliveries import new_delivery
from core_server.domain.webhooks.endpoints import signing_secrets
from core_server.domain.webhooks.rules import (
    BACKOFF,
    DUE_STATUSES,
    RETRY_WINDOW,
    DeliveryStatus,
    body_of,
    headers_of,
    matches,
    next_attempt,
    sign,
)
from core_server.store.repositories import events as event_repo
from core_server.store.repositories import webhooks as repo

DUE = [status.value for status in DUE_STATUSES]
POLL_SECONDS = 0.1  # how often a busy step looks for new work while every slot it may use is taken
FAN_OUT_SECONDS = 0.05  # how often a busy step reads new events
GATHER_SECONDS = 0.002  # after an answer, how long a busy step waits for more before leasing again


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """The dispatcher's knobs; tests shorten the timeout or the backoff."""

    timeout: float = 5.0
    max_in_flight: int = 64
    per_endpoint: int = 8
    lease: dt.timedelta = dt.timedelta(seconds=60)
    fan_out_batch: int = 500
    backoff: Sequence[float] = BACKOFF
    retry_window: dt.timedelta = RETRY_WINDOW


@dataclass(frozen=True, slots=True)
class Attempt:
    """A leased delivery, with everything its POST needs (secrets decrypted: never logged)."""

    tenant: uuid.UUID
    delivery: uuid.UUID
    endpoint: uuid.UUID
    attempts: int
    first_attempt_at: dt.datetime
    url: str
    headers: dict[str, str] = dataclasses.field(repr=False)
    body: bytes = dataclasses.field(repr=False)


class WebhookDispatcher:
    """Fan-out and sending, one step at a time (`run_due`), as the worker loop and tests call it.

    `counts` tallies outcomes since the process started (fanned_out, succeeded, retrying, dead,
    stale: an outcome that came after its lease was taken over) for whoever reports them."""

    def __init__(self, deps: Deps, sender: WebhookSender | None = None, policy: DispatchPolicy | None = None) -> None:
        sender = sender or deps.webhook_sender
        if sender is None:
            raise ValueError("the webhook dispatcher needs a sender (Deps.webhook_sender)")
        self._deps = deps
        self._sender = sender
        self.policy = policy or DispatchPolicy()
        self.counts: collections.Counter[str] = collections.Counter()
        self._busy: collections.Counter[uuid.UUID] = collections.Counter()
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run_due(self, *, wait: bool = True) -> int:
        """Fan out new events, lease what is due and send it; returns how many attempts started.
        With `wait` (tests) it returns once every attempt it started has its outcome written; the
        worker loop does not wait, so the next step can serve other endpoints meanwhile."""
        await self.fan_out()
        started = await self._start_due()
        if wait and started:
            await asyncio.gather(*started, return_exceptions=True)
        return len(started)

    async def run_busy(self, slice_seconds: float = 5.0) -> int:
        """The worker's step: keep the pipeline full while deliveries are due, for at most
        `slice_seconds`; returns how many attempts started.

        One `run_due` per worker tick would send at most `per_endpoint` deliveries to an endpoint
        per tick, far below what one busy tenant writes. Here each answer that frees a slot leads
        at once to the next lease (and a fan-out of events written meanwhile); the step ends when
        nothing is due and nothing is in flight, or when the slice is spent, so the loop's pause
        falls only on quiet moments. A hanging receiver holds its own slots only: the step keeps
        polling for other endpoints' work every `POLL_SECONDS` while it waits."""
        loop = asyncio.get_running_loop()
        until = loop.time() + slice_seconds
        total, fanned_at, before = 0, -FAN_OUT_SECONDS, 0
        while loop.time() < until:
            if loop.time() - fanned_at >= FAN_OUT_SECONDS:  # new events: a read, so not per freed slot
                await self.fan_out()
                fanned_at = loop.time()
            started = len(await self._start_due())
            total += started
            if not self._in_flight:
                # the last answers may have come while this lease skipped their busy endpoint: the
                # step ends only after a round that started nothing follows another
                if not started and not before:
                    break
                before = started
                continue
            before = started
            if started and len(self._in_flight) < self.policy.max_in_flight:
                continue  # more may be due at once (another batch of the backlog)
            done, _ = await asyncio.wait(
                list(self._in_flight), timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if done and self._in_flight:  # more answers are usually moments away: lease their slots together
                await asyncio.wait(list(self._in_flight), timeout=GATHER_SECONDS)
        return total

    async def drain(self) -> None:
        """Wait for every attempt in flight (tests, shutdown)."""
        if self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def fan_out(self) -> int:
        """Deliveries created for every tenant's new events; returns how many."""
        async with self._deps.read_uow() as uow:
            tenants = await repo.cursor_tenants(uow)
        created = 0
        for tenant in tenants:
            while True:
                made, more = await self._fan_out_tenant(tenant)
                created += made
                if not more:
                    break
        self.counts["fanned_out"] += created
        return created

    async def _fan_out_tenant(self, tenant: uuid.UUID) -> tuple[int, bool]:
        batch = self.policy.fan_out_batch
        async with self._deps.read_uow() as uow:  # most steps find nothing: no writing transaction then
            position = await repo.cursor_position(uow, tenant)
            if position is None or not await event_repo.events_after(uow, tenant, position, (), 1):
                return 0, False
        async with self._deps.uow() as uow:
            cursor = await repo.lock_cursor(uow, tenant, skip_locked=True)
            if cursor is None:
                return 0, False
            events = await event_repo.events_after(uow, tenant, (cursor.tx_order, cursor.event_id), (), batch)
            if not events:
                return 0, False
            endpoints = await repo.enabled_endpoints(uow, tenant)
            now = self._deps.clock.now()
            created = 0
            for event in events:
                for endpoint in endpoints:
                    if event.id > endpoint.after_event_id and matches(endpoint.event_types or (), event.type):
                        values = new_delivery(tenant, endpoint.id, event.id, event.type, 1, now)
                        created += await repo.insert_delivery_if_absent(uow, values)
            cursor.tx_order, cursor.event_id = events[-1].tx_order, events[-1].id
            await uow.commit()
        return created, len(events) == batch

    async def _start_due(self) -> list[asyncio.Task[None]]:
        free = self.policy.max_in_flight - len(self._in_flight)
        if free <= 0:
            return []
        attempts = await self._lease(free)
        tasks = []
        for attempt in attempts:
            self._busy[attempt.endpoint] += 1
            task = asyncio.create_task(self._send(attempt), name=f"webhook:{attempt.delivery}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            tasks.append(task)
        return tasks

    async def _lease(self, limit: int) -> list[Attempt]:
        cap = self.policy.per_endpoint
        full = [endpoint for endpoint, count in self._busy.items() if count >= cap]
        now = self._deps.clock.now()
        leased: list[Attempt] = []
        async with self._deps.read_uow() as uow:  # most steps find nothing: no writing transaction then
            if not await repo.any_due(uow, now, due=DUE):
                return []
        async with self._deps.uow() as uow:
            rows = await repo.lock_due(uow, now, due=DUE, busy=full, limit=limit)
            if not rows:
                return []
            per_endpoint = collections.Counter(self._busy)
            events = await repo.event_rows(uow, {(row.tenant_id, row.event_id) for row in rows})
            endpoints = await repo.endpoints_by_id(uow, {(row.tenant_id, row.endpoint_id) for row in rows})
            for row in rows:
                if per_endpoint[row.endpoint_id] >= cap:
                    continue  # left unleased: due again on the next step
                per_endpoint[row.endpoint_id] += 1
                event, endpoint = events[(row.tenant_id, row.event_id)], endpoints[(row.tenant_id, row.endpoint_id)]
                row.attempts += 1
                row.first_attempt_at = row.first_attempt_at or now
                row.leased_until = now + self.policy.lease
                body = body_of(event.id, event.type, event.created_at, str(row.tenant_id), event.data)
                secrets = signing_secrets(self._deps.secrets, endpoint, now)
                headers = headers_of(event.id, event.type, sign(secrets, int(now.timestamp()), body))
                first = row.first_attempt_at
                leased.append(
                    Attempt(row.tenant_id, row.id, row.endpoint_id, row.attempts, first, endpoint.url, headers, body)
                )
            await uow.commit()
        return leased

    async def _send(self, attempt: Attempt) -> None:
        try:
            try:
                result = await self._sender.post(attempt.url, attempt.headers, attempt.body, self.policy.timeout)
            except Exception as error:  # a defect of the sender: a failed attempt, retried
                result = PostResult(0, f"failed ({type(error).__name__})")
            await self._record(attempt, result)
        finally:
            self._busy[attempt.endpoint] -= 1
            if self._busy[attempt.endpoint] <= 0:
                del self._busy[attempt.endpoint]

    async def _record(self, attempt: Attempt, result: PostResult) -> None:
        now = self._deps.clock.now()
        values: dict[str, object] = {
            "leased_until": None,
            "last_response_code": result.status,
            "last_error": result.error[:300],
        }
        if result.succeeded:
            values |= {"status": DeliveryStatus.SUCCEEDED.value, "next_attempt_at": None}
            outcome = "succeeded"
        else:
            when = next_attempt(
                attempt.attempts,
                attempt.first_attempt_at,
                now,
                backoff=self.policy.backoff,
                window=self.policy.retry_window,
            )
            status = DeliveryStatus.DEAD if when is None else DeliveryStatus.FAILED_RETRYING
            values |= {"status": status.value, "next_attempt_at": when}
            outcome = "dead" if when is None else "retrying"
        async with self._deps.uow() as uow:
            written = await repo.record_outcome(
                uow, attempt.tenant, attempt.delivery, attempts=attempt.attempts, due=DUE, values=values
            )
            await uow.commit()
        self.counts[outcome if written else "stale"] += 1
        if written:
            self._deps.metrics.webhook_deliveries.labels(outcome).inc()
