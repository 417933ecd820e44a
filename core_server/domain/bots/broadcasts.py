"""Broadcasts of a tenant's bot, as its admins run them: create a draft, count who it would
reach, start it (its audience frozen then, by one INSERT ... SELECT), pause, resume, cancel, read.
The sending itself is the gateway's (broadcast_delivery.py). Every change is audited under the
acting admin and writes its broadcast.* event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.bots.broadcast_model import (
    ENDED,
    Broadcast,
    BroadcastStatus,
    Content,
    Segment,
    SegmentKind,
    check_content,
    check_segment,
    event_data,
    left,
    move,
    to_broadcast,
)
from core_server.domain.bots.broadcast_runs import emit_status, end, find_broadcast, run_or_queue
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.ids import require_id
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import (
    BroadcastAudienceEmpty,
    BroadcastEnded,
    BroadcastNotDraft,
    BroadcastNotPaused,
    BroadcastNotRunning,
)
from core_server.domain.subscriptions.plans import RUNNING as PLAN_RUNNING
from core_server.store.ids import new_id
from core_server.store.models import BroadcastRow
from core_server.store.repositories import broadcasts as repo
from core_server.store.repositories.broadcasts import Audience
from core_server.store.unit_of_work import UnitOfWork

S = BroadcastStatus
TELEGRAM = "telegram"  # the bot sends by chat id: only Telegram users are recipients


def audience_of(segment: Segment, now: dt.datetime) -> Audience:
    """The repository's selection for a (checked) segment."""
    kind = segment.kind
    return Audience(
        platform=TELEGRAM,
        paid=kind is SegmentKind.PAID,
        subscription_statuses=[str(s) for s in PLAN_RUNNING] if kind is SegmentKind.ACTIVE_SUBSCRIPTION else [],
        language=segment.language if kind is SegmentKind.LANGUAGE else "",
        inactive_since=now - dt.timedelta(days=segment.inactive_days) if kind is SegmentKind.INACTIVE else None,
        now=now,
    )


def stored_segment(row: BroadcastRow) -> Segment:
    return Segment(kind=SegmentKind(row.segment), language=row.segment_language, inactive_days=row.segment_days)


def _record(
    uow: UnitOfWork, actor: Actor, action: str, row: BroadcastRow, before: dict[str, Any], now: dt.datetime
) -> None:
    audit.record(uow, actor, "", action, ("broadcast", str(row.id)), "", before, event_data(row), now)


