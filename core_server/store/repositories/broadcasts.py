"""Broadcast queries, set-based so that a broadcast to 100 000 users costs a handful of statements
per batch, never one per recipient: the audience is frozen by one INSERT ... SELECT, a lease is one
UPDATE ... RETURNING over the pending recipients (SKIP LOCKED, so concurrent gateways get disjoint
ones), a report is one UPDATE per outcome whose `outcome = 'pending'` condition lets the first
report of a recipient win, and a release is one UPDATE that matches its lease's exact end.

Lock order (beside the ledger's, store/repositories/ledger.py): recipients → users → their
broadcast → the next queued broadcast (taken with SKIP LOCKED, so never waited for). A start locks
its draft, then the running broadcast it would queue behind.

Statuses and outcomes come in as values from the domain, which owns what they mean; the partial
indexes' own values ('pending', 'running', 'paused') are written into the statements so that
PostgreSQL matches the indexes whatever the parameters.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Uuid,
    and_,
    any_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from core_server.store.errors import ConstraintViolation
from core_server.store.models import BroadcastRecipientRow, BroadcastRow, OrderRow, SubscriptionRow, UserRow
from core_server.store.repositories.keyset import newest_first
from core_server.store.unit_of_work import UnitOfWork

R = BroadcastRecipientRow
PENDING: ColumnElement[str] = literal_column("'pending'")
RUNNING: ColumnElement[str] = literal_column("'running'")
PAUSED: ColumnElement[str] = literal_column("'paused'")


@dataclass(frozen=True, slots=True, kw_only=True)
class Audience:
    """Which users a segment selects: the tenant's users of `platform`, neither blocked by an admin
    nor having blocked the bot, narrowed by at most one of the rest."""

    platform: str
    paid: bool = False
    # subscriptions in one of these statuses whose end is after `now`
    subscription_statuses: Collection[str] = ()
    language: str = ""
    # no registration and no order since then
    inactive_since: dt.datetime | None = None
    now: dt.datetime


def _audience(tenant: uuid.UUID, audience: Audience) -> list[ColumnElement[bool]]:
    u = UserRow
    conditions: list[ColumnElement[bool]] = [
        u.tenant_id == tenant,
        u.platform == audience.platform,
        not_(u.blocked),
        not_(u.bot_blocked),
    ]
    if audience.paid:
        paid = select(OrderRow.id).where(
            OrderRow.tenant_id == u.tenant_id, OrderRow.user_id == u.id, OrderRow.paid_at.is_not(None)
        )
        conditions.append(exists(paid))
    if audience.subscription_statuses:
        s = SubscriptionRow
        running = select(s.id).where(
            s.tenant_id == u.tenant_id,
            s.user_id == u.id,
            s.status.in_(list(audience.subscription_statuses)),
            s.end_at > audience.now,
        )
        conditions.append(exists(running))
    if audience.language:
        conditions.append(or_(u.language_code == audience.language, u.language_code.like(audience.language + "-%")))
    if audience.inactive_since is not None:
        since = audience.inactive_since
        recent = select(OrderRow.id).where(
            OrderRow.tenant_id == u.tenant_id, OrderRow.user_id == u.id, OrderRow.created_at > since
        )
        conditions += [u.created_at <= since, not_(exists(recent))]
    return conditions


async def count_audience(uow: UnitOfWork, tenant: uuid.UUID, audience: Audience) -> int:
    statement = select(func.count()).select_from(UserRow).where(*_audience(tenant, audience))
    return int((await uow.session.execute(statement)).scalar_one())


async def freeze_audience(uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, audience: Audience) -> int:
    """Copy the users the segment selects now into the broadcast's recipients, numbered 1..n by
    user id, in one INSERT ... SELECT; returns n."""
    u = UserRow
    chosen = select(
        literal(tenant, Uuid()),
        literal(broadcast, Uuid()),
        func.row_number().over(order_by=u.id),
        u.id,
        u.external_id,
        u.language_code,
        PENDING,
        literal(""),
    ).where(*_audience(tenant, audience))
    columns = ["tenant_id", "broadcast_id", "seq", "user_id", "chat_id", "language", "outcome", "error"]
    result = await uow.session.execute(insert(R).from_select(columns, chosen))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult for an INSERT


async def add_broadcast(uow: UnitOfWork, row: BroadcastRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_broadcast(
    uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, *, for_update: bool = False
) -> BroadcastRow | None:
    """The broadcast; with for_update, locked and read afresh (a copy loaded earlier is refreshed)."""
    statement = select(BroadcastRow).where(BroadcastRow.tenant_id == tenant, BroadcastRow.id == broadcast)
    if for_update:
        statement = statement.with_for_update()
    statement = statement.execution_options(populate_existing=True)
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def running_broadcast(uow: UnitOfWork, tenant: uuid.UUID) -> BroadcastRow | None:
    """The tenant's running broadcast, if any (unlocked)."""
    statement = select(BroadcastRow).where(BroadcastRow.tenant_id == tenant, BroadcastRow.status == RUNNING)
    return (await uow.session.execute(statement.limit(1))).scalar_one_or_none()


