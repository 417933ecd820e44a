"""The gateway's side of a broadcast: lease recipients in batches, send at its own rate, report
each outcome back. Progress lives here, so a gateway that restarts half-way loses nothing: its
unreported leases end and their recipients are leased again, and what it did report counts once.

A recipient's first reported outcome wins (a report repeated, or made by a second gateway after a
lease ended, changes nothing), so the counts are exact however reports are retried. Reporting
the last recipient finishes the broadcast and starts the tenant's next queued one, in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from core_server.domain.actor import Actor
from core_server.domain.bots.broadcast_model import (
    MAX_ERROR,
    Broadcast,
    BroadcastStatus,
    Outcome,
    Recipient,
    Result,
    chat_id_of,
    left,
    to_broadcast,
)
from core_server.domain.bots.broadcast_runs import end
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.reasons import BroadcastNotFound, BroadcastNotStarted
from core_server.store.repositories import broadcasts as repo

S = BroadcastStatus
MAX_LEASE, DEFAULT_LEASE = 1000, 100
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 3600, 60
MAX_RESULTS = 1000
REPORTED = (Outcome.SENT, Outcome.BLOCKED, Outcome.FAILED)


def _lease_terms(broadcast_id: str, max_recipients: int, lease_seconds: int) -> tuple[uuid.UUID | None, int, int]:
    v = Violations()
    parsed = v.id("broadcast_id", broadcast_id, required=False)
    if not 0 <= max_recipients <= MAX_LEASE:
        v.add("max_recipients", f"must be between 1 and {MAX_LEASE}, or 0 for {DEFAULT_LEASE}")
    if lease_seconds and not MIN_SECONDS <= lease_seconds <= MAX_SECONDS:
        v.add("lease_seconds", f"must be between {MIN_SECONDS} and {MAX_SECONDS}, or 0 for {DEFAULT_SECONDS}")
    v.raise_if_any()
    return parsed, max_recipients or DEFAULT_LEASE, lease_seconds or DEFAULT_SECONDS


def _check_results(broadcast_id: str, results: Sequence[Result]) -> tuple[uuid.UUID, dict[int, Result]]:
    """The broadcast and the results by recipient, each recipient's first entry only."""
    v = Violations()
    parsed = v.id("broadcast_id", broadcast_id)
    if not 1 <= len(results) <= MAX_RESULTS:
        v.add("results", f"must hold 1 to {MAX_RESULTS} results")
    first: dict[int, Result] = {}
    for index, result in enumerate(results[:MAX_RESULTS]):
        at = f"results[{index}]"
        if result.recipient_id <= 0:
            v.add(f"{at}.recipient_id", "must be a leased recipient's id (1 or more)")
        if result.outcome not in REPORTED:
            v.add(f"{at}.outcome", "must be SENT, BLOCKED or FAILED")
        error = v.check_text(f"{at}.error", result.error, max_length=MAX_ERROR, multiline=True)
        first.setdefault(result.recipient_id, Result(result.recipient_id, result.outcome, error))
    v.raise_if_any()
    assert parsed is not None
    return parsed, first


class BroadcastDelivery:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def lease(
        self, actor: Actor, broadcast_id: str, max_recipients: int, lease_seconds: int
    ) -> tuple[Broadcast | None, list[Recipient]]:
        """Up to max_recipients recipients of the (named or running) broadcast for lease_seconds;
        none unless it is running."""
        parsed, limit, seconds = _lease_terms(broadcast_id, max_recipients, lease_seconds)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            if parsed is None:
                row = await repo.running_broadcast(uow, actor.tenant)
            else:
                row = await repo.get_broadcast(uow, actor.tenant, parsed)
                if row is None:
                    raise BroadcastNotFound(broadcast_id)
            if row is None:
                return None, []
            broadcast = to_broadcast(row)
            if row.status != S.RUNNING:
                return broadcast, []
            until = now + dt.timedelta(seconds=seconds)
            leased = await repo.lease(uow, actor.tenant, row.id, now, until, limit)
            await uow.commit()
        return broadcast, [Recipient(seq, user, chat_id_of(chat), language) for seq, user, chat, language in leased]

    async def report(self, actor: Actor, broadcast_id: str, results: Sequence[Result]) -> tuple[Broadcast, int]:
        """Record the outcomes (first wins), mark blocked users, finish when nothing is left; the
        broadcast after it and how many results were new."""
        parsed, by_recipient = _check_results(broadcast_id, results)
        tenant, now = actor.tenant, self._deps.clock.now()
        groups: dict[str, dict[int, str]] = defaultdict(dict)  # outcome -> recipient -> error
        for result in by_recipient.values():
            assert result.outcome is not None
            groups[result.outcome][result.recipient_id] = "" if result.outcome is Outcome.SENT else result.error
        async with self._deps.uow() as uow:
            row = await repo.get_broadcast(uow, tenant, parsed)
            if row is None:
                raise BroadcastNotFound(broadcast_id)
            if row.status in (S.DRAFT, S.QUEUED):
                raise BroadcastNotStarted(f"broadcast is {row.status}", metadata={"status": row.status})
            unknown = sorted(seq for seq in by_recipient if seq > row.audience)
            if unknown:
                v = Violations()
                known = f"1 to {row.audience}"
                v.add("results", f"recipient_id {unknown[0]} is not a recipient of this broadcast ({known})")
                v.raise_if_any()
            counts: dict[str, int] = defaultdict(int)
            blocked_users: list[uuid.UUID] = []
            for outcome, errors in sorted(groups.items()):  # one statement per outcome, in one order
                recorded = await repo.report(uow, tenant, parsed, errors, outcome, now)
                counts[outcome] += len(recorded)
                if outcome == Outcome.BLOCKED:
                    blocked_users += [user for _seq, user in recorded]
            await repo.mark_bot_blocked(uow, tenant, blocked_users, now)
            new = sum(counts.values())
            if new:
                row = await repo.add_counts(
                    uow,
                    tenant,
                    parsed,
                    sent=counts[Outcome.SENT],
                    blocked=counts[Outcome.BLOCKED],
                    failed=counts[Outcome.FAILED],
                    now=now,
                )
                assert row is not None
                if left(row) == 0 and row.status in (S.RUNNING, S.PAUSED):
                    await end(self._deps, uow, row, S.FINISHED, now)
            broadcast = to_broadcast(row)
            await uow.commit()
        return broadcast, new
