"""The renewal worker's step: end the plans whose period is over, renewing from the wallet those
that renew (a purchase through orders) and expiring the rest, then send the expiry notices.

A plan its payment provider renews by itself (`renewed_by`: a Telegram Stars subscription, whose
every charge extends it through ConfirmTelegramPayment) is never bought again here, whatever the
wallet holds: past its end and the provider's grace (plans.PROVIDER_RENEWAL_GRACE) without a
charge, it expires (reason not_renewed_by_provider), once the provider was asked for a charge the
hub missed (`Deps.renewal_recovery`, domain/payments/stars_renewal_recovery.py): one found renews
it instead, and a provider that cannot be asked leaves the plan for the next turn."""

from __future__ import annotations

import datetime as dt
import uuid

from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError
from core_server.domain.orders.payment import renew_subscription
from core_server.domain.provider_api import RenewalFound
from core_server.domain.subscriptions import plans
from core_server.domain.subscriptions.plans import ACTIVE, CANCELLED, GRANTING, RENEWING
from core_server.domain.subscriptions.service import SubscriptionService, lock_subscription, plan_package
from core_server.store.repositories import entitlements as repo


class RenewalService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def run_due(self, limit: int = 500) -> int:
        """The worker's step, safe to run in several cores at once: end the subscriptions whose
        period is over (renew or expire), then send the notices due. Returns how many changed."""
        return await self.end_due(limit) + await SubscriptionService(self._deps).send_notices(limit)

    async def end_due(self, limit: int = 500) -> int:
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            due = await repo.plans_to_end(
                uow, GRANTING, RENEWING, now, now - plans.RENEWAL_LEASE, limit,
                provider_grace_before=now - plans.PROVIDER_RENEWAL_GRACE,
            )  # fmt: skip
        ended = 0
        for tenant, identifier in due:
            found = await self._ask_provider(tenant, identifier)
            if found is RenewalFound.UNKNOWN:
                continue
            ended += 1 if found is RenewalFound.RENEWED else await self._end(tenant, identifier, now)
        return ended

    async def _ask_provider(self, tenant: uuid.UUID, identifier: uuid.UUID) -> RenewalFound:
        """For a due plan its provider renews (about to expire): what the provider has that the hub
        missed, asked outside any transaction. The recovery answers NOTHING for any other plan."""
        recovery = self._deps.renewal_recovery
        return await recovery(tenant, identifier) if recovery is not None else RenewalFound.NOTHING

    async def _end(self, tenant: uuid.UUID, identifier: uuid.UUID, now: dt.datetime) -> int:
        """Expire the subscription, or claim it (committed before buying) and renew it. The claim is
        taken under the row lock after re-checking the row, so of two workers only one buys."""
        async with self._deps.uow() as uow:
            row = await lock_subscription(uow, tenant, identifier)
            if row is None or not plans.due_to_end(row, now):
                return 0
            reason = "cancelled" if row.status == CANCELLED else ""
            if not reason and row.renewed_by:
                reason = "not_renewed_by_provider"  # its provider renews it, never the wallet
            if not reason and not plans.renewable(await plan_package(uow, row), row):
                reason = "package_unavailable"
            if reason:
                await plans.expire(uow, self._deps.feed, row, reason, now)
                await uow.commit()
                return 1
            plans.move(row, RENEWING, now)
            user, package, last_order = row.user_id, row.package_id, row.last_order_id
            await uow.commit()
        try:
            await renew_subscription(self._deps, tenant, user, package, now, last_order)
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
            row = await lock_subscription(uow, tenant, identifier)
            if row is not None and row.status == RENEWING:
                await plans.expire(uow, self._deps.feed, row, "renewal_failed", now)
                await uow.commit()

    async def _release(self, tenant: uuid.UUID, identifier: uuid.UUID, now: dt.datetime) -> None:
        """Give the claim back after an unexpected error, so the next tick tries again."""
        async with self._deps.uow() as uow:
            row = await lock_subscription(uow, tenant, identifier)
            if row is not None and row.status == RENEWING:
                plans.move(row, ACTIVE, now)
                await uow.commit()
