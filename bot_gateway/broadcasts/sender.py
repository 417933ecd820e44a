"""The sender of one tenant bot's broadcasts: leases recipients from the core, sends at the bot's
pace, reports every outcome back.

A task per bot while the tenant has a broadcast to send: the runner starts it when the core lists
the tenant with a running broadcast (ListBotTenants' `broadcast_running`) or the notifier passes on
broadcast.started/.resumed, and it ends once a lease finds the broadcast no longer running (paused,
finished, cancelled) or the tenant with none, so an idle bot holds no task and asks the core
nothing (a thousand idle bots would otherwise lease a thousand times a minute, and each waiting
task cost its bot a third more memory). While the broadcast runs but other gateways hold every
recipient left, it does not end: it leases again every `WAIT_SECONDS`, so what they give back or
let go is sent within seconds, not at the runner's next sync. It leases up to `batch`
recipients of the tenant's running broadcast (LeaseBroadcastRecipients), sends each the content
(`content.send_content`) no faster than `Pace(rate)` allows, and reports outcomes
(ReportBroadcastResults) every `REPORT_EVERY` messages or `REPORT_SECONDS`, and at the end of the
batch. Telegram's answer decides the outcome: sent; blocked on 403 "bot was blocked by the user"
(the core marks the user); failed on another refusal (a deactivated account, a chat not found).
Flood waits (429) are honoured (`retry_after`) and network or server errors retried, so a message
is never reported failed because Telegram was briefly unreachable.

The notifier passes on broadcast.paused/.cancelled (stop before the next message) and
broadcast.started/.resumed (lease now, or go on with the batch in hand); a report's answer (the
broadcast as it now is) says the same without events. A paused broadcast's batch is held until it
resumes (then it goes on at once) for `poll_seconds` at most; then, as after a cancel, the rest
of the batch is let go: those leases end and the recipients are leased again if it runs again.

Restarts: a stop (the task cancelled) lets the message in flight finish and, in one last report,
reports everything sent and gives back the batch's recipients not sent (named with the lease's
end, which the core matches exactly: a late release never frees another gateway's lease). So a
graceful restart resends nothing and waits for nothing: the next gateway leases them at once, not
when the lease (60 s unpaced, about 18 s at 25/s) ends. A batch let go after a cancel or a long
pause is given back the same way. A crash (the process killed) loses the outcomes not reported yet
— at most `REPORT_EVERY` messages or `REPORT_SECONDS` of sending — and those recipients are sent
again once their lease ends: a user may get the message twice then, never zero times.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from enum import StrEnum
from typing import Any, TypeVar

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.backoff import Backoff, BackoffConfig
from google.protobuf import timestamp_pb2

from bot_gateway.broadcasts.content import send_content
from bot_gateway.broadcasts.pace import Pace
from bot_gateway.polling import redact
from sdk.billinghub.v1 import broadcast_pb2, broadcast_service_pb2
from sdk.client import BillingHubClient

log = structlog.get_logger(__name__)

T = TypeVar("T")
B = broadcast_pb2
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=1.5, jitter=0.1)
BLOCKED = "bot was blocked by the user"
REPORT_EVERY = 50  # messages between reports: what a crash may resend at most
REPORT_SECONDS = 2.0
ERROR_CHARS = 500  # the core keeps this much of an error text
WAKING = ("broadcast.started", "broadcast.resumed")
HALTING = ("broadcast.paused", "broadcast.cancelled", "broadcast.finished")
EVENT_TYPES = (*WAKING, *HALTING)
# While the broadcast runs but other gateways hold every recipient left, lease again this often:
# what they give back (a stop) or let go (a crash, once the lease ends) is then sent within
# seconds, at the cost of one cheap lease query per wait for each bot with a running broadcast.
WAIT_SECONDS = 2.0


class Batch(StrEnum):
    """What one lease found."""

    SENT = "sent"  # a batch, sent (or stopped)
    WAITING = "waiting"  # nobody free, but the broadcast runs: others hold the rest
    NONE = "none"  # no running broadcast (paused, ended, or none at all)


async def _finish(work: Coroutine[Any, Any, T], stopping: asyncio.Event | None = None) -> T:
    """Run `work` to its end even when the caller is cancelled (then cancel the caller after);
    `stopping` is set on that cancellation, for `work` to cut its waits short."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if stopping is not None:
            stopping.set()
        await task
        raise


