"""ReferralService over gRPC: the program, stats, referrals, leaderboard and payout requests."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.commerce_convert import KINDS, KINDS_OUT
from core_server.api.convert import enum_filter, money, optional_time, timestamp
from core_server.api.fast_calls import fast_or_slow, method_path
from core_server.api.user_servicer import user_message
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.fast_unit import FastUnit
from core_server.domain.referrals import payout_fast
from core_server.domain.referrals.payout_model import PayoutStatus
from core_server.domain.referrals.payouts import Payout, PayoutService
from core_server.domain.referrals.program import Program, Tier
from core_server.domain.referrals.service import EARNED, INVITED, ReferralService, Stats
from core_server.domain.users.service import UserService
from sdk.billinghub.v1 import referral_pb2, referral_service_pb2_grpc
from sdk.billinghub.v1 import referral_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
METRICS = {pb.LEADERBOARD_METRIC_INVITED: INVITED, pb.LEADERBOARD_METRIC_EARNED: EARNED}
CREATE_PAYOUT = method_path(pb, "ReferralService", "CreatePayoutRequest")
APPROVE_PAYOUT = method_path(pb, "ReferralService", "ApprovePayoutRequest")
REJECT_PAYOUT = method_path(pb, "ReferralService", "RejectPayoutRequest")
PAYOUT_STATUSES = {
    referral_pb2.PAYOUT_STATUS_PENDING: PayoutStatus.PENDING,
    referral_pb2.PAYOUT_STATUS_PAID: PayoutStatus.PAID,
    referral_pb2.PAYOUT_STATUS_REJECTED: PayoutStatus.REJECTED,
}
PAYOUT_STATUSES_OUT = {value: key for key, value in PAYOUT_STATUSES.items()}


def program_in(message: referral_pb2.ReferralProgram) -> Program:
    """The program of a request; an unknown package kind stays as its number, which the program's
    rules refuse with the rest (check_program)."""
    return Program(
        enabled=message.enabled,
        level_rates_bps=tuple(message.level_rates_bps),
        package_kinds=tuple(KINDS.get(kind, str(kind)) for kind in message.package_kinds),
        payout_asset=message.payout_asset,
        rate_numerator=message.rate_numerator or 1,
        rate_denominator=message.rate_denominator or 1,
        hold_days=message.hold_days,
        tiers=tuple(
            Tier(t.name.strip(), t.min_invited, t.min_sales_minor, t.bonus_rate_bps, t.one_off_bonus_minor)
            for t in message.tiers
        ),
        min_payout_minor=message.min_payout_minor,
        bot_username=message.bot_username.strip().removeprefix("@"),
    )


def program_message(program: Program) -> referral_pb2.ReferralProgram:
    return referral_pb2.ReferralProgram(
        enabled=program.enabled,
        level_rates_bps=list(program.level_rates_bps),
        package_kinds=[KINDS_OUT[kind] for kind in program.package_kinds],
        payout_asset=program.payout_asset,
        rate_numerator=program.rate_numerator,
        rate_denominator=program.rate_denominator,
        hold_days=program.hold_days,
        tiers=[
            referral_pb2.ReferralTier(
                name=t.name,
                min_invited=t.min_invited,
                min_sales_minor=t.min_sales_minor,
                bonus_rate_bps=t.bonus_rate_bps,
                one_off_bonus_minor=t.one_off_bonus_minor,
            )
            for t in program.tiers
        ],
        min_payout_minor=program.min_payout_minor,
        bot_username=program.bot_username,
    )


def stats_message(stats: Stats) -> referral_pb2.ReferralStats:
    return referral_pb2.ReferralStats(
        referral_code=stats.referral_code,
        link=stats.link,
        invited_by_level=stats.invited_by_level,
        earned=[money(e.asset, e.earned) for e in stats.earnings],
        pending=[money(e.asset, e.pending) for e in stats.earnings],
        withdrawable=[money(e.asset, e.withdrawable) for e in stats.earnings],
        tier=stats.tier,
    )


def payout_message(payout: Payout) -> referral_pb2.PayoutRequest:
    return referral_pb2.PayoutRequest(
        id=str(payout.id),
        user_id=str(payout.user_id),
        amount=money(payout.asset, payout.amount),
        destination=payout.destination,
        status=PAYOUT_STATUSES_OUT[payout.status],
        payment_reference=payout.payment_reference,
        reason=payout.reason,
        decided_by=payout.decided_by,
        create_time=timestamp(payout.created_at),
        decide_time=timestamp(payout.decided_at),
    )


class ReferralServicer(referral_service_pb2_grpc.ReferralServiceServicer):
    def __init__(self, service: ReferralService, payouts: PayoutService, users: UserService) -> None:
        self._service = service
        self._users = users
        self._payouts = payouts

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetReferralProgram(
        self, request: pb.GetReferralProgramRequest, context: Context
    ) -> pb.GetReferralProgramResponse:
        return pb.GetReferralProgramResponse(program=program_message(await self._service.get_program(current_actor())))

    @rpc(roles=STAFF, mutation=True)
    async def UpdateReferralProgram(
        self, request: pb.UpdateReferralProgramRequest, context: Context
    ) -> pb.UpdateReferralProgramResponse:
        if not request.HasField("program"):
            raise InvalidArgument([Violation("program", "is required")])
        program = await self._service.update_program(current_actor(), program_in(request.program))
        return pb.UpdateReferralProgramResponse(program=program_message(program))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetReferralStats(
        self, request: pb.GetReferralStatsRequest, context: Context
    ) -> pb.GetReferralStatsResponse:
        return pb.GetReferralStatsResponse(
            stats=stats_message(await self._service.stats(current_actor(), request.user_id))
        )

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListReferrals(self, request: pb.ListReferralsRequest, context: Context) -> pb.ListReferralsResponse:
        users, token = await self._users.list_referrals(
            current_actor(), request.user_id, request.level, request.page_size, request.page_token
        )
        return pb.ListReferralsResponse(users=[user_message(u) for u in users], next_page_token=token)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetLeaderboard(self, request: pb.GetLeaderboardRequest, context: Context) -> pb.GetLeaderboardResponse:
        v = Violations()
        start = optional_time(request.start_time, request.HasField("start_time"), "start_time", v)
        end = optional_time(request.end_time, request.HasField("end_time"), "end_time", v)
        rows = await self._service.leaderboard(
            current_actor(), METRICS.get(request.metric), start, end, request.limit, v
        )
        entries = [
            referral_pb2.LeaderboardEntry(user_id=str(r.user_id), username=r.username, value=r.value, rank=r.rank)
            for r in rows
        ]
        return pb.GetLeaderboardResponse(entries=entries)

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def CreatePayoutRequest(
        self, request: pb.CreatePayoutRequestRequest, context: Context
    ) -> pb.CreatePayoutRequestResponse:
        actor = current_actor()
        args = (request.user_id, request.amount_minor, request.destination)

        async def fast(unit: FastUnit) -> pb.CreatePayoutRequestResponse:
            return pb.CreatePayoutRequestResponse(payout_request=payout_message(await payout_fast.create(unit, *args)))

        async def slow() -> pb.CreatePayoutRequestResponse:
            return pb.CreatePayoutRequestResponse(
                payout_request=payout_message(await self._payouts.create(actor, *args))
            )

        deps = self._payouts.deps
        return await fast_or_slow(deps, CREATE_PAYOUT, request, pb.CreatePayoutRequestResponse, fast, slow)

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def ApprovePayoutRequest(
        self, request: pb.ApprovePayoutRequestRequest, context: Context
    ) -> pb.ApprovePayoutRequestResponse:
        actor = current_actor()
        args = (request.payout_request_id, request.payment_reference, request.actor)

        async def fast(unit: FastUnit) -> pb.ApprovePayoutRequestResponse:
            payout = await payout_fast.approve(unit, actor, *args)
            return pb.ApprovePayoutRequestResponse(payout_request=payout_message(payout))

        async def slow() -> pb.ApprovePayoutRequestResponse:
            payout = await self._payouts.approve(actor, *args)
            return pb.ApprovePayoutRequestResponse(payout_request=payout_message(payout))

        deps = self._payouts.deps
        return await fast_or_slow(deps, APPROVE_PAYOUT, request, pb.ApprovePayoutRequestResponse, fast, slow)

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def RejectPayoutRequest(
        self, request: pb.RejectPayoutRequestRequest, context: Context
    ) -> pb.RejectPayoutRequestResponse:
        actor = current_actor()
        args = (request.payout_request_id, request.reason, request.actor)

        async def fast(unit: FastUnit) -> pb.RejectPayoutRequestResponse:
            payout = await payout_fast.reject(unit, actor, *args)
            return pb.RejectPayoutRequestResponse(payout_request=payout_message(payout))

        async def slow() -> pb.RejectPayoutRequestResponse:
            payout = await self._payouts.reject(actor, *args)
            return pb.RejectPayoutRequestResponse(payout_request=payout_message(payout))

        deps = self._payouts.deps
        return await fast_or_slow(deps, REJECT_PAYOUT, request, pb.RejectPayoutRequestResponse, fast, slow)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListPayoutRequests(
        self, request: pb.ListPayoutRequestsRequest, context: Context
    ) -> pb.ListPayoutRequestsResponse:
        v = Violations()
        status = enum_filter(PAYOUT_STATUSES, request.status, "status", v)
        payouts, token = await self._payouts.list_payouts(
            current_actor(), request.user_id, status, request.page_size, request.page_token, v
        )
        return pb.ListPayoutRequestsResponse(
            payout_requests=[payout_message(p) for p in payouts], next_page_token=token
        )
