"""Subscriptions as users and admins see them: reading, cancelling renewal, entitlements, and the
expiry worker's steps (notices before the end, renewal from the wallet, expiry)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.money.wallets import require_user
from core_server.domain.paging import PageRequest, next_page_token, page_request
from core_server.domain.reasons import SubscriptionNotActive, SubscriptionNotFound
from core_server.domain.subscriptions import plans
from core_server.domain.subscriptions.plans import ACTIVE, CANCELLED, GRANTING, RENEWING, SubscriptionStatus
from core_server.domain.tenancy.settings import DEFAULT_NOTICE_DAYS, order_settings
from core_server.domain.tenant_reads import TENANT_SUBSCRIPTION_READS, TENANT_SUBSCRIPTION_WRITES
from core_server.store.models import PackageRow, SubscriptionRow
from core_server.store.repositories import subscriptions as repo
from core_server.store.unit_of_work import UnitOfWork

STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    id: uuid.UUID
    user_id: uuid.UUID
    plan_code: str
    package_id: uuid.UUID
    status: SubscriptionStatus
    start_at: dt.datetime
    end_at: dt.datetime
    last_order_id: uuid.UUID | None
    cancel_at: dt.datetime | None
    renewed_by: str = ""


def to_subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        user_id=row.user_id,
        plan_code=row.plan_code,
        package_id=row.package_id,
        status=plans.shown_status(row),
        start_at=row.start_at,
        end_at=row.end_at,
        last_order_id=row.last_order_id,
        cancel_at=row.cancel_at,
        renewed_by=row.renewed_by or "",
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


def subscriber_named(actor: Actor, subscription_id: str, user_id: str) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The subscription and the user a by-id change of it names (None: nobody). A gateway key
    naming nobody acts for a bot admin holding TENANT_SUBSCRIPTION_WRITES (tenant_reads.py): a
    forged button naming another user's plan must not stop its renewal."""
    v = Violations()
    parsed, user = v.id("subscription_id", subscription_id), v.id("user_id", user_id, required=False)
    v.raise_if_any()
    assert parsed is not None
    actor.require_staff_for_tenant_read(user_id, TENANT_SUBSCRIPTION_WRITES, doing="changing a subscription by id")
    return parsed, user


class SubscriptionService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get(self, actor: Actor, subscription_id: str, user_id: str = "") -> Subscription:
        """One subscription; naming its user in `user_id` makes another user's plan NOT_FOUND (what
        a bot shows a user), and a gateway key naming nobody reads for a bot admin (tenant_reads.py)."""
        v = Violations()
        parsed, user = v.id("subscription_id", subscription_id), v.id("user_id", user_id, required=False)
        v.raise_if_any()
        actor.require_staff_for_tenant_read(user_id, TENANT_SUBSCRIPTION_READS)
        async with self._deps.read_uow() as uow:
            row = await repo.get_subscription(uow, actor.tenant, parsed) if parsed is not None else None
            if row is None or (user is not None and row.user_id != user):
                raise SubscriptionNotFound(subscription_id)
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
        actor.require_staff_for_tenant_read(user_id, TENANT_SUBSCRIPTION_READS)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        plan_code = v.check_text("plan_code", plan_code, max_length=50)
        filters = {"u": user_id, "s": status, "p": plan_code}
        page = page_request(page_size, page_token, filters, key=_keyset, violations=v)
        v.raise_if_any()
        stored: tuple[str, ...] = ()
        if status:
            stored = (status, RENEWING) if status == ACTIVE else (status,)  # readers see renewing as active
        after = _after(page)
        async with self._deps.read_uow() as uow:
            if user is not None:  # a filter naming no user of this tenant is NOT_FOUND, as reading it is
                await require_user(uow, actor.tenant, user, user_id)
            rows = await repo.list_subscriptions(
                uow, actor.tenant, user=user, statuses=stored, plan_code=plan_code, after=after, limit=page.size + 1
            )
            found = [to_subscription(row) for row in rows[: page.size]]
        last = f"{found[-1].end_at.isoformat()}/{found[-1].id.hex}" if found else None
        return found, next_page_token(page, last, len(rows) > page.size)

    async def cancel(
        self,
        actor: Actor,
        subscription_id: str,
        provider_note: Mapping[str, str] | None = None,
        user_id: str = "",
    ) -> Subscription:
        """Stop renewal; the plan is kept until its end. A subscription the worker is renewing at
        this moment answers SUBSCRIPTION_NOT_ACTIVE: its period is over and being paid for, and
        cancelling once the renewal is done stops the next one. A plan its provider renewed is no
        longer the provider's (`renewed_by` cleared); a charge the provider still makes buys a
        period all the same, and makes the plan the provider's again. `provider_note`: what the
        provider said when asked to stop renewing (domain/payments/stars_renewal_cancels.py),
        carried by the event. Naming the subscriber in `user_id` makes another user's plan
        NOT_FOUND, checked under the plan's lock (subscriber_named)."""
        parsed, user = subscriber_named(actor, subscription_id, user_id)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await lock_subscription(uow, actor.tenant, parsed)
            if row is None or (user is not None and row.user_id != user):
                raise SubscriptionNotFound(subscription_id)
            if not plans.allowed(row, CANCELLED):  # a plan being renewed says so: renewing
                raise SubscriptionNotActive(f"subscription is {row.status}", metadata={"status": row.status})
            plans.move(row, CANCELLED, now)
            await uow.session.flush()
            data = {**plans.event_data(row), **(provider_note or {})}
            await emit(uow, self._deps.feed, actor.tenant, "subscription.cancelled", data, now)
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
        async with self._deps.read_uow() as uow:
            settings = await repo.notice_days_by_tenant(uow)
            days_of = {tenant: tuple(days or DEFAULT_NOTICE_DAYS) for tenant, days in settings}
            default_until, windows = plans.notice_windows(days_of, now)
            owed: list[tuple[uuid.UUID, uuid.UUID]] = []
            async with aclosing(repo.ending_within(uow, GRANTING, now, default_until, windows)) as candidates:
                async for tenant, identifier, end, sent in candidates:
                    days = days_of.get(tenant, DEFAULT_NOTICE_DAYS)
                    if plans.notice_due(days, end - now, sent or []) is not None:
                        owed.append((tenant, identifier))
                        if len(owed) >= limit:
                            break
        return owed


async def lock_subscription(uow: UnitOfWork, tenant: uuid.UUID, identifier: uuid.UUID) -> SubscriptionRow | None:
    return await repo.get_subscription(uow, tenant, identifier, for_update=True)


async def plan_package(uow: UnitOfWork, row: SubscriptionRow) -> PackageRow | None:
    return await repo.get_package(uow, row.tenant_id, row.package_id)