async def tenants_running_broadcasts(uow: UnitOfWork, tenants: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these tenants have a running broadcast (one query for a gateway's whole list)."""
    if not tenants:
        return set()
    statement = select(BroadcastRow.tenant_id).where(
        BroadcastRow.tenant_id.in_(list(tenants)), BroadcastRow.status == RUNNING
    )
    return set((await uow.session.execute(statement)).scalars().all())


async def lock_place_holder(uow: UnitOfWork, tenant: uuid.UUID) -> BroadcastRow | None:
    """The tenant's running or paused broadcast, locked. When another transaction is ending it, this
    waits for that one and then sees it ended: a start never queues behind a broadcast that
    finished meanwhile without starting the queue again."""
    statement = (
        select(BroadcastRow)
        .where(BroadcastRow.tenant_id == tenant, BroadcastRow.status.in_([RUNNING, PAUSED]))
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def next_queued(uow: UnitOfWork, tenant: uuid.UUID, queued: str) -> BroadcastRow | None:
    """The tenant's oldest queued broadcast, locked; one another transaction holds is skipped."""
    statement = (
        select(BroadcastRow)
        .where(BroadcastRow.tenant_id == tenant, BroadcastRow.status == queued)
        .order_by(BroadcastRow.queued_at, BroadcastRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def take_place(uow: UnitOfWork, row: BroadcastRow, running: str, now: dt.datetime) -> bool:
    """Move a draft or queued broadcast to `running`, stamped now, unless the tenant's one running
    place was taken meanwhile (the unique index refuses it): then False and nothing changes. The
    row is read back either way. One UPDATE in a savepoint: flushing the row there instead would
    flush it before the savepoint begins, and a refusal would end the whole transaction."""
    await uow.session.flush()
    b = BroadcastRow
    statement = (
        update(b)
        .where(b.tenant_id == row.tenant_id, b.id == row.id)
        .values(status=running, started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    try:
        async with uow.savepoint():
            await uow.session.execute(statement)
    except IntegrityError as error:
        if "uq_broadcasts_one_active" not in str(error.orig) and "broadcasts.tenant_id" not in str(error.orig):
            raise ConstraintViolation(str(error.orig)) from error
        await uow.session.refresh(row)
        return False
    await uow.session.refresh(row)
    return True


async def list_broadcasts(
    uow: UnitOfWork, tenant: uuid.UUID, *, status: str | None, before: uuid.UUID | None, limit: int
) -> Sequence[BroadcastRow]:
    statement = select(BroadcastRow).where(BroadcastRow.tenant_id == tenant)
    if status:
        statement = statement.where(BroadcastRow.status == status)
    return await newest_first(uow, statement, BroadcastRow.id, before, limit)


async def lease(
    uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, now: dt.datetime, until: dt.datetime, limit: int
) -> list[tuple[int, uuid.UUID, str, str]]:
    """Lease up to `limit` pending recipients that no live lease holds, lowest number first:
    (seq, user_id, chat_id, language) of each, by seq. Rows another transaction is leasing are
    skipped (SKIP LOCKED), so concurrent leases are disjoint."""
    free = (
        select(R.seq)
        .where(
            R.tenant_id == tenant,
            R.broadcast_id == broadcast,
            R.outcome == PENDING,
            or_(R.lease_until.is_(None), R.lease_until <= now),
        )
        .order_by(R.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
        # chosen once: as an IN (subquery) PostgreSQL may rescan it per row, and each rescan skips
        # the rows this very statement updated and locks the next ones, past the limit
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    # the picked numbers as one array: each an index lookup on the primary key, whatever the
    # table's statistics say (joined to the CTE instead, a broadcast frozen moments ago, not yet
    # analyzed, was planned as a scan of all its recipients per picked row: 4 s a lease at 100 000)
    picked: ColumnElement[bool] = (
        R.seq == any_(func.array(select(free.c.seq).scalar_subquery()))
        if uow.dialect == "postgresql"
        else R.seq == free.c.seq
    )
    statement = (
        update(R)
        .where(R.tenant_id == tenant, R.broadcast_id == broadcast, picked)
        .values(lease_until=until)
        .returning(R.seq, R.user_id, R.chat_id, R.language)
        .execution_options(synchronize_session=False)
    )
    rows = (await uow.session.execute(statement)).all()
    return sorted((int(seq), user, chat, language) for seq, user, chat, language in rows)


async def report(
    uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, errors: Mapping[int, str], outcome: str, now: dt.datetime
) -> list[tuple[int, uuid.UUID]]:
    """Record one outcome, with each recipient's error text, for those of `errors`' recipients
    still pending, in one statement; (seq, user_id) of each recorded. A recipient reported before
    (here or concurrently: the row lock makes the later statement see it reported) is left as
    it is."""
    texts = set(errors.values())
    error: ColumnElement[str] | str = texts.pop() if len(texts) == 1 else case(dict(errors), value=R.seq, else_="")
    statement = (
        update(R)
        .where(R.tenant_id == tenant, R.broadcast_id == broadcast, R.seq.in_(sorted(errors)), R.outcome == PENDING)
        .values(outcome=outcome, error=error, reported_at=now, lease_until=None)
        .returning(R.seq, R.user_id)
        .execution_options(synchronize_session=False)
    )
    return [(int(seq), user) for seq, user in (await uow.session.execute(statement)).all()]


async def release(
    uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, seqs: Collection[int], until: dt.datetime
) -> int:
    """End the lease of those of `seqs` still pending and held by the lease that ends at `until`
    (rows leased by one statement share it), in one statement; how many. A recipient whose lease
    ended and was leased again since has another `lease_until`: its new holder keeps it."""
    statement = (
        update(R)
        .where(
            R.tenant_id == tenant,
            R.broadcast_id == broadcast,
            R.seq.in_(sorted(seqs)),
            R.outcome == PENDING,
            R.lease_until == until,
        )
        .values(lease_until=None)
        .execution_options(synchronize_session=False)
    )
    result = await uow.session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult for an UPDATE


async def add_counts(
    uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, *, sent: int, blocked: int, failed: int, now: dt.datetime
) -> BroadcastRow | None:
    """Add to the broadcast's counts in one statement (which locks it, after its recipients) and
    return it read afresh."""
    b = BroadcastRow
    statement = (
        update(b)
        .where(b.tenant_id == tenant, b.id == broadcast)
        .values(sent=b.sent + sent, blocked=b.blocked + blocked, failed=b.failed + failed, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await uow.session.execute(statement)
    return await get_broadcast(uow, tenant, broadcast, for_update=True)


async def mark_bot_blocked(uow: UnitOfWork, tenant: uuid.UUID, users: Collection[uuid.UUID], now: dt.datetime) -> None:
    """Mark users who blocked the bot, as SetUserBotBlocked does: a user marked before keeps the
    time of the first mark."""
    if not users:
        return
    statement = (
        update(UserRow)
        .where(and_(UserRow.tenant_id == tenant, UserRow.id.in_(sorted(users)), not_(UserRow.bot_blocked)))
        .values(bot_blocked=True, bot_blocked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await uow.session.execute(statement)


async def claim_report(
    uow: UnitOfWork, tenant: uuid.UUID, broadcast: uuid.UUID, ended: Collection[str], now: dt.datetime
) -> bool:
    """Claim the ended broadcast's final report: True for the one caller whose conditional update
    found it unclaimed (concurrent claims serialize on the row; the later one sees it claimed)."""
    b = BroadcastRow
    statement = (
        update(b)
        .where(b.tenant_id == tenant, b.id == broadcast, b.status.in_(list(ended)), b.report_claimed_at.is_(None))
        .values(report_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await uow.session.execute(statement)
    return int(result.rowcount) == 1  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
