"""A Telegram Stars renewal whose update was lost, found before its plan would expire.

Telegram charges a subscriber every 30 days by itself and tells the bot with a successful_payment
update, which it keeps for 24 hours. If the bot gateway was down longer than that, the charge
never reaches ConfirmTelegramPayment, and the plan, Telegram's to renew, would expire at the end
of its grace (plans.PROVIDER_RENEWAL_GRACE) although the subscriber paid. So before the renewal
worker expires such a plan it asks here: the bot's recent transactions (getStarTransactions) are
searched for subscription charges by this subscriber under the plan's invoices that no payment
holds yet, and each is confirmed as the update would have confirmed it (a new order renewing the
plan, credited once: the charge id stays the key). Telegram not answering leaves the plan as it
is for the worker's next turn: it is never expired on a guess.
"""

from __future__ import annotations

import uuid

import structlog

from core_server.domain.actor import Actor, Role
from core_server.domain.deps import Deps
from core_server.domain.payments.configs import decrypted
from core_server.domain.payments.stars import PROVIDER, STARS
from core_server.domain.payments.stars_charges import SYSTEM_KEY, Charge, StarsCharges
from core_server.domain.provider_api import ProviderRejected, ProviderUnavailable, RenewalFound, RenewalLookup
from core_server.domain.users.service import Platform
from core_server.store.repositories import payments as repo
from core_server.store.repositories import subscriptions as subscriptions_repo
from core_server.store.repositories import users as users_repo

log = structlog.get_logger(__name__)


class StarsRenewalRecovery:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def recover(self, tenant: uuid.UUID, subscription: uuid.UUID) -> RenewalFound:
        """Confirm the plan's missed renewal charges; RENEWED when one renewed it."""
        adapter = self._deps.payment_adapters.get(PROVIDER)
        if not isinstance(adapter, RenewalLookup):
            return RenewalFound.NOTHING
        async with self._deps.read_uow() as uow:
            row = await subscriptions_repo.get_subscription(uow, tenant, subscription)
            if row is None or row.renewed_by != PROVIDER:
                return RenewalFound.NOTHING
            user = await users_repo.get_user(uow, tenant, row.user_id)
            config_row = await repo.get_config(uow, tenant, PROVIDER)
            if user is None or user.platform != Platform.TELEGRAM or config_row is None:
                return RenewalFound.NOTHING
            invoices = await repo.charged_payments_of_package(uow, tenant, PROVIDER, row.user_id, row.package_id)
            config = await decrypted(self._deps, uow, config_row)
        try:
            charges = await adapter.renewal_charges(config, user.external_id, {str(i) for i in invoices})
        except ProviderUnavailable as error:
            log.info("telegram not asked about a lost renewal", subscription=str(subscription), why=str(error)[:200])
            return RenewalFound.UNKNOWN
        except ProviderRejected as error:
            log.warning("telegram refused to list transactions", subscription=str(subscription), why=str(error)[:200])
            return RenewalFound.NOTHING
        renewed = False
        stars = StarsCharges(self._deps)
        system = Actor(Role.PLATFORM, SYSTEM_KEY, tenant)
        for charge in charges:
            assert charge.paid is not None
            missed = Charge(
                user_id=str(row.user_id),
                payload=charge.reference,
                currency=STARS,
                total=charge.paid.amount,
                charge_id=charge.provider_ref,
                is_recurring=True,
            )
            # a charge held already (each invoice's first, a renewal confirmed in time) is a duplicate
            confirmed = await stars.confirm(system, missed)
            renewed = renewed or not confirmed.duplicate
            log.info(
                "lost telegram renewal recovered", payment=str(confirmed.payment.id), duplicate=confirmed.duplicate
            )
        return RenewalFound.RENEWED if renewed else RenewalFound.NOTHING
