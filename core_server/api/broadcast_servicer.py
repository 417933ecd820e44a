"""BroadcastService over gRPC: admins' calls (a gateway's only on behalf of a bot admin holding
the broadcast permission) and the gateway's own leasing and reporting."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import GATEWAY_AND_ADMINS, STAFF, rpc
from core_server.api.broadcast_convert import (
    STATUSES,
    broadcast_message,
    content_in,
    recipient_message,
    results_in,
    segment_in,
)
from core_server.api.call_context import current_actor
from core_server.api.convert import enum_filter, optional_time, timestamp
from core_server.domain.bots.broadcast_delivery import BroadcastDelivery
from core_server.domain.bots.broadcast_progress import BroadcastProgress
from core_server.domain.bots.broadcasts import BroadcastService
from core_server.domain.errors import Violations
from sdk.billinghub.v1 import broadcast_service_pb2 as pb
from sdk.billinghub.v1 import broadcast_service_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


class BroadcastServicer(broadcast_service_pb2_grpc.BroadcastServiceServicer):
    def __init__(self, broadcasts: BroadcastService, delivery: BroadcastDelivery, progress: BroadcastProgress) -> None:
        self._broadcasts = broadcasts
        self._delivery = delivery
        self._progress = progress

    @rpc(roles=STAFF, mutation=True)
    async def CreateBroadcast(self, request: pb.CreateBroadcastRequest, context: Context) -> pb.CreateBroadcastResponse:
        created = await self._broadcasts.create(
            current_actor(),
            content_in(request.content, request.HasField("content")),
            segment_in(request.segment, request.HasField("segment")),
        )
        return pb.CreateBroadcastResponse(broadcast=broadcast_message(created))

    @rpc(roles=STAFF)
    async def CountBroadcastAudience(
        self, request: pb.CountBroadcastAudienceRequest, context: Context
    ) -> pb.CountBroadcastAudienceResponse:
        segment = segment_in(request.segment, request.HasField("segment"))
        audience = await self._broadcasts.count(current_actor(), segment, request.broadcast_id)
        return pb.CountBroadcastAudienceResponse(audience=audience)

    @rpc(roles=STAFF, mutation=True)
    async def StartBroadcast(self, request: pb.StartBroadcastRequest, context: Context) -> pb.StartBroadcastResponse:
        started = await self._broadcasts.start(current_actor(), request.broadcast_id)
        return pb.StartBroadcastResponse(broadcast=broadcast_message(started))

    @rpc(roles=STAFF, mutation=True)
    async def PauseBroadcast(self, request: pb.PauseBroadcastRequest, context: Context) -> pb.PauseBroadcastResponse:
        paused = await self._broadcasts.pause(current_actor(), request.broadcast_id)
        return pb.PauseBroadcastResponse(broadcast=broadcast_message(paused))

    @rpc(roles=STAFF, mutation=True)
    async def ResumeBroadcast(self, request: pb.ResumeBroadcastRequest, context: Context) -> pb.ResumeBroadcastResponse:
        resumed = await self._broadcasts.resume(current_actor(), request.broadcast_id)
        return pb.ResumeBroadcastResponse(broadcast=broadcast_message(resumed))

    @rpc(roles=STAFF, mutation=True)
    async def CancelBroadcast(self, request: pb.CancelBroadcastRequest, context: Context) -> pb.CancelBroadcastResponse:
        cancelled = await self._broadcasts.cancel(current_actor(), request.broadcast_id)
        return pb.CancelBroadcastResponse(broadcast=broadcast_message(cancelled))

    @rpc(roles=STAFF)
    async def GetBroadcast(self, request: pb.GetBroadcastRequest, context: Context) -> pb.GetBroadcastResponse:
        found = await self._broadcasts.get(current_actor(), request.broadcast_id)
        return pb.GetBroadcastResponse(broadcast=broadcast_message(found))

    @rpc(roles=STAFF)
    async def ListBroadcasts(self, request: pb.ListBroadcastsRequest, context: Context) -> pb.ListBroadcastsResponse:
        v = Violations()
        status = enum_filter(STATUSES, request.status, "status", v)
        found, token = await self._broadcasts.list_broadcasts(
            current_actor(), status, request.page_size, request.page_token, v
        )
        return pb.ListBroadcastsResponse(broadcasts=[broadcast_message(b) for b in found], next_page_token=token)

    @rpc(roles=GATEWAY_AND_ADMINS)
    async def LeaseBroadcastRecipients(
        self, request: pb.LeaseBroadcastRecipientsRequest, context: Context
    ) -> pb.LeaseBroadcastRecipientsResponse:
        broadcast, recipients, until = await self._delivery.lease(
            current_actor(), request.broadcast_id, request.max_recipients, request.lease_seconds
        )
        return pb.LeaseBroadcastRecipientsResponse(
            broadcast=broadcast_message(broadcast) if broadcast else None,
            recipients=[recipient_message(r) for r in recipients],
            lease_expire_time=timestamp(until),
        )

    @rpc(roles=GATEWAY_AND_ADMINS, mutation=True)
    async def ReportBroadcastResults(
        self, request: pb.ReportBroadcastResultsRequest, context: Context
    ) -> pb.ReportBroadcastResultsResponse:
        v = Violations()
        field = "released_lease_expire_time"
        until = optional_time(request.released_lease_expire_time, request.HasField(field), field, v)
        broadcast, recorded, released = await self._delivery.report(
            current_actor(),
            request.broadcast_id,
            results_in(list(request.results)),
            list(request.released_recipient_ids),
            until,
            v,
        )
        return pb.ReportBroadcastResultsResponse(
            broadcast=broadcast_message(broadcast), recorded=recorded, released=released
        )

    @rpc(roles=STAFF, mutation=True)
    async def AttachBroadcastProgress(
        self, request: pb.AttachBroadcastProgressRequest, context: Context
    ) -> pb.AttachBroadcastProgressResponse:
        broadcast = await self._progress.attach(
            current_actor(), request.broadcast_id, request.chat_id, request.message_id, request.locale
        )
        return pb.AttachBroadcastProgressResponse(broadcast=broadcast_message(broadcast))

    @rpc(roles=GATEWAY_AND_ADMINS, mutation=True)
    async def ClaimBroadcastReport(
        self, request: pb.ClaimBroadcastReportRequest, context: Context
    ) -> pb.ClaimBroadcastReportResponse:
        broadcast, claimed = await self._progress.claim_report(current_actor(), request.broadcast_id)
        return pb.ClaimBroadcastReportResponse(broadcast=broadcast_message(broadcast), claimed=claimed)
