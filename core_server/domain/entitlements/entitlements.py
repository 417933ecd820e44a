"""Entitlements: what a user may use now, from plans and service orders alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.ids import require_id
from core_server.domain.money.wallets import require_user
from core_server.domain.orders.model import GRANTS_SERVICE
from core_server.domain.subscriptions.plans import GRANTING
from core_server.store.repositories import entitlements as repo


@dataclass(frozen=True, slots=True)
class Entitlement:
    code: str
    source: str
    end_at: dt.datetime


class EntitlementService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def list_entitlements(self, actor: Actor, user_id: str) -> list[Entitlement]:
        """What the user may use now: running plans (cancelled ones too, until their end) and
        service orders still active; soonest end first."""
        user = require_id("user_id", user_id)
        now, tenant = self._deps.clock.now(), actor.tenant
        async with self._deps.reads() as uow:
            await require_user(uow, tenant, user, user_id)
            found = [
                Entitlement(row.plan_code, f"subscription:{row.id}", row.end_at)
                for row in await repo.running_plans(uow, tenant, user, GRANTING, now)
            ]
            for order in await repo.running_services(uow, tenant, user, GRANTS_SERVICE, now):
                assert order.active_until is not None
                found.append(Entitlement(str(order.package_id), f"order:{order.id}", order.active_until))
        return sorted(found, key=lambda e: (e.end_at, e.code, e.source))
