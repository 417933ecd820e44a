"""OrderService and FulfillmentService."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.commerce_convert import (
    KINDS,
    ORDER_STATUSES,
    TASK_STATUSES,
    order_message,
    service_quota_message,
    task_message,
)
from core_server.api.convert import enum_filter, enum_filters, optional_time
from core_server.api.fast_calls import fast_or_slow, method_path
from core_server.api.wallet_convert import put_balances_after, transfer_message
from core_server.domain.errors import Violations
from core_server.domain.fast_unit import FastUnit
from core_server.domain.fulfillment.tasks import FulfillmentService
from core_server.domain.money.ledger import Transfer
from core_server.domain.orders.fast_pricing import create_fast
from core_server.domain.orders.model import Order
from core_server.domain.orders.payment import OrderPayments, Settlement
from core_server.domain.orders.refunds import OrderRefunds
from core_server.domain.orders.service import OrderService
from core_server.domain.orders.service_quota import ServiceQuotas
from core_server.domain.orders.task_outcomes import TaskOutcomes
from core_server.domain.orders.task_retries import TaskRetries
from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from sdk.billinghub.v1 import fulfillment_service_pb2_grpc, order_service_pb2_grpc
from sdk.billinghub.v1 import order_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
PURCHASE_FROM_WALLET = method_path(pb, "OrderService", "PurchaseFromWallet")
CREATE_ORDER = method_path(pb, "OrderService", "CreateOrder")
PAY_ORDER_FROM_WALLET = method_path(pb, "OrderService", "PayOrderFromWallet")
REFUND_ORDER = method_path(pb, "OrderService", "RefundOrder")


def _purchase_message(paid: Settlement) -> pb.PurchaseFromWalletResponse:
    return pb.PurchaseFromWalletResponse(
        order=order_message(paid.order),
        transfers=[transfer_message(t) for t in paid.transfers],
        task=task_message(paid.task) if paid.task else None,
    )


def _paid_message(paid: Settlement) -> pb.PayOrderFromWalletResponse:
    return pb.PayOrderFromWalletResponse(
        order=order_message(paid.order),
        transfers=[transfer_message(t) for t in paid.transfers],
        task=task_message(paid.task) if paid.task else None,
    )


Paid = TypeVar("Paid", pb.PurchaseFromWalletResponse, pb.PayOrderFromWalletResponse, pb.RefundOrderResponse)


def _paid_after(message: Paid, values: Sequence[int]) -> Paid:
    """The wallets' balances after, as the fast path's statement left them (ledger.post_answered)."""
    put_balances_after(message.transfers, values)
    return message


def _refund_message(order: Order, transfers: list[Transfer]) -> pb.RefundOrderResponse:
    return pb.RefundOrderResponse(order=order_message(order), transfers=[transfer_message(t) for t in transfers])


class OrderServicer(order_service_pb2_grpc.OrderServiceServicer):
    def __init__(
        self,
        orders: OrderService,
        payments: OrderPayments,
        refunds: OrderRefunds,
        tasks: TaskOutcomes,
        task_reads: FulfillmentService,
        quotas: ServiceQuotas,
        retries: TaskRetries,
    ) -> None:
        self._task_reads = task_reads
        self._retries = retries
        self._quotas = quotas
        self._orders = orders
        self._payments = payments
        self._refunds = refunds
        self._tasks = tasks

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def CreateOrder(self, request: pb.CreateOrderRequest, context: Context) -> pb.CreateOrderResponse:
        actor = current_actor()
        args = (
            request.user_id,
            request.package_id,
            request.quantity,
            request.recipient,
            request.promo_code,
            request.pay_asset,
        )

        async def fast(unit: FastUnit) -> pb.CreateOrderResponse:
            return pb.CreateOrderResponse(order=order_message(await create_fast(unit, *args)))

        async def slow() -> pb.CreateOrderResponse:
            return pb.CreateOrderResponse(order=order_message(await self._orders.create(actor, *args)))

        return await fast_or_slow(self._payments.deps, CREATE_ORDER, request, pb.CreateOrderResponse, fast, slow)

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def PayOrderFromWallet(
        self, request: pb.PayOrderFromWalletRequest, context: Context
    ) -> pb.PayOrderFromWalletResponse:
        actor = current_actor()

        async def fast(unit: FastUnit) -> pb.PayOrderFromWalletResponse:
            paid_by = actor.role.value
            paid = await self._payments.pay_fast(unit, actor, request.order_id, request.user_id, paid_by=paid_by)
            return _paid_message(paid)

        async def slow() -> pb.PayOrderFromWalletResponse:
            return _paid_message(await self._payments.pay_from_wallet(actor, request.order_id, request.user_id))

        return await fast_or_slow(
            self._payments.deps, PAY_ORDER_FROM_WALLET, request, pb.PayOrderFromWalletResponse, fast, slow, _paid_after
        )

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def PurchaseFromWallet(
        self, request: pb.PurchaseFromWalletRequest, context: Context
    ) -> pb.PurchaseFromWalletResponse:
        actor = current_actor()
        args = (
            request.user_id,
            request.package_id,
            request.quantity,
            request.recipient,
            request.promo_code,
            request.pay_asset,
        )

        async def fast(unit: FastUnit) -> pb.PurchaseFromWalletResponse:
            return _purchase_message(await self._payments.purchase_fast(unit, *args, paid_by=actor.role.value))

        async def slow() -> pb.PurchaseFromWalletResponse:
            return _purchase_message(await self._payments.purchase_from_wallet(actor, *args))

        return await fast_or_slow(
            self._payments.deps, PURCHASE_FROM_WALLET, request, pb.PurchaseFromWalletResponse, fast, slow, _paid_after
        )

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetOrder(self, request: pb.GetOrderRequest, context: Context) -> pb.GetOrderResponse:
        order = await self._orders.get(current_actor(), request.order_id, request.user_id)
        return pb.GetOrderResponse(order=order_message(order))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListOrders(self, request: pb.ListOrdersRequest, context: Context) -> pb.ListOrdersResponse:
        v = Violations()
        statuses = enum_filters(ORDER_STATUSES, request.statuses, "statuses", v)
        orders, token = await self._orders.list_orders(
            current_actor(), request.user_id, statuses, request.package_id, request.page_size, request.page_token, v
        )
        return pb.ListOrdersResponse(orders=[order_message(o) for o in orders], next_page_token=token)

    @rpc(roles=STAFF_AND_PARTNERS, mutation=True)
    async def CancelOrder(self, request: pb.CancelOrderRequest, context: Context) -> pb.CancelOrderResponse:
        order = await self._orders.cancel(current_actor(), request.order_id, request.user_id)
        return pb.CancelOrderResponse(order=order_message(order))

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)
    async def RefundOrder(self, request: pb.RefundOrderRequest, context: Context) -> pb.RefundOrderResponse:
        actor = current_actor()
        amount = request.amount_minor if request.HasField("amount_minor") else None
        args = (request.order_id, amount, request.reason, request.actor)

        async def fast(unit: FastUnit) -> pb.RefundOrderResponse:
            return _refund_message(*await self._refunds.refund_fast(unit, actor, *args))

        async def slow() -> pb.RefundOrderResponse:
            return _refund_message(*await self._refunds.refund(actor, *args))

        return await fast_or_slow(
            self._refunds.deps, REFUND_ORDER, request, pb.RefundOrderResponse, fast, slow, _paid_after
        )

    @rpc(roles=STAFF_AND_PARTNERS, mutation=True)
    async def SubmitServiceInput(
        self, request: pb.SubmitServiceInputRequest, context: Context
    ) -> pb.SubmitServiceInputResponse:
        task, remaining = await self._tasks.submit_service_input(
            current_actor(), request.order_id, request.url, request.platform, request.user_id
        )
        return pb.SubmitServiceInputResponse(task=task_message(task), remaining_today=remaining)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListOrderTasks(self, request: pb.ListOrderTasksRequest, context: Context) -> pb.ListOrderTasksResponse:
        actor = current_actor()
        tasks, token = await self._task_reads.list_order_tasks(
            actor, request.order_id, request.user_id, request.page_size, request.page_token
        )
        tasks = await self._retries.marked(actor.tenant, tasks)
        return pb.ListOrderTasksResponse(tasks=[task_message(t) for t in tasks], next_page_token=token)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetServiceQuota(self, request: pb.GetServiceQuotaRequest, context: Context) -> pb.GetServiceQuotaResponse:
        quota = await self._quotas.get(current_actor(), request.order_id, request.user_id)
        return pb.GetServiceQuotaResponse(quota=service_quota_message(quota))

    @rpc(roles=STAFF)
    async def GetOrderSettings(
        self, request: pb.GetOrderSettingsRequest, context: Context
    ) -> pb.GetOrderSettingsResponse:
        settings = await self._orders.get_settings(current_actor())
        return pb.GetOrderSettingsResponse(
            settings=pb.OrderSettings(
                order_ttl_seconds=settings.order_ttl_seconds, expiring_notice_days=list(settings.expiring_notice_days)
            )
        )

    @rpc(roles=STAFF)
    async def ExportOrders(
        self, request: pb.ExportOrdersRequest, context: Context
    ) -> AsyncIterator[pb.ExportOrdersResponse]:
        v = Violations()
        statuses = enum_filters(ORDER_STATUSES, request.statuses, "statuses", v)
        start = optional_time(request.start_time, request.HasField("start_time"), "start_time", v)
        end = optional_time(request.end_time, request.HasField("end_time"), "end_time", v)
        async for batch in self._orders.export(current_actor(), start, end, statuses, v):
            yield pb.ExportOrdersResponse(orders=[order_message(o) for o in batch])

    @rpc(roles=STAFF, mutation=True)
    async def UpdateOrderSettings(
        self, request: pb.UpdateOrderSettingsRequest, context: Context
    ) -> pb.UpdateOrderSettingsResponse:
        settings = await self._orders.update_settings(
            current_actor(), request.settings.order_ttl_seconds, list(request.settings.expiring_notice_days)
        )
        return pb.UpdateOrderSettingsResponse(
            settings=pb.OrderSettings(
                order_ttl_seconds=settings.order_ttl_seconds, expiring_notice_days=list(settings.expiring_notice_days)
            )
        )


class FulfillmentServicer(fulfillment_service_pb2_grpc.FulfillmentServiceServicer):
    def __init__(self, tasks: FulfillmentService, outcomes: TaskOutcomes, retries: TaskRetries) -> None:
        self._tasks = tasks
        self._outcomes = outcomes
        self._retries = retries

    @rpc(roles=STAFF)
    async def LeaseTasks(self, request: fpb.LeaseTasksRequest, context: Context) -> fpb.LeaseTasksResponse:
        tasks = await self._outcomes.lease(
            current_actor(), KINDS.get(request.kind), request.max_tasks, request.lease_seconds
        )
        return fpb.LeaseTasksResponse(tasks=[task_message(t) for t in tasks])

    @rpc(roles=STAFF, mutation=True)
    async def CompleteTask(self, request: fpb.CompleteTaskRequest, context: Context) -> fpb.CompleteTaskResponse:
        task = await self._outcomes.complete(current_actor(), request.task_id, request.result)
        return fpb.CompleteTaskResponse(task=task_message(task))

    @rpc(roles=STAFF, mutation=True)
    async def FailTask(self, request: fpb.FailTaskRequest, context: Context) -> fpb.FailTaskResponse:
        task = await self._outcomes.fail(current_actor(), request.task_id, request.reason, request.retryable)
        return fpb.FailTaskResponse(task=task_message(task))

    @rpc(roles=STAFF)
    async def GetTask(self, request: fpb.GetTaskRequest, context: Context) -> fpb.GetTaskResponse:
        actor = current_actor()
        [task] = await self._retries.marked(actor.tenant, [await self._tasks.get(actor, request.task_id)])
        return fpb.GetTaskResponse(task=task_message(task))

    @rpc(roles=STAFF)
    async def ListTasks(self, request: fpb.ListTasksRequest, context: Context) -> fpb.ListTasksResponse:
        v = Violations()
        kind = enum_filter(KINDS, request.kind, "kind", v)
        status = enum_filter(TASK_STATUSES, request.status, "status", v)
        actor = current_actor()
        tasks, token = await self._tasks.list_tasks(
            actor, kind, status, request.order_id, request.page_size, request.page_token, v
        )
        tasks = await self._retries.marked(actor.tenant, tasks)
        return fpb.ListTasksResponse(tasks=[task_message(t) for t in tasks], next_page_token=token)

    @rpc(roles=STAFF, mutation=True)
    async def RetryTask(self, request: fpb.RetryTaskRequest, context: Context) -> fpb.RetryTaskResponse:
        return fpb.RetryTaskResponse(task=task_message(await self._retries.retry(current_actor(), request.task_id)))
