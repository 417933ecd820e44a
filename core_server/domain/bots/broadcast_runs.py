"""What every path that moves a broadcast shares: taking the tenant's one running place (or
queueing for it), ending a broadcast and handing the place to the oldest queued one, and the
event each step writes in the same transaction.

Whoever ends the broadcast that holds the place (its last report, a cancel) starts the next queued
one in the same transaction; a start that finds the place taken locks its holder first, so it
either sees it still running (and queues, to be started by whoever ends it) or sees it ended and
takes the place itself. The unique index on the place settles the rest: a broadcast that loses
the race for it stays (or becomes) queued.
"""

from __future__ import annotations

import datetime as dt
import uuid

from core_server.domain.bots.broadcast_model import ENDED, BroadcastStatus, check_move, event_data, move
from core_server.domain.deps import Deps
from core_server.domain.events import emit
from core_server.domain.reasons import BroadcastNotFound
from core_server.store.models import BroadcastRow
from core_server.store.repositories import broadcasts as repo
from core_server.store.unit_of_work import UnitOfWork

S = BroadcastStatus


async def emit_status(deps: Deps, uow: UnitOfWork, row: BroadcastRow, now: dt.datetime, name: str = "") -> None:
    """broadcast.<name>, by default the row's new status (started for running)."""
    name = name or ("started" if row.status == S.RUNNING else row.status)
    await emit(uow, deps.feed, row.tenant_id, f"broadcast.{name}", event_data(row), now)


async def take_place(deps: Deps, uow: UnitOfWork, row: BroadcastRow, now: dt.datetime) -> bool:
    """Run the (draft or queued) broadcast if the tenant's running place is free; True when it runs.
    (It has recipients: a start with none is refused, and nobody reports on a queued one.)"""
    check_move(row, S.RUNNING)
    if not await repo.take_place(uow, row, S.RUNNING, now):
        return False
    await emit_status(deps, uow, row, now)
    return True


async def run_or_queue(deps: Deps, uow: UnitOfWork, row: BroadcastRow, now: dt.datetime) -> None:
    """A started draft: run it, or queue it behind the broadcast holding the tenant's place."""
    holder = await repo.lock_place_holder(uow, row.tenant_id)
    if holder is None and await take_place(deps, uow, row, now):
        return
    move(row, S.QUEUED, now)
    await uow.session.flush()


async def end(deps: Deps, uow: UnitOfWork, row: BroadcastRow, to: BroadcastStatus, now: dt.datetime) -> None:
    """Finish or cancel the (locked) broadcast; when it held the tenant's place, the oldest queued
    broadcast takes it."""
    assert to in ENDED
    held = row.status in (S.RUNNING, S.PAUSED)
    move(row, to, now)
    await uow.session.flush()
    await emit_status(deps, uow, row, now)
    if held:
        await start_next(deps, uow, row.tenant_id, now)


async def start_next(deps: Deps, uow: UnitOfWork, tenant: uuid.UUID, now: dt.datetime) -> None:
    queued = await repo.next_queued(uow, tenant, S.QUEUED)
    if queued is not None:
        await take_place(deps, uow, queued, now)


async def find_broadcast(
    uow: UnitOfWork, tenant: uuid.UUID, parsed: uuid.UUID, text: str, *, lock: bool = False
) -> BroadcastRow:
    """The tenant's broadcast (locked with `lock`), or BROADCAST_NOT_FOUND naming `text`, the id
    as the caller sent it."""
    row = await repo.get_broadcast(uow, tenant, parsed, for_update=lock)
    if row is None:
        raise BroadcastNotFound(text)
    return row
