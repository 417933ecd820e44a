"""The daily quota of a service order: how many inputs (post links) it takes on the tenant's day.

One count for both of its readers: SubmitServiceInput, which refuses an input past the quota
under the order's lock, and GetServiceQuota, which tells the buyer beforehand what is left and
when the next day begins. The day is the tenant's (its time zone), as the `input_day` of each
task records it, so a quota resets at the tenant's midnight whatever the caller's zone.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.buyer_orders import buyer_read, buyers_order
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.fulfillment import tasks
from core_server.domain.orders.model import GRANTS_SERVICE
from core_server.domain.reasons import OrderNotActive
from core_server.store.models import OrderRow
from core_server.store.repositories import catalog as catalog_repo
from core_server.store.repositories import tenants as tenant_repo
from core_server.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceQuota:
    order_id: uuid.UUID
    posts_per_day: int
    used_today: int
    day: str  # the tenant-local day counted, YYYY-MM-DD
    time_zone: str
    reset_at: dt.datetime  # the next tenant-local midnight, in UTC

    @property
    def remaining_today(self) -> int:
        """Never below 0: an admin may lower posts_per_day after a day's inputs were taken."""
        return max(0, self.posts_per_day - self.used_today)


def require_running_service(order: OrderRow, now: dt.datetime) -> None:
    """A service order that is paid for (not refunded in full) and has not ended takes inputs."""
    if (
        order.package_kind != "service"
        or order.status not in GRANTS_SERVICE
        or not order.active_until
        or order.active_until <= now
    ):
        raise OrderNotActive("order is not an active service order")


def tenant_day(time_zone: str, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The tenant-local day of `now` ("YYYY-MM-DD") and when the next one begins (UTC)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return day.isoformat(), next_midnight.astimezone(dt.UTC)


async def quota_today(uow: UnitOfWork, order: OrderRow, now: dt.datetime) -> ServiceQuota:
    """The running service order's quota on the tenant's day of `now` (the caller checked it runs)."""
    package = await catalog_repo.get_package(uow, order.tenant_id, order.package_id)
    tenant = await tenant_repo.get_tenant(uow, order.tenant_id)
    assert package is not None  # packages are archived, never deleted
    assert tenant is not None
    day, reset_at = tenant_day(tenant.time_zone, now)
    return ServiceQuota(
        order_id=order.id,
        posts_per_day=package.posts_per_day,
        used_today=await tasks.inputs_on(uow, order.tenant_id, order.id, day),
        day=day,
        time_zone=tenant.time_zone,
        reset_at=reset_at,
    )


class ServiceQuotas:
    """GetServiceQuota: a buyer's (or an admin's) read of a service order's quota today."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get(self, actor: Actor, order_id: str, user_id: str) -> ServiceQuota:
        v = Violations()
        read = buyer_read(actor, v, order_id, user_id)
        v.raise_if_any()
        now = self._deps.clock.now()
        async with self._deps.read_uow() as uow:
            order = await buyers_order(uow, actor.tenant, read)
            require_running_service(order, now)
            return await quota_today(uow, order, now)
