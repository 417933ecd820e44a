"""Subscriptions as users and admins see them: reading, cancelling renewal, entitlements, and the
expiry worker's steps (notices before the end, renewal from the wallet, expiry)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError, FailedPrecondition, NotFound, Violations
from core_server.domain.events import emit
from core_server.domain.ids import require_id
from core_server.domain.money.wallets import require_user
from core_server.domain.orders.service import renew_subscription
from core_server.domain.paging import PageRequest, next_page_token, page_request
from core_server.domain.subscriptions import plans
from core_server.domain.subscriptions.plans import GRANTING, RENEWING
from core_server.domain.tenancy.settings import DEFAULT_NOTICE_DAYS, order_settings
from core_server.store.models import OrderRow, PackageRow, SubscriptionRow, TenantSettingsRow
from core_server.store.unit_of_work import UnitOfWork

STATUSES = ("active", "cancelled", "expired")


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Entitlement:
    code: str
    source: str
    end_at: dt.datetime


def to_subscription(row: SubscriptionRow) -> Subscription:
    status = "active" if row.status == RENEWING else row.status
    return Subscription(
        row.id,
        row.user_id,
        row.plan_code,
        row.package_id,
        status,
        row.start_at,
        row.end_at,
        row.last_order_id,
        row.cancel_at,
    )


def _keyset(text: str) -> tuple[dt.datetime, uuid.UUID]:
    """The key of a page token: the end time (UTC, as issued) and id of the last subscription seen;
    ValueError (or OverflowError) for anything else."""
    end_text, identifier = text.split("/")
    end = dt.datetime.fromisoformat(end_text)
    if end.utcoffset() != dt.timedelta(0):
        raise ValueError("not a UTC time")
    return end.astimezone(dt.UTC), uuid.UUID(identifier)


def _after(page: PageRequest) -> tuple[dt.datetime, uuid.UUID] | None:
    return _keyset(page.after) if page.after is not None else None


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
        self,
        actor: Actor,
        user_id: str,
        status: str | None,
        plan_code: str,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[Subscription], str]:
        """Soonest end first (ties by id): the order a renewal desk works through. `violations`:
        those found converting the request, reported with these filters' own."""
        actor.require_user_filter(user_id)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        plan_code = v.check_text("plan_code", plan_code, max_length=50)
        filters = {"u": user_id, "s": status, "p": plan_code}
        page = page_request(page_size, page_token, filters, key=_keyset, violations=v)
        v.raise_if_any()
        statement = (
            select(SubscriptionRow)
            .where(SubscriptionRow.tenant_id == actor.tenant)
            .order_by(SubscriptionRow.end_at, SubscriptionRow.id)
        )
        if user is not None:
            statement = statement.where(SubscriptionRow.user_id == user)
        if status:
            stored = (status, RENEWING) if status == "active" else (status,)
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
            if user is not None:  # a filter naming no user of this tenant is NOT_FOUND, as reading it is
                await require_user(uow, actor.tenant, user, user_id)
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
            if row.status != "active":
                status = "renewing" if row.status == RENEWING else row.status
                raise FailedPrecondition(
                    f"subscription is {status}", reason="SUBSCRIPTION_NOT_ACTIVE", metadata={"status": status}
                )
            row.status, row.cancel_at, row.updated_at = "cancelled", now, now
            await uow.session.flush()
            await emit(uow, self._deps.feed, actor.tenant, "subscription.cancelled", plans.event_data(row), now)
            cancelled = to_subscription(row)
            await uow.commit()
        return cancelled

    async def entitlements(self, actor: Actor, user_id: str) -> list[Entitlement]:
        """What the user may use now: running plans (cancelled ones too, until their end) and
        service orders still active; soonest end first."""
        user = require_id("user_id", user_id)
        now, tenant = self._deps.clock.now(), actor.tenant
        plans = select(SubscriptionRow).where(
            SubscriptionRow.tenant_id == tenant,
            SubscriptionRow.user_id == user,
            SubscriptionRow.status.in_(GRANTING),
            SubscriptionRow.end_at > now,
        )
        services = select(OrderRow).where(
            OrderRow.tenant_id == tenant,
            OrderRow.user_id == user,
            OrderRow.package_kind == "service",
            OrderRow.status == "fulfilled",
            OrderRow.active_until > now,
        )
        async with self._deps.uow() as uow:
            await require_user(uow, tenant, user, user_id)
            found = [
                Entitlement(row.plan_code, f"subscription:{row.id}", row.end_at)
                for row in (await uow.session.execute(plans)).scalars()
            ]
            for order in (await uow.session.execute(services)).scalars():
                assert order.active_until is not None
                found.append(Entitlement(str(order.package_id), f"order:{order.id}", order.active_until))
        return sorted(found, key=lambda e: (e.end_at, e.code, e.source))

    async def run_due(self, limit: int = 500) -> int:
        """The worker's step, safe to run in several cores at once: end the subscriptions whose
        period is over (renew or expire), then send the notices due. Returns how many changed."""
        return await self.end_due(limit) + await self.send_notices(limit)

    async def end_due(self, limit: int = 500) -> int:
        now = self._deps.clock.now()
        statement = (
            select(SubscriptionRow.tenant_id, SubscriptionRow.id)
            .where(
                or_(
                    and_(SubscriptionRow.status.in_(GRANTING), SubscriptionRow.end_at <= now),
                    and_(
                        SubscriptionRow.status == RENEWING,
                        SubscriptionRow.updated_at <= now - plans.RENEWAL_LEASE,
                    ),
                )
            )
            .order_by(SubscriptionRow.end_at)
            .limit(limit)
        )
        async with self._deps.uow() as uow:
            due = [(row[0], row[1]) for row in await uow.session.execute(statement)]
        ended = 0
        for tenant, identifier in due:
            ended += await self._end(tenant, identifier, now)
        return ended

    async def _end(self, tenant: uuid.UUID, identifier: uuid.UUID, now: dt.datetime) -> int:
        """Expire the subscription, or claim it (committed before buying) and renew it. The claim is
        taken under the row lock after re-checking the row, so of two workers only one buys."""
        async with self._deps.uow() as uow:
            row = await _lock(uow, tenant, identifier)
            if row is None or not plans.due_to_end(row, now):
                return 0
            reason = "cancelled" if row.status == "cancelled" else ""
            if not reason and not plans.renewable(await _package(uow, row), row):
                reason = "package_unavailable"
            if reason:
                await plans.expire(uow, self._deps.feed, row, reason, now)
                await uow.commit()
                return 1
            row.status, row.updated_at = RENEWING, now
            user, package = row.user_id, row.package_id
            await uow.commit()
        try:
            await renew_subscription(self._deps, tenant, user, package, now)
        except DomainError:
            pass  # the package or the user went away: the renewal failed, like a short wallet
        except Exception:
            await self._release(tenant, identifier, now)
            raise
        await self._expire_unrenewed(tenant, identifier, now)
        return 1

    async def _expire_unrenewed(self, tenant: uuid.UUID, identifier: uuid.UUID, now: dt.datetime) -> None:
        """A claim the payment did not end (short wallet, package withdrawn) ends the plan."""
        async with self._deps.uow() as uow:
            row = await _lock(uow, tenant, identifier)
            if row is not None and row.status == RENEWING:
                await plans.expire(uow, self._deps.feed, row, "renewal_failed", now)
                await uow.commit()

    async def _release(self, tenant: uuid.UUID, identifier: uuid.UUID, now: dt.datetime) -> None:
        """Give the claim back after an unexpected error, so the next tick tries again."""
        async with self._deps.uow() as uow:
            row = await _lock(uow, tenant, identifier)
            if row is not None and row.status == RENEWING:
                row.status, row.updated_at = "active", now
                await uow.commit()

    async def send_notices(self, limit: int = 500) -> int:
        """subscription.expiring on each of the tenant's notice days, once per day and end date."""
        now = self._deps.clock.now()
        sent = 0
        for tenant, identifier in await self._notice_candidates(now, limit):
            async with self._deps.uow() as uow:
                row = await _lock(uow, tenant, identifier)
                if row is None or row.status not in GRANTING or row.end_at <= now:
                    continue
                days = (await order_settings(uow, tenant)).expiring_notice_days
                due = plans.notice_due(days, row.end_at - now, row.notices_sent or [])
                if due is None:
                    continue
                day, notices_sent = due
                row.notices_sent, row.updated_at = notices_sent, now
                data = {**plans.event_data(row), "days_left": day, "renews": row.status == "active"}
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


async def _lock(uow: UnitOfWork, tenant: uuid.UUID, identifier: uuid.UUID) -> SubscriptionRow | None:
    return await uow.session.get(SubscriptionRow, (tenant, identifier), with_for_update=True)


async def _package(uow: UnitOfWork, row: SubscriptionRow) -> PackageRow | None:
    return await uow.session.get(PackageRow, (row.tenant_id, row.package_id))
