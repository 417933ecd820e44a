"""The reconciliation worker's step: ask providers about payments no webhook settled.

A webhook can be lost (the provider gave up, the gateway was down, a firewall ate it). Every
pending payment is therefore checked on a schedule that backs off (30 s, 1 min, 2 min, ... up
to an hour between checks) until the provider reports it paid, failed or expired; a day after
its time to pay ended it is closed as expired (money arriving later is still credited when the
provider reports it: expired may succeed). Checks go through `PaymentService.apply`, the same
path as webhooks, so a check racing a webhook credits once. A provider that names a payment only
once it is paid (Telegram Stars) is asked by the hub's reference instead of its id.

The same worker asks Telegram again about refunds whose outcome is unknown (a refunding payment
whose call timed out: stars_refunds.py), on the same backing-off schedule.
"""

from __future__ import annotations

import datetime as dt
import uuid

import structlog

from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError
from core_server.domain.events import emit
from core_server.domain.payments.configs import configured, decrypted
from core_server.domain.payments.model import PaymentStatus, move, payment_event
from core_server.domain.payments.service import PaymentService, can_ask, next_interval
from core_server.domain.payments.stars_refunds import StarsRefunds
from core_server.store.repositories import payments as repo

__all__ = ["GIVE_UP_AFTER", "Reconciler", "next_interval"]

log = structlog.get_logger(__name__)


GIVE_UP_AFTER = dt.timedelta(days=1)  # past the payment's expiry
BATCH = 50


class Reconciler:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._payments = PaymentService(deps)
        self._refunds = StarsRefunds(deps)

    async def run_due(self) -> int:
        """Check every payment whose turn came, and ask again about every refund to Telegram
        whose turn came (stars_refunds.py); returns how many were looked at."""
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            due = await repo.due_for_check(uow, now, BATCH)
            refunds = await repo.refunds_due(uow, now, BATCH)
        for tenant, payment in due:
            try:
                await self._check(tenant, payment)
            except DomainError as error:  # one provider's trouble never stops the others
                log.info("payment check failed", payment=str(payment), reason=error.reason)
        for tenant, payment in refunds:
            try:
                await self._refunds.retry(tenant, payment)
            except DomainError as error:
                log.info("refund retry failed", payment=str(payment), reason=error.reason)
        return len(due) + len(refunds)

    async def _check(self, tenant: uuid.UUID, payment: uuid.UUID) -> None:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await repo.get_payment(uow, tenant, payment, for_update=True)
            if row is None or row.status != PaymentStatus.PENDING or row.next_check_at > now:
                return  # settled, or taken by another worker meanwhile
            askable = can_ask(self._deps, row.provider, row.provider_ref)
            if row.expires_at + GIVE_UP_AFTER <= now or (not askable and row.expires_at <= now):
                move(row, PaymentStatus.EXPIRED, now)
                row.failure_reason = "not paid in time"
                await emit(uow, self._deps.feed, tenant, "payment.expired", payment_event(row), now)
                await uow.commit()
                return
            row.checks += 1
            row.next_check_at = now + next_interval(row.checks)
            provider, ref = row.provider, row.provider_ref
            config = None
            if askable:
                config = await decrypted(self._deps, uow, await configured(self._deps, uow, tenant, provider))
            await uow.commit()
        if config is None:
            return  # the provider has not told its id yet (an opening under way)
        reported = await self._payments.ask(tenant, config, payment, ref)
        await self._payments.apply(tenant, provider, reported, payment)
