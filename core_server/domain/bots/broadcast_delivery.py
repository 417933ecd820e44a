"""The gateway's side of a broadcast: lease recipients in batches, send at its own rate, report
each outcome back. Progress lives here, so a gateway that restarts half-way loses nothing: its
unreported leases end and their recipients are leased again, and what it did report counts once.
A gateway that stops gracefully gives back the recipients it leased and did not send (a release,
in its last report), so the next gateway sends them at once instead of after their lease. A
release names its lease by the lease's end, which every row leased by one statement shares: a
recipient whose lease ended and was leased by another gateway since carries another end, so a late
release never frees someone else's lease (which would send the message twice).

A recipient's first reported outcome wins (a report repeated, or made by a second gateway after a
lease ended, changes nothing), so the counts are exact however reports are retried. Reporting
the last recipient finishes the broadcast and starts the tenant's next queued one, in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence

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
from core_server.domain.bots.broadcast_runs import end, find_broadcast
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.reasons import BroadcastNotStarted
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


def _check_report(
    broadcast_id: str, results: Sequence[Result], released: Sequence[int], until: dt.datetime | None, v: Violations
) -> tuple[uuid.UUID, dict[int, Result], set[int]]:
    """The broadcast, the results by recipient (each recipient's first entry only) and the
    recipients given back; `v` may hold the request's violations already (a bad timestamp)."""
    parsed = v.id("broadcast_id", broadcast_id)
    if len(results) > MAX_RESULTS:
        v.add("results", f"must hold 0 to {MAX_RESULTS} results")
    if len(released) > MAX_RESULTS:
        v.add("released_recipient_ids", f"must hold 0 to {MAX_RESULTS} recipient ids")
    if not results and not released:
        v.add("results", "a report needs results or released_recipient_ids")
    first: dict[int, Result] = {}
    for index, result in enumerate(results[:MAX_RESULTS]):
        at = f"results[{index}]"
        if result.recipient_id <= 0:
            v.add(f"{at}.recipient_id", "must be a leased recipient's id (1 or more)")
        if result.outcome not in REPORTED:
            v.add(f"{at}.outcome", "must be SENT, BLOCKED or FAILED")
        error = v.check_text(f"{at}.error", result.error, max_length=MAX_ERROR, multiline=True)
        first.setdefault(result.recipient_id, Result(result.recipient_id, result.outcome, error))
    for index, seq in enumerate(released[:MAX_RESULTS]):
        if seq <= 0:
            v.add(f"released_recipient_ids[{index}]", "must be a leased recipient's id (1 or more)")
    if released and until is None and not v.has("released_lease_expire_time"):
        v.add("released_lease_expire_time", "is required with released_recipient_ids")
    v.raise_if_any()
    assert parsed is not None
    return parsed, first, set(released)


def _check_known(audience: int, first: Collection[int], released: Collection[int]) -> None:
    """Every recipient named is one of the broadcast's (1 to audience)."""
    v = Violations()
    for field, seqs in (("results", first), ("released_recipient_ids", released)):
        unknown = sorted(seq for seq in seqs if seq > audience)
        if unknown:
            v.add(field, f"recipient_id {unknown[0]} is not a recipient of this broadcast (1 to {audience})")
    v.raise_if_any()


class BroadcastDelivery:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def lease(
        self, actor: Actor, broadcast_id: str, max_recipients: int, lease_seconds: int
    ) -> tuple[Broadcast | None, list[Recipient], dt.datetime | None]:
        """Up to max_recipients recipients of the (named or running) broadcast for lease_seconds,
        and the lease's end (None when none were leased: the broadcast is not running or nobody is
        free); the end names the lease in a later release."""
        parsed, limit, seconds = _lease_terms(broadcast_id, max_recipients, lease_seconds)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            if parsed is None:
                row = await repo.running_broadcast(uow, actor.tenant)
            else:
                row = await find_broadcast(uow, actor.tenant, parsed, broadcast_id)
            if row is None:
                return None, [], None
            broadcast = to_broadcast(row)
            if row.status != S.RUNNING:
                return broadcast, [], None
            until = now + dt.timedelta(seconds=seconds)
            leased = await repo.lease(uow, actor.tenant, row.id, now, until, limit)
            await uow.commit()
        recipients = [Recipient(seq, user, chat_id_of(chat), language) for seq, user, chat, language in leased]
        return broadcast, recipients, until if recipients else None

    async def report(
        self,
        actor: Actor,
        broadcast_id: str,
        results: Sequence[Result],
        released: Sequence[int] = (),
        released_until: dt.datetime | None = None,
        violations: Violations | None = None,
    ) -> tuple[Broadcast, int, int]:
        """Record the outcomes (first wins), mark blocked users, finish when nothing is left, and
        end the lease of the released recipients still held by the lease ending at
        `released_until` (a gateway that stops gives back what it did not send, so another sends
        it at once rather than after the lease); the broadcast after it, how many results were new
        and how many recipients were released."""
        v = violations if violations is not None else Violations()
        parsed, by_recipient, given_back = _check_report(broadcast_id, results, released, released_until, v)
        tenant, now = actor.tenant, self._deps.clock.now()
        groups: dict[str, dict[int, str]] = defaultdict(dict)  # outcome -> recipient -> error
        for result in by_recipient.values():
            assert result.outcome is not None
            groups[result.outcome][result.recipient_id] = "" if result.outcome is Outcome.SENT else result.error
        async with self._deps.uow() as uow:
            row = await find_broadcast(uow, tenant, parsed, broadcast_id)
            if row.status in (S.DRAFT, S.QUEUED):
                raise BroadcastNotStarted(f"broadcast is {row.status}", metadata={"status": row.status})
            _check_known(row.audience, by_recipient, given_back)
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
                counted = await repo.add_counts(
                    uow,
                    tenant,
                    parsed,
                    sent=counts[Outcome.SENT],
                    blocked=counts[Outcome.BLOCKED],
                    failed=counts[Outcome.FAILED],
                    now=now,
                )
                assert counted is not None
                row = counted
                if left(row) == 0 and row.status in (S.RUNNING, S.PAUSED):
                    await end(self._deps, uow, row, S.FINISHED, now)
            freed = 0
            if given_back:  # after the outcomes: a recipient both reported and released stays reported
                assert released_until is not None
                freed = await repo.release(uow, tenant, parsed, given_back, released_until)
            broadcast = to_broadcast(row)
            await uow.commit()
        return broadcast, new, freed