class BroadcastService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, actor: Actor, content: Content | None, segment: Segment | None) -> Broadcast:
        v = Violations()
        content = check_content(content, v)
        segment = check_segment(segment, v)
        v.raise_if_any()
        assert segment.kind is not None
        assert content.parse_mode is not None
        now = self._deps.clock.now()
        row = BroadcastRow(
            tenant_id=actor.tenant,
            id=new_id(),
            status=S.DRAFT,
            body=content.text,
            photo=content.photo,
            parse_mode=content.parse_mode,
            button_text=content.button.text if content.button else "",
            button_url=content.button.url if content.button else "",
            segment=segment.kind,
            segment_language=segment.language,
            segment_days=segment.inactive_days,
            audience=0,
            sent=0,
            blocked=0,
            failed=0,
            created_by=actor.acting_for or actor.label,
            created_at=now,
            updated_at=now,
        )
        async with self._deps.uow() as uow:
            await repo.add_broadcast(uow, row)
            _record(uow, actor, "broadcast.created", row, {}, now)
            created = to_broadcast(row)
            await uow.commit()
        return created

    async def count(self, actor: Actor, segment: Segment | None, broadcast_id: str) -> int:
        v = Violations()
        parsed = v.id("broadcast_id", broadcast_id, required=False)
        if parsed is None and not broadcast_id:
            segment = check_segment(segment, v)
        elif segment is not None:
            v.add("segment", "must be empty when broadcast_id is given")
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            if parsed is not None:
                segment = stored_segment(await find_broadcast(uow, actor.tenant, parsed, broadcast_id))
            assert segment is not None
            return await repo.count_audience(uow, actor.tenant, audience_of(segment, now))

    async def start(self, actor: Actor, broadcast_id: str) -> Broadcast:
        """Freeze the draft's audience and run it, or queue it behind the tenant's running one."""
        parsed = require_id("broadcast_id", broadcast_id)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await find_broadcast(uow, actor.tenant, parsed, broadcast_id, lock=True)
            if row.status != S.DRAFT:
                raise BroadcastNotDraft(f"broadcast is {row.status}", metadata={"status": row.status})
            audience = await repo.freeze_audience(uow, actor.tenant, row.id, audience_of(stored_segment(row), now))
            if audience == 0:
                raise BroadcastAudienceEmpty("the broadcast's segment selects no user now")
            row.audience, row.updated_at = audience, now
            await uow.session.flush()
            await run_or_queue(self._deps, uow, row, now)
            _record(uow, actor, "broadcast.started", row, {"status": S.DRAFT}, now)
            started = to_broadcast(row)
            await uow.commit()
        return started

    async def pause(self, actor: Actor, broadcast_id: str) -> Broadcast:
        return await self._change(actor, broadcast_id, S.RUNNING, S.PAUSED)

    async def resume(self, actor: Actor, broadcast_id: str) -> Broadcast:
        return await self._change(actor, broadcast_id, S.PAUSED, S.RUNNING)

    async def cancel(self, actor: Actor, broadcast_id: str) -> Broadcast:
        return await self._change(actor, broadcast_id, None, S.CANCELLED)

    async def get(self, actor: Actor, broadcast_id: str) -> Broadcast:
        parsed = require_id("broadcast_id", broadcast_id)
        async with self._deps.read_uow() as uow:
            return to_broadcast(await find_broadcast(uow, actor.tenant, parsed, broadcast_id))

    async def list_broadcasts(
        self, actor: Actor, status: str | None, page_size: int, page_token: str, violations: Violations
    ) -> tuple[list[Broadcast], str]:
        """`violations`: those found converting the request, reported with the paging's own."""
        page = page_request(page_size, page_token, {"s": status}, violations=violations)
        violations.raise_if_any()
        async with self._deps.read_uow() as uow:
            rows = await repo.list_broadcasts(
                uow, actor.tenant, status=status, before=before_id(page), limit=page.size + 1
            )
            return id_page(page, rows, to_broadcast)

    async def _change(
        self, actor: Actor, broadcast_id: str, expected: BroadcastStatus | None, to: BroadcastStatus
    ) -> Broadcast:
        """Pause (running → paused), resume (paused → running) or cancel (any but ended)."""
        parsed = require_id("broadcast_id", broadcast_id)
        now = self._deps.clock.now()
        name = "resumed" if to is S.RUNNING else str(to)
        async with self._deps.uow() as uow:
            row = await find_broadcast(uow, actor.tenant, parsed, broadcast_id, lock=True)
            before = event_data(row)
            _refuse(row, expected)
            if to is S.CANCELLED:
                await end(self._deps, uow, row, to, now)
            else:
                move(row, to, now)
                await uow.session.flush()
                await emit_status(self._deps, uow, row, now, name)
                if to is S.RUNNING and left(row) == 0:  # every recipient was reported while paused
                    await end(self._deps, uow, row, S.FINISHED, now)
            _record(uow, actor, f"broadcast.{name}", row, before, now)
            changed = to_broadcast(row)
            await uow.commit()
        return changed


def _refuse(row: BroadcastRow, expected: BroadcastStatus | None) -> None:
    """FAILED_PRECONDITION with the reason of the state conflict, if there is one."""
    status = S(row.status)
    metadata = {"status": row.status}
    if expected is S.RUNNING and status is not S.RUNNING:
        raise BroadcastNotRunning(f"broadcast is {status}", metadata=metadata)
    if expected is S.PAUSED and status is not S.PAUSED:
        raise BroadcastNotPaused(f"broadcast is {status}", metadata=metadata)
    if status in ENDED:
        raise BroadcastEnded(f"broadcast is {status}", metadata=metadata)
