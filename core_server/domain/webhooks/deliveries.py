"""What admins see and do with deliveries: list them (newest first) and redeliver an event."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import WebhookDeliveryNotFound, WebhookEndpointDisabled, WebhookEndpointNotFound
from core_server.domain.webhooks.rules import DeliveryStatus
from core_server.store.ids import new_id
from core_server.store.models import WebhookDeliveryRow
from core_server.store.repositories import webhooks as repo


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: int
    event_type: str
    series: int
    status: DeliveryStatus
    attempts: int
    last_response_code: int
    last_error: str
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime


def to_delivery(row: WebhookDeliveryRow) -> Delivery:
    status = DeliveryStatus(row.status)
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        series=row.series,
        status=status,
        attempts=row.attempts,
        last_response_code=row.last_response_code,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at
        if status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED_RETRYING)
        else None,
        created_at=row.created_at,
    )


def new_delivery(
    tenant: uuid.UUID, endpoint: uuid.UUID, event_id: int, event_type: str, series: int, now: dt.datetime
) -> dict[str, object]:
    """The values of a pending delivery series, due now."""
    return {
        "tenant_id": tenant,
        "id": new_id(),
        "endpoint_id": endpoint,
        "event_id": event_id,
        "event_type": event_type,
        "series": series,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_response_code": 0,
        "last_error": "",
        "created_at": now,
    }


class WebhookDeliveryService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def list_deliveries(
        self, actor: Actor, endpoint_id: str, status: DeliveryStatus | None, page_size: int, page_token: str
    ) -> tuple[list[Delivery], str]:
        v = Violations()
        endpoint = v.id("endpoint_id", endpoint_id, required=False)
        page = page_request(page_size, page_token, {"e": endpoint_id, "s": status}, violations=v)
        v.raise_if_any()
        async with self.deps.read_uow() as uow:
            rows = await repo.list_deliveries(
                uow, actor.tenant, endpoint=endpoint, status=status, before=before_id(page), limit=page.size + 1
            )
        return id_page(page, rows, to_delivery)

    async def redeliver(self, actor: Actor, endpoint_id: str, event_id: int) -> Delivery:
        """A new series of the event to the endpoint, due now, whatever became of the earlier ones."""
        v = Violations()
        endpoint = v.id("endpoint_id", endpoint_id)
        if event_id <= 0:
            v.add("event_id", "is required")
        v.raise_if_any()
        assert endpoint is not None
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            row = await repo.get_endpoint(uow, actor.tenant, endpoint, for_update=True)
            if row is None:
                raise WebhookEndpointNotFound(endpoint_id)
            if not row.enabled:
                raise WebhookEndpointDisabled("the endpoint is switched off: enable it first")
            last = await repo.last_delivery(uow, actor.tenant, endpoint, event_id)
            if last is None:
                raise WebhookDeliveryNotFound(str(event_id))
            values = new_delivery(actor.tenant, endpoint, event_id, last.event_type, last.series + 1, now)
            await repo.insert_delivery_if_absent(uow, values)
            target = ("webhook_endpoint", str(endpoint))
            after = {"event_id": event_id, "series": last.series + 1}
            audit.record(uow, actor, "", "webhook_delivery.redelivered", target, "", {}, after, now)
            created = await repo.last_delivery(uow, actor.tenant, endpoint, event_id)
            assert created is not None
            await uow.commit()
        return to_delivery(created)
