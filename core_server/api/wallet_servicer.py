"""WalletService: balances, history, adjustments, usage charges, holds, the ledger check, export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import enum_filters, money_in, optional_time
from core_server.api.fast_calls import fast_or_slow, method_path
from core_server.api.fingerprint import idempotency_key
from core_server.api.wallet_convert import KINDS_IN, balance_message, drift_message, hold_message, transfer_message
from core_server.domain.actor import ADMIN_ROLES
from core_server.domain.errors import Violations
from core_server.domain.fast_unit import FastUnit
from core_server.domain.money.hold_rules import Hold
from core_server.domain.money.holds import HoldService
from core_server.domain.money.ledger import Transfer
from core_server.domain.money.wallets import Balance, WalletService
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from sdk.billinghub.v1 import wallet_service_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]
CHARGE_USAGE = "/billinghub.v1.WalletService/ChargeUsage"
ADJUST_BALANCE = method_path(pb, "WalletService", "AdjustBalance")
CREATE_HOLD = method_path(pb, "WalletService", "CreateHold")
CAPTURE_HOLD = method_path(pb, "WalletService", "CaptureHold")
VOID_HOLD = method_path(pb, "WalletService", "VoidHold")
DIRECTIONS = {pb.TRANSFER_DIRECTION_CREDIT: True, pb.TRANSFER_DIRECTION_DEBIT: False}


def _adjusted(transfer: Transfer, balance: Balance) -> pb.AdjustBalanceResponse:
    return pb.AdjustBalanceResponse(transfer=transfer_message(transfer), balance=balance_message(balance))


def _adjusted_after(credit: bool, message: pb.AdjustBalanceResponse, values: Sequence[int]) -> pb.AdjustBalanceResponse:
    """The wallet's balance and held as the fast path's statement left them (WalletService.adjust_fast)."""
    posted, held = values
    if credit:
        message.transfer.credit_balance_after = posted
    else:
        message.transfer.debit_balance_after = posted
    message.balance.posted.amount_minor = posted
    message.balance.held.amount_minor = held
    message.balance.available.amount_minor = posted - held
    return message


def _captured(hold: Hold, transfer: Transfer | None) -> pb.CaptureHoldResponse:
    return pb.CaptureHoldResponse(hold=hold_message(hold), transfer=transfer_message(transfer) if transfer else None)


def _captured_after(message: pb.CaptureHoldResponse, values: Sequence[int]) -> pb.CaptureHoldResponse:
    """The wallet's balance after the capture, as the fast path's statement left it."""
    [message.transfer.debit_balance_after] = values
    return message


class WalletServicer(wallet_service_pb2_grpc.WalletServiceServicer):
    def __init__(self, wallets: WalletService, holds: HoldService) -> None:
        self._wallets = wallets
        self._holds = holds

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetBalances(self, request: pb.GetBalancesRequest, context: Context) -> pb.GetBalancesResponse:
        balances = await self._wallets.get_balances(current_actor(), request.user_id, list(request.assets))
        return pb.GetBalancesResponse(balances=[balance_message(b) for b in balances])

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListTransfers(self, request: pb.ListTransfersRequest, context: Context) -> pb.ListTransfersResponse:
        v = Violations()
        kinds = enum_filters(KINDS_IN, request.kinds, "kinds", v)
        start = optional_time(request.start_time, request.HasField("start_time"), "start_time", v)
        end = optional_time(request.end_time, request.HasField("end_time"), "end_time", v)
        transfers, token = await self._wallets.list_transfers(
            current_actor(), request.user_id, request.asset, kinds, start, end, request.page_size, request.page_token, v
        )
        return pb.ListTransfersResponse(transfers=[transfer_message(t) for t in transfers], next_page_token=token)

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def AdjustBalance(self, request: pb.AdjustBalanceRequest, context: Context) -> pb.AdjustBalanceResponse:
        actor = current_actor()
        money = money_in(request.amount, request.HasField("amount"))
        args = (request.user_id, money, DIRECTIONS.get(request.direction), request.reason, request.actor)

        async def fast(unit: FastUnit) -> pb.AdjustBalanceResponse:
            return _adjusted(*await self._wallets.adjust_fast(unit, actor, *args))

        async def slow() -> pb.AdjustBalanceResponse:
            return _adjusted(*await self._wallets.adjust(actor, *args))

        patch = partial(_adjusted_after, request.direction == pb.TRANSFER_DIRECTION_CREDIT)
        return await fast_or_slow(
            self._wallets.deps, ADJUST_BALANCE, request, pb.AdjustBalanceResponse, fast, slow, patch
        )

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def ChargeUsage(self, request: pb.ChargeUsageRequest, context: Context) -> pb.ChargeUsageResponse:
        transfer = await self._wallets.charge_usage(
            current_actor(),
            idempotency_key(CHARGE_USAGE, request),
            request.user_id,
            money_in(request.amount, request.HasField("amount")),
            request.reference,
        )
        return pb.ChargeUsageResponse(transfer=transfer_message(transfer))

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def CreateHold(self, request: pb.CreateHoldRequest, context: Context) -> pb.CreateHoldResponse:
        actor = current_actor()
        money = money_in(request.amount, request.HasField("amount"))
        args = (request.user_id, money, request.reference, request.ttl_seconds)

        async def fast(unit: FastUnit) -> pb.CreateHoldResponse:
            return pb.CreateHoldResponse(hold=hold_message(await self._holds.create_fast(unit, *args)))

        async def slow() -> pb.CreateHoldResponse:
            return pb.CreateHoldResponse(hold=hold_message(await self._holds.create(actor, *args)))

        return await fast_or_slow(self._holds.deps, CREATE_HOLD, request, pb.CreateHoldResponse, fast, slow)

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def CaptureHold(self, request: pb.CaptureHoldRequest, context: Context) -> pb.CaptureHoldResponse:
        actor = current_actor()
        amount = request.amount_minor if request.HasField("amount_minor") else None

        async def fast(unit: FastUnit) -> pb.CaptureHoldResponse:
            return _captured(*await self._holds.capture_fast(unit, request.hold_id, amount))

        async def slow() -> pb.CaptureHoldResponse:
            return _captured(*await self._holds.capture(actor, request.hold_id, amount))

        return await fast_or_slow(
            self._holds.deps, CAPTURE_HOLD, request, pb.CaptureHoldResponse, fast, slow, _captured_after
        )

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def VoidHold(self, request: pb.VoidHoldRequest, context: Context) -> pb.VoidHoldResponse:
        actor = current_actor()

        async def fast(unit: FastUnit) -> pb.VoidHoldResponse:
            return pb.VoidHoldResponse(hold=hold_message(await self._holds.void_fast(unit, request.hold_id)))

        async def slow() -> pb.VoidHoldResponse:
            return pb.VoidHoldResponse(hold=hold_message(await self._holds.void(actor, request.hold_id)))

        return await fast_or_slow(self._holds.deps, VOID_HOLD, request, pb.VoidHoldResponse, fast, slow)

    @rpc(roles=STAFF)
    async def GetHold(self, request: pb.GetHoldRequest, context: Context) -> pb.GetHoldResponse:
        return pb.GetHoldResponse(hold=hold_message(await self._holds.get(current_actor(), request.hold_id)))

    @rpc(roles=ADMIN_ROLES)
    async def VerifyLedger(self, request: pb.VerifyLedgerRequest, context: Context) -> pb.VerifyLedgerResponse:
        report = await self._wallets.verify(current_actor())
        return pb.VerifyLedgerResponse(
            ok=not report.drifts,
            drifts=[drift_message(d) for d in report.drifts],
            accounts_checked=report.accounts,
            transfers_checked=report.transfers,
        )

    @rpc(roles=STAFF)
    async def ExportTransfers(
        self, request: pb.ExportTransfersRequest, context: Context
    ) -> AsyncIterator[pb.ExportTransfersResponse]:
        v = Violations()
        start = optional_time(request.start_time, request.HasField("start_time"), "start_time", v)
        end = optional_time(request.end_time, request.HasField("end_time"), "end_time", v)
        batches = self._wallets.export(current_actor(), request.asset, start, end, v)
        async for batch in batches:
            yield pb.ExportTransfersResponse(transfers=[transfer_message(t) for t in batch])
