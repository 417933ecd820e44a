"""PromoService over gRPC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import money, money_in, optional_time, timestamp
from core_server.api.fast_calls import fast_or_slow, method_path
from core_server.api.wallet_convert import transfer_message
from core_server.domain.errors import Violations
from core_server.domain.fast_unit import FastUnit
from core_server.domain.promos.codes import Promo, PromoCodeService, PromoSpec, Redemption
from core_server.domain.promos.uses import CREDIT, PERCENT_DISCOUNT
from sdk.billinghub.v1 import promo_pb2, promo_service_pb2_grpc
from sdk.billinghub.v1 import promo_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
KINDS = {promo_pb2.PROMO_KIND_CREDIT: CREDIT, promo_pb2.PROMO_KIND_PERCENT_DISCOUNT: PERCENT_DISCOUNT}
KINDS_OUT = {value: key for key, value in KINDS.items()}


def spec_in(message: promo_pb2.PromoCode, v: Violations) -> PromoSpec:
    """The code of a request; a time out of range is left unset and recorded in `v`."""
    return PromoSpec(
        code=message.code,
        kind=KINDS.get(message.kind),
        credit=money_in(message.credit, message.HasField("credit")),
        percent_bps=message.percent_bps,
        per_user_limit=message.per_user_limit,
        total_limit=message.total_limit,
        starts_at=optional_time(message.start_time, message.HasField("start_time"), "promo_code.start_time", v),
        ends_at=optional_time(message.end_time, message.HasField("end_time"), "promo_code.end_time", v),
        package_ids=list(message.package_ids),
        categories=list(message.categories),
    )


def promo_message(promo: Promo) -> promo_pb2.PromoCode:
    return promo_pb2.PromoCode(
        code=promo.code,
        kind=KINDS_OUT[promo.kind],
        credit=money(promo.credit.asset, promo.credit.amount) if promo.credit else None,
        percent_bps=promo.percent_bps,
        per_user_limit=promo.per_user_limit,
        total_limit=promo.total_limit,
        used_count=promo.used_count,
        start_time=timestamp(promo.starts_at),
        end_time=timestamp(promo.ends_at),
        package_ids=list(promo.package_ids),
        categories=list(promo.categories),
        disabled=promo.disabled,
        create_time=timestamp(promo.created_at),
    )


REDEEM = method_path(pb, "PromoService", "RedeemPromoCode")


def _redeemed(redemption: Redemption) -> pb.RedeemPromoCodeResponse:
    return pb.RedeemPromoCodeResponse(
        promo_code=promo_message(redemption.promo), transfer=transfer_message(redemption.transfer)
    )


def _credited_after(message: pb.RedeemPromoCodeResponse, values: Sequence[int]) -> pb.RedeemPromoCodeResponse:
    """The wallet's balance after the credit, as the fast path's statement left it."""
    [message.transfer.credit_balance_after] = values
    return message


class PromoServicer(promo_service_pb2_grpc.PromoServiceServicer):
    def __init__(self, service: PromoCodeService) -> None:
        self._service = service

    @rpc(roles=STAFF, mutation=True)
    async def CreatePromoCode(self, request: pb.CreatePromoCodeRequest, context: Context) -> pb.CreatePromoCodeResponse:
        v = Violations()
        promo = await self._service.create(current_actor(), spec_in(request.promo_code, v), v)
        return pb.CreatePromoCodeResponse(promo_code=promo_message(promo))

    @rpc(roles=STAFF)
    async def ListPromoCodes(self, request: pb.ListPromoCodesRequest, context: Context) -> pb.ListPromoCodesResponse:
        promos, token = await self._service.list_codes(
            current_actor(), request.include_disabled, request.page_size, request.page_token
        )
        return pb.ListPromoCodesResponse(promo_codes=[promo_message(p) for p in promos], next_page_token=token)

    @rpc(roles=STAFF, mutation=True)
    async def DisablePromoCode(
        self, request: pb.DisablePromoCodeRequest, context: Context
    ) -> pb.DisablePromoCodeResponse:
        promo = await self._service.disable(current_actor(), request.code)
        return pb.DisablePromoCodeResponse(promo_code=promo_message(promo))

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def RedeemPromoCode(self, request: pb.RedeemPromoCodeRequest, context: Context) -> pb.RedeemPromoCodeResponse:
        actor = current_actor()

        async def fast(unit: FastUnit) -> pb.RedeemPromoCodeResponse:
            return _redeemed(await self._service.redeem_fast(unit, request.user_id, request.code))

        async def slow() -> pb.RedeemPromoCodeResponse:
            return _redeemed(await self._service.redeem(actor, request.user_id, request.code))

        return await fast_or_slow(
            self._service.deps, REDEEM, request, pb.RedeemPromoCodeResponse, fast, slow, _credited_after
        )
