"""Subscriptions as users and admins see them: reading, cancelling renewal, entitlements, and the
expiry worker's steps (notices before the end, renewal from the wallet, expiry)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import FailedPrecondition, InvalidArgument, NotFound, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.ids import require_id
from core_server.domain.paging import PageRequest, next_page_token, page_request
from core_server.domain.subscriptions import plans
from core_server.domain.subscriptions.plans import ACTIVE, CANCELLED, GRANTING, RENEWING, SubscriptionStatus
from core_server.domain.tenancy.settings import DEFAULT_NOTICE_DAYS, order_settings
from core_server.store.models import PackageRow, SubscriptionRow, TenantSettingsRow
from core_server.store.unit_of_work import UnitOfWork

STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    id: uuid.UUID
    user_id: uuid.UUID
    plan_code: str
    package_id: uuid.UUID
    status: str
    start_at: dt.datetime
    end_at: dt.datetime
    last_order_id: uuid.UUID | None
    cancel_at: dt.datetime | None


def to_subscription(row: SubscriptionRow) -> Subscription:
    status = ACTIVE if row.status == RENEWING else row.status
    return Subscription(
        id=row.id,
        user_id=row.user_id,
        plan_code=row.plan_code,
        package_id=row.package_id,
        status=status,
        start_at=row.start_at,
        end_at=row.end_at,
        last_order_id=row.last_order_id,
        cancel_at=row.cancel_at,
    )


def _after(page: PageRequest) -> tuple[dt.datetime, uuid.UUID] | None:
    """The keyset of a page token: the end time and id of the last subscription seen."""
    if page.after is None:
        return None
    try:
        end, identifier = page.after.split("/")
        return dt.datetime.fromisoformat(end), uuid.UUID(identifier)
    except ValueError:
        raise InvalidArgument([Violation("page_token", "is not a token this list issued")]) from None


class SubscriptionService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get(self, actor: Actor, subscription_id: str) -> Subscription:
        parsed = require_id("subscription_id", subscription_id)
        async with self._deps.uow() as uow:
            row = await uow.session.get(SubscriptionRow, (actor.tenant, parsed))
            if row is None:
                raise NotFound("subscription", subscription_id)
            return to_subscription(row)

    async def list_subscriptions(
        self, actor: Actor, user_id: str, status: str | None, plan_code: str, page_size: int, page_token: str
    ) -> tuple[list[Subscription], str]:
        """Soonest end first (ties by id): the order a renewal desk works through."""
        actor.require_user_filter(user_id)
        v = Violations()
        v.check_length("plan_code", plan_code, max_length=50)
        v.raise_if_any()
        page = page_request(page_size, page_token, {"u": user_id, "s": status, "p": plan_code})
        statement = (
            select(SubscriptionRow)
            .where(SubscriptionRow.tenant_id == actor.tenant)
            .order_by(SubscriptionRow.end_at, SubscriptionRow.id)
        )
        if user_id:
            statement = statement.where(SubscriptionRow.user_id == require_id("user_id", user_id))
        if status:
            stored = (status, RENEWING) if status == ACTIVE else (status,)
            statement = statement.where(SubscriptionRow.status.in_(stored))
        if plan_code:
            statement = statement.where(SubscriptionRow.plan_code == plan_code)
        after = _after(page)
        if after is not None:
            end, identifier = after
            statement = statement.where(
                or_(
                    SubscriptionRow.end_at > end,
                    and_(SubscriptionRow.end_at == end, SubscriptionRow.id > identifier),
                )
            )
        async with self._deps.uow() as uow:
            rows = (await uow.session.execute(statement.limit(page.size + 1))).scalars().all()
            found = [to_subscription(row) for row in rows[: page.size]]
        last = f"{found[-1].end_at.isoformat()}/{found[-1].id.hex}" if found else None
        return found, next_page_token(page, last, len(rows) > page.size)

    async def cancel(self, actor: Actor, subscription_id: str) -> Subscription:
        """Stop renewal; the plan is kept until its end. A subscription the worker is renewing at
        this moment answers SUBSCRIPTION_NOT_ACTIVE: its period is over and being paid for, and
        cancelling once the renewal is done stops the next one."""
        parsed = require_id("subscription_id", subscription_id)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await uow.session.get(SubscriptionRow, (actor.tenant, parsed), with_for_update=True)
            if row is None:
                raise NotFound("subscription", subscription_id)
            if row.status != ACTIVE:
                status = RENEWING if row.status == RENEWING else row.status
                raise FailedPrecondition(
                    f"subscription is {status}", reason="SUBSCRIPTION_NOT_ACTIVE", metadata={"status": status}
                )
            row.status, row.cancel_at, row.updated_at = CANCELLED, now, now
            await uow.session.flush()
            await emit(uow, self._deps.feed, actor.tenant, "subscription.cancelled", plans.event_data(row), now)
            cancelled = to_subscription(row)
            await uow.commit()
        return cancelled

    async def send_notices(self, limit: int = 500) -> int:
        """subscription.expiring on each of the tenant's notice days, once per day and end date."""
        now = self._deps.clock.now()
        sent = 0
        for tenant, identifier in await self._notice_candidates(now, limit):
            async with self._deps.uow() as uow:
                row = await lock_subscription(uow, tenant, identifier)
                if row is None or row.status not in GRANTING or row.end_at <= now:
                    continue
                days = (await order_settings(uow, tenant)).expiring_notice_days
                due = plans.notice_due(days, row.end_at - now, row.notices_sent or [])
                if due is None:
                    continue
                day, notices_sent = due
                row.notices_sent, row.updated_at = notices_sent, now
                data = {**plans.event_data(row), "days_left": day, "renews": row.status == ACTIVE}
                await emit(uow, self._deps.feed, tenant, "subscription.expiring", data, now)
                await uow.commit()
                sent += 1
        return sent

    async def _notice_candidates(self, now: dt.datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Running subscriptions within their tenant's notice horizon that still owe a notice (read
        without locks; each is re-checked under its lock before anything is sent)."""
        async with self._deps.uow() as uow:
            settings = await uow.session.execute(
                select(TenantSettingsRow.tenant_id, TenantSettingsRow.expiring_notice_days)
            )
            days_of = {tenant: tuple(days or DEFAULT_NOTICE_DAYS) for tenant, days in settings}
            statement = (
                select(
                    SubscriptionRow.tenant_id, SubscriptionRow.id, SubscriptionRow.end_at, SubscriptionRow.notices_sent
                )
                .where(
                    SubscriptionRow.status.in_(GRANTING),
                    SubscriptionRow.end_at > now,
                    plans.within_notice_horizon(days_of, now),
                )
                .order_by(SubscriptionRow.end_at)
                .execution_options(yield_per=1000)
            )
            owed: list[tuple[uuid.UUID, uuid.UUID]] = []
            result = await uow.session.stream(statement)
            try:
                async for tenant, identifier, end, sent in result:
                    days = days_of.get(tenant, DEFAULT_NOTICE_DAYS)
                    if plans.notice_due(days, end - now, sent or []) is not None:
                        owed.append((tenant, identifier))
                        if len(owed) >= limit:
                            break
            finally:
                await result.close()
        return owed


async def lock_subscription(uow: UnitOfWork, tenant: uuid.UUID, identifier: uuid.UUID) -> SubscriptionRow | None:
    return await uow.session.get(SubscriptionRow, (tenant, identifier), with_for_update=True)


async def plan_package(uow: UnitOfWork, row: SubscriptionRow) -> PackageRow | None:
    return await uow.session.get(PackageRow, (row.tenant_id, row.package_id))
