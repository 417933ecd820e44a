"""Entitlements: what a user may use now, from plans and service orders alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.ids import require_id
from core_server.domain.orders.model import GRANTS_SERVICE
from core_server.domain.reasons import UserNotFound
from core_server.domain.subscriptions.plans import GRANTING


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
        view = await self._deps.reads.entitlements(actor.tenant, user, GRANTING, GRANTS_SERVICE, self._deps.clock.now())
        if not view.user_found:
            raise UserNotFound(user_id)
        found = [
            Entitlement(grant.plan_code, f"subscription:{grant.id}", grant.end_at)
            if grant.plan_code is not None
            else Entitlement(str(grant.package_id), f"order:{grant.id}", grant.end_at)
            for grant in view.grants
        ]
        return sorted(found, key=lambda e: (e.end_at, e.code, e.source))
