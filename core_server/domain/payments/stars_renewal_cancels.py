"""Cancelling a plan Telegram renews: Telegram is told first (editUserStarSubscription), then
the plan is cancelled here.

A Telegram Stars subscription charges the subscriber every period by itself; cancelling only the
hub's plan would leave Telegram charging for a plan the shop calls cancelled (each charge would
then buy a new period). So CancelSubscription of such a plan asks Telegram, outside any
transaction, before it changes anything:
- no answer (a timeout, a 5xx, flood control): PROVIDER_UNAVAILABLE and nothing changed, so the
  caller asks again (asking twice is harmless);
- a refusal (the subscriber cancelled it in Telegram already, the charge is unknown, the bot's
  token was revoked): the plan is cancelled all the same, and `subscription.cancelled` says
  Telegram refused and why, for the tenant to follow up; a plan the subscriber cannot stop being
  charged for is worse than one the shop has to look at.
The charge named is the newest Stars charge that paid the plan's last order (the renewal that
made the plan Telegram's, or its first payment).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.payments.configs import adapter_of, decrypted
from core_server.domain.payments.stars import PROVIDER
from core_server.domain.provider_api import ProviderConfig, ProviderRejected, ProviderUnavailable, RenewalCancels
from core_server.domain.reasons import ProviderDown, SubscriptionNotFound
from core_server.domain.subscriptions.service import Subscription, SubscriptionService, subscriber_named
from core_server.domain.users.service import Platform
from core_server.store.repositories import payments as repo
from core_server.store.repositories import subscriptions as subscriptions_repo
from core_server.store.repositories import users as users_repo

log = structlog.get_logger(__name__)
REFUSAL_LIMIT = 300


@dataclass(frozen=True, slots=True)
class _Call:
    config: ProviderConfig
    payer: str
    charge: str


class StarsRenewalCancels:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def cancel(self, actor: Actor, subscription_id: str, user_id: str = "") -> Subscription:
        """CancelSubscription: Telegram stops renewing first when the plan is Telegram's. Another
        user's plan (`user_id` named) is NOT_FOUND before Telegram is asked anything, and again
        under the plan's lock."""
        parsed, user = subscriber_named(actor, subscription_id, user_id)
        note: dict[str, str] = {}
        call, unaskable = await self._call_of(actor.tenant, parsed, user, subscription_id)
        if call is not None:
            note = await self._ask(call)
        elif unaskable:
            note = {"provider_renewal": "not_asked", "provider_refusal": unaskable}
        return await SubscriptionService(self._deps).cancel(actor, subscription_id, provider_note=note, user_id=user_id)

    async def _call_of(
        self, tenant: uuid.UUID, subscription: uuid.UUID, subscriber: uuid.UUID | None, subscription_id: str
    ) -> tuple[_Call | None, str]:
        """The call to make (None for a plan that is not Telegram's), or why it cannot be made."""
        async with self._deps.read_uow() as uow:
            row = await subscriptions_repo.get_subscription(uow, tenant, subscription)
            if row is not None and subscriber is not None and row.user_id != subscriber:
                raise SubscriptionNotFound(subscription_id)
            if row is None or row.renewed_by != PROVIDER or row.last_order_id is None:
                return None, ""
            charge = await repo.charge_of_order(uow, tenant, PROVIDER, row.last_order_id)
            user = await users_repo.get_user(uow, tenant, row.user_id)
            config_row = await repo.get_config(uow, tenant, PROVIDER)
            if charge is None or config_row is None:
                return None, "no Telegram Stars charge or settings to name the subscription by"
            if user is None or user.platform != Platform.TELEGRAM:
                return None, "the subscriber has no Telegram user id"
            return _Call(await decrypted(self._deps, uow, config_row), user.external_id, charge), ""

    async def _ask(self, call: _Call) -> dict[str, str]:
        adapter = adapter_of(self._deps, PROVIDER)
        if not isinstance(adapter, RenewalCancels):
            return {"provider_renewal": "not_asked", "provider_refusal": f"{PROVIDER} cannot cancel renewals"}
        try:
            await adapter.cancel_renewal(call.config, call.payer, call.charge)
        except ProviderUnavailable as error:
            raise ProviderDown(f"{error}: the subscription was not cancelled, ask again") from None
        except ProviderRejected as error:
            log.warning("telegram refused to cancel a subscription's renewal", why=str(error)[:200])
            return {"provider_renewal": "refused", "provider_refusal": str(error)[:REFUSAL_LIMIT]}
        return {"provider_renewal": "cancelled"}
