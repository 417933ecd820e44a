"""TopupRequestService over gRPC."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import enum_filter, id_text, money, money_in, timestamp
from core_server.api.fast_calls import fast_or_slow, method_path
from core_server.domain.errors import Violations
from core_server.domain.fast_unit import FastUnit
from core_server.domain.topups.requests import TopupMethod, TopupRequest, TopupRequestService, TopupRequestStatus
from sdk.billinghub.v1 import topup_pb2, topup_service_pb2_grpc
from sdk.billinghub.v1 import topup_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
APPROVE = method_path(pb, "TopupRequestService", "ApproveTopupRequest")
STATUSES = {
    topup_pb2.TOPUP_REQUEST_STATUS_PENDING: TopupRequestStatus.PENDING,
    topup_pb2.TOPUP_REQUEST_STATUS_APPROVED: TopupRequestStatus.APPROVED,
    topup_pb2.TOPUP_REQUEST_STATUS_REJECTED: TopupRequestStatus.REJECTED,
}
STATUSES_OUT = {value: key for key, value in STATUSES.items()}


def method_in(message: topup_pb2.TopupMethod) -> TopupMethod:
    return TopupMethod(
        code=message.code, title=dict(message.title), instructions=dict(message.instructions), active=message.active
    )


def method_message(method: TopupMethod) -> topup_pb2.TopupMethod:
    return topup_pb2.TopupMethod(
        code=method.code, title=dict(method.title), instructions=dict(method.instructions), active=method.active
    )


def request_message(request: TopupRequest) -> topup_pb2.TopupRequest:
    return topup_pb2.TopupRequest(
        id=str(request.id),
        user_id=str(request.user_id),
        method_code=request.method_code,
        amount=money(request.amount.asset, request.amount.amount) if request.amount else None,
        package_id=id_text(request.package_id),
        receipt=request.receipt,
        status=STATUSES_OUT[request.status],
        reason=request.reason,
        decided_by=request.decided_by,
        transfer_id=id_text(request.transfer_id),
        create_time=timestamp(request.created_at),
        decide_time=timestamp(request.decided_at),
    )


class TopupRequestServicer(topup_service_pb2_grpc.TopupRequestServiceServicer):
    def __init__(self, service: TopupRequestService) -> None:
        self._service = service

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListTopupMethods(
        self, request: pb.ListTopupMethodsRequest, context: Context
    ) -> pb.ListTopupMethodsResponse:
        methods = await self._service.list_methods(current_actor(), request.active_only)
        return pb.ListTopupMethodsResponse(methods=[method_message(m) for m in methods])

    @rpc(roles=STAFF, mutation=True)
    async def SetTopupMethods(self, request: pb.SetTopupMethodsRequest, context: Context) -> pb.SetTopupMethodsResponse:
        methods = await self._service.set_methods(current_actor(), [method_in(m) for m in request.methods])
        return pb.SetTopupMethodsResponse(methods=[method_message(m) for m in methods])

    @rpc(roles=STAFF_AND_PARTNERS, mutation=True)
    async def CreateTopupRequest(
        self, request: pb.CreateTopupRequestRequest, context: Context
    ) -> pb.CreateTopupRequestResponse:
        created = await self._service.create(
            current_actor(),
            request.user_id,
            request.method_code,
            money_in(request.amount, request.HasField("amount")),
            request.package_id,
            request.receipt,
        )
        return pb.CreateTopupRequestResponse(topup_request=request_message(created))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetTopupRequest(self, request: pb.GetTopupRequestRequest, context: Context) -> pb.GetTopupRequestResponse:
        found = await self._service.get(current_actor(), request.topup_request_id, request.user_id)
        return pb.GetTopupRequestResponse(topup_request=request_message(found))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListTopupRequests(
        self, request: pb.ListTopupRequestsRequest, context: Context
    ) -> pb.ListTopupRequestsResponse:
        v = Violations()
        status = enum_filter(STATUSES, request.status, "status", v)
        requests, token = await self._service.list_requests(
            current_actor(), status, request.user_id, request.page_size, request.page_token, v
        )
        return pb.ListTopupRequestsResponse(
            topup_requests=[request_message(r) for r in requests], next_page_token=token
        )

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def ApproveTopupRequest(
        self, request: pb.ApproveTopupRequestRequest, context: Context
    ) -> pb.ApproveTopupRequestResponse:
        actor = current_actor()
        args = (request.topup_request_id, request.actor, money_in(request.credit, request.HasField("credit")))

        async def fast(unit: FastUnit) -> pb.ApproveTopupRequestResponse:
            approved = await self._service.approve_fast(unit, actor, *args)
            return pb.ApproveTopupRequestResponse(topup_request=request_message(approved))

        async def slow() -> pb.ApproveTopupRequestResponse:
            approved = await self._service.approve(actor, *args)
            return pb.ApproveTopupRequestResponse(topup_request=request_message(approved))

        return await fast_or_slow(self._service.deps, APPROVE, request, pb.ApproveTopupRequestResponse, fast, slow)

    @rpc(roles=STAFF, mutation=True)
    async def RejectTopupRequest(
        self, request: pb.RejectTopupRequestRequest, context: Context
    ) -> pb.RejectTopupRequestResponse:
        rejected = await self._service.reject(current_actor(), request.topup_request_id, request.reason, request.actor)
        return pb.RejectTopupRequestResponse(topup_request=request_message(rejected))
