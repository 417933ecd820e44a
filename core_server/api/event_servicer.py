"""EventService and AuditService: the tenant's event stream and audit log."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc

from core_server.api.access import GATEWAY_AND_ADMINS, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import timestamp
from core_server.domain.actor import ADMIN_ROLES
from core_server.domain.audit import AuditLog
from core_server.domain.event_cursors import EventCursor, EventCursors
from core_server.domain.events import Event, EventReader
from sdk.billinghub.v1 import audit_pb2, audit_service_pb2_grpc, event_pb2, event_service_pb2_grpc
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import event_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]


def event_message(event: Event) -> event_pb2.Event:
    return event_pb2.Event(id=event.id, type=event.type, data=event.data, create_time=timestamp(event.created_at))


def cursor_message(cursor: EventCursor) -> event_pb2.EventCursor:
    return event_pb2.EventCursor(
        consumer=cursor.consumer, event_id=cursor.event_id, update_time=timestamp(cursor.updated_at)
    )


class EventServicer(event_service_pb2_grpc.EventServiceServicer):
    def __init__(self, reader: EventReader, cursors: EventCursors) -> None:
        self._reader = reader
        self._cursors = cursors

    @rpc(roles=GATEWAY_AND_ADMINS)  # a bot gateway's notifications
    async def WatchEvents(
        self, request: pb.WatchEventsRequest, context: Context
    ) -> AsyncIterator[pb.WatchEventsResponse]:
        stream = self._reader.watch(current_actor().tenant, request.after_id, list(request.types), request.consumer)
        async with contextlib.aclosing(stream):  # its end (a lease freed) when the call ends, not when collected
            async for event in stream:
                yield pb.WatchEventsResponse(event=event_message(event))

    @rpc(roles=GATEWAY_AND_ADMINS)
    async def ListEvents(self, request: pb.ListEventsRequest, context: Context) -> pb.ListEventsResponse:
        events, last = await self._reader.page(
            current_actor().tenant, request.after_id, list(request.types), request.page_size, request.consumer
        )
        return pb.ListEventsResponse(events=[event_message(e) for e in events], last_id=last)

    @rpc(roles=GATEWAY_AND_ADMINS, mutation=True)
    async def CommitEventCursor(
        self, request: pb.CommitEventCursorRequest, context: Context
    ) -> pb.CommitEventCursorResponse:
        cursor, moved = await self._cursors.commit(current_actor(), request.consumer, request.event_id)
        return pb.CommitEventCursorResponse(cursor=cursor_message(cursor), moved=moved)

    @rpc(roles=GATEWAY_AND_ADMINS)
    async def GetEventCursor(self, request: pb.GetEventCursorRequest, context: Context) -> pb.GetEventCursorResponse:
        cursor = await self._cursors.get(current_actor(), request.consumer)
        return pb.GetEventCursorResponse(cursor=cursor_message(cursor))


class AuditServicer(audit_service_pb2_grpc.AuditServiceServicer):
    def __init__(self, log: AuditLog) -> None:
        self._log = log

    @rpc(roles=ADMIN_ROLES)
    async def ListAuditEntries(
        self, request: audit_pb.ListAuditEntriesRequest, context: Context
    ) -> audit_pb.ListAuditEntriesResponse:
        entries, token = await self._log.list_entries(
            current_actor(), request.action, request.target_id, request.page_size, request.page_token
        )
        return audit_pb.ListAuditEntriesResponse(
            audit_entries=[
                audit_pb2.AuditEntry(
                    id=str(e.id),
                    actor=e.actor,
                    action=e.action,
                    target_type=e.target_type,
                    target_id=e.target_id,
                    reason=e.reason,
                    before=e.before,
                    after=e.after,
                    create_time=timestamp(e.created_at),
                )
                for e in entries
            ],
            next_page_token=token,
        )