class BroadcastSender:
    """The broadcasts of one tenant's bot; `run()` until cancelled."""

    def __init__(
        self,
        hub: BillingHubClient,
        bot: Bot,
        tenant_id: str,
        *,
        rate: float = 25.0,
        batch: int = 100,
        poll_seconds: float = 60.0,
        on_report: Callable[[broadcast_pb2.Broadcast], Awaitable[None]] | None = None,
    ) -> None:
        """`rate` messages a second at most (0: no limit); `batch` recipients a lease;
        `on_report(broadcast)` hears each report's answer (the progress message)."""
        self._hub = hub
        self._bot = bot
        self._tenant_id = tenant_id
        self._pace = Pace(rate)
        self._batch = max(1, min(batch, 1000))
        self._poll_seconds = poll_seconds
        self._on_report = on_report
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()  # the task is being stopped: retries of a message give up
        # broadcasts paused or ended while a batch of theirs is in hand: id -> the halting event
        self._halted: dict[str, str] = {}
        # the lease outlasts the batch sent at the pace (twice over), at least the core's 10 s
        self._lease_seconds = min(3600, max(10, math.ceil(2 * self._batch / rate) + 10 if rate else 60))

    def on_event(self, event_type: str, data: Mapping[str, object]) -> None:
        """A broadcast.* event (from the notifier): lease now, or hold the broadcast's batch."""
        broadcast_id = str(data.get("broadcast_id", ""))
        if event_type in WAKING:
            self._halted.pop(broadcast_id, None)
            self._wake.set()
        elif event_type in HALTING:
            self._halted[broadcast_id] = event_type
            self._wake.set()  # a batch held for a pause learns it was cancelled

    async def run(self) -> None:
        """Lease and send while the tenant's broadcast runs; end when a lease finds it no longer
        running, or the tenant with none (unless a broadcast woke us meanwhile: then lease again).
        While it runs but other gateways hold every recipient left, lease again every
        `WAIT_SECONDS`: what they give back or let go is ours to send."""
        backoff = Backoff(BACKOFF)
        while True:
            self._wake.clear()
            try:
                batch = await self.send_batch()
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the core restarting, the network: try again a little later
                log.warning("broadcast batch failed", tenant_id=self._tenant_id, error=repr(error))
                await backoff.asleep()
                continue
            if batch is Batch.WAITING and not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=WAIT_SECONDS)
            elif batch is Batch.NONE and not self._wake.is_set():
                return  # no await since the check: an event from now on finds the task done and starts another

    async def send_batch(self) -> Batch:
        """Lease one batch of the running broadcast and send it; what the lease found. Whatever
        the batch leaves unsent (a stop, a cancel, a pause let go) is given back in its last
        report, so that a restarted gateway sends it at once rather than after the lease."""
        leased: broadcast_service_pb2.LeaseBroadcastRecipientsResponse = (
            await self._hub.broadcasts.LeaseBroadcastRecipients(
                broadcast_service_pb2.LeaseBroadcastRecipientsRequest(
                    max_recipients=self._batch, lease_seconds=self._lease_seconds
                )
            )
        )
        if not leased.recipients:
            running = leased.HasField("broadcast") and leased.broadcast.status == B.BROADCAST_STATUS_RUNNING
            return Batch.WAITING if running else Batch.NONE
        broadcast = leased.broadcast
        self._halted.pop(broadcast.id, None)
        results: list[broadcast_pb2.BroadcastResult] = []
        handled: set[int] = set()  # recipients with an outcome (reported, or in `results`)
        reported_at = time.monotonic()
        try:
            for recipient in leased.recipients:
                if broadcast.id in self._halted:
                    outcomes, results = results, []
                    handled.update(r.recipient_id for r in outcomes)
                    if outcomes:  # the admin sees the counts of the pause
                        await _finish(self._report(broadcast.id, outcomes))
                    if not await self._held(broadcast.id):
                        break
                await self._pace.wait()
                # the outcome lands in `results` even when a stop comes while the message is in flight
                await _finish(self._deliver(broadcast.content, recipient, results), self._stopping)
                if len(results) >= REPORT_EVERY or time.monotonic() - reported_at >= REPORT_SECONDS:
                    outcomes, results = results, []
                    reported_at = time.monotonic()
                    handled.update(r.recipient_id for r in outcomes)
                    await _finish(self._report(broadcast.id, outcomes))
        finally:
            # also on a stop: what went out is reported, so a restart does not resend it, and what
            # did not is given back, so a restart does not wait for the lease to end to send it
            handled.update(r.recipient_id for r in results)
            named = leased.HasField("lease_expire_time")  # (a core that does not name it: the lease ends)
            unsent = [r.recipient_id for r in leased.recipients if named and r.recipient_id not in handled]
            if results or unsent:
                await _finish(self._report(broadcast.id, results, unsent, leased.lease_expire_time))
        return Batch.SENT

    async def _held(self, broadcast_id: str) -> bool:
        """Keep a paused broadcast's batch in hand until it resumes (True) or is cancelled (False);
        after `poll_seconds` without news, let it go: the leases end and the recipients are leased
        again when it runs."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self._poll_seconds
        while self._halted.get(broadcast_id) == "broadcast.paused" and loop.time() < until:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=until - loop.time())
        return broadcast_id not in self._halted

    async def _report(
        self,
        broadcast_id: str,
        results: list[broadcast_pb2.BroadcastResult],
        released: list[int] | None = None,
        lease_end: timestamp_pb2.Timestamp | None = None,
    ) -> None:
        """Report the outcomes and give back the `released` recipients of the lease ending at
        `lease_end` (retried: a repeated report counts once, a repeated release frees only what
        that lease still holds); the answer says whether the broadcast still runs."""
        backoff = Backoff(BACKOFF)
        request = broadcast_service_pb2.ReportBroadcastResultsRequest(
            broadcast_id=broadcast_id,
            results=results,
            released_recipient_ids=released or [],
            released_lease_expire_time=lease_end if released else None,
        )
        for attempt in range(5):
            try:
                response: broadcast_service_pb2.ReportBroadcastResultsResponse = (
                    await self._hub.broadcasts.ReportBroadcastResults(request)
                )
                break
            except Exception as error:  # a report repeated counts once: retrying is safe
                log.warning("broadcast report failed", tenant_id=self._tenant_id, attempt=attempt, error=repr(error))
                await backoff.asleep()
        else:  # the core stays away: their leases end and the recipients are leased again
            return
        status = response.broadcast.status
        if status == B.BROADCAST_STATUS_PAUSED:
            self._halted.setdefault(broadcast_id, "broadcast.paused")
        elif status != B.BROADCAST_STATUS_RUNNING:
            self._halted[broadcast_id] = "broadcast.cancelled"
        if self._on_report is not None:
            try:
                await self._on_report(response.broadcast)
            except Exception as error:  # the progress message is a courtesy: never stop sending for it
                log.warning("broadcast progress failed", tenant_id=self._tenant_id, error=repr(error))

    async def _deliver(
        self,
        content: broadcast_pb2.BroadcastContent,
        recipient: broadcast_pb2.BroadcastRecipient,
        results: list[broadcast_pb2.BroadcastResult],
    ) -> None:
        """Send to one recipient until Telegram takes or refuses the message, and add its outcome to
        `results`; a stop during a retry adds none (the message did not go out: it is given back,
        and goes out after a restart)."""
        result = broadcast_pb2.BroadcastResult(recipient_id=recipient.recipient_id)
        if not recipient.chat_id:
            result.outcome, result.error = B.BROADCAST_OUTCOME_FAILED, "no Telegram chat id"
            results.append(result)
            return
        backoff = Backoff(BACKOFF)
        while not self._stopping.is_set():
            try:
                await send_content(self._bot, recipient.chat_id, content)
                result.outcome = B.BROADCAST_OUTCOME_SENT
            except TelegramRetryAfter as error:
                await self._pause(error.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError) as error:
                log.warning(
                    "broadcast message not sent yet",
                    tenant_id=self._tenant_id,
                    error=redact(repr(error), self._bot.token),
                )
                await self._pause(next(backoff))
                continue
            except TelegramForbiddenError as error:
                blocked = BLOCKED in error.message
                result.outcome = B.BROADCAST_OUTCOME_BLOCKED if blocked else B.BROADCAST_OUTCOME_FAILED
                result.error = error.message[:ERROR_CHARS]
            except TelegramAPIError as error:  # a bad request, a chat not found: retrying will not help
                result.outcome, result.error = B.BROADCAST_OUTCOME_FAILED, error.message[:ERROR_CHARS]
            results.append(result)
            return

    async def _pause(self, seconds: float) -> None:
        """Sleep before a retry; a stop cuts it short."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
