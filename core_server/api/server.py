"""Assembly of the gRPC server: servicers, the interceptor, health and reflection (v1 and v1alpha)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import grpc
from google.protobuf.descriptor import FileDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from core_server.api.bot_settings_servicer import BotSettingsServicer
from core_server.api.broadcast_servicer import BroadcastServicer
from core_server.api.catalog_servicer import CatalogServicer
from core_server.api.event_servicer import AuditServicer, EventServicer
from core_server.api.gateway_servicer import GatewayServicer
from core_server.api.interceptor import CoreInterceptor
from core_server.api.order_servicer import FulfillmentServicer, OrderServicer
from core_server.api.payment_servicer import PaymentServicer
from core_server.api.platform_servicer import PlatformServicer
from core_server.api.promo_servicer import PromoServicer
from core_server.api.referral_servicer import ReferralServicer
from core_server.api.reflection import enable_reflection
from core_server.api.report_servicer import ReportServicer
from core_server.api.subscription_servicer import SubscriptionServicer
from core_server.api.topup_servicer import TopupRequestServicer
from core_server.api.user_servicer import UserServicer
from core_server.api.wallet_servicer import WalletServicer
from core_server.api.webhook_servicer import WebhookEndpointServicer
from core_server.domain.audit import AuditLog
from core_server.domain.bots.broadcast_delivery import BroadcastDelivery
from core_server.domain.bots.broadcast_progress import BroadcastProgress
from core_server.domain.bots.broadcasts import BroadcastService
from core_server.domain.bots.settings import BotSettingsService
from core_server.domain.bots.texts import TextOverrideService
from core_server.domain.catalog.packages import CatalogService
from core_server.domain.deps import Deps
from core_server.domain.entitlements.entitlements import EntitlementService
from core_server.domain.event_cursors import EventCursors
from core_server.domain.event_leases import ConsumerLeases
from core_server.domain.events import EventReader
from core_server.domain.fulfillment.tasks import FulfillmentService
from core_server.domain.money.assets import AssetService
from core_server.domain.money.holds import HoldService
from core_server.domain.money.wallets import WalletService
from core_server.domain.orders.payment import OrderPayments
from core_server.domain.orders.refunds import OrderRefunds
from core_server.domain.orders.service import OrderService
from core_server.domain.orders.service_quota import ServiceQuotas
from core_server.domain.orders.task_outcomes import TaskOutcomes
from core_server.domain.orders.task_retries import TaskRetries
from core_server.domain.payments.configs import ProviderConfigService
from core_server.domain.payments.service import PaymentService
from core_server.domain.payments.stars import StarsInvoices
from core_server.domain.payments.stars_charges import StarsCharges
from core_server.domain.payments.stars_refunds import StarsRefunds
from core_server.domain.payments.stars_renewal_cancels import StarsRenewalCancels
from core_server.domain.promos.codes import PromoCodeService
from core_server.domain.referrals.payouts import PayoutService
from core_server.domain.referrals.service import ReferralService
from core_server.domain.reports.service import ReportService
from core_server.domain.reports.worker_lag import WorkerLagReport
from core_server.domain.subscriptions.service import SubscriptionService
from core_server.domain.tenancy.api_keys import ApiKeyService
from core_server.domain.tenancy.tenants import TenantService
from core_server.domain.topups.requests import TopupRequestService
from core_server.domain.users.service import UserService
from core_server.domain.webhooks.deliveries import WebhookDeliveryService
from core_server.domain.webhooks.endpoints import WebhookEndpointService
from sdk.billinghub.v1 import (
    audit_service_pb2,
    audit_service_pb2_grpc,
    bot_settings_service_pb2,
    bot_settings_service_pb2_grpc,
    broadcast_service_pb2,
    broadcast_service_pb2_grpc,
    catalog_service_pb2,
    catalog_service_pb2_grpc,
    event_service_pb2,
    event_service_pb2_grpc,
    fulfillment_service_pb2,
    fulfillment_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    order_service_pb2,
    order_service_pb2_grpc,
    payment_service_pb2,
    payment_service_pb2_grpc,
    platform_service_pb2,
    platform_service_pb2_grpc,
    promo_service_pb2,
    promo_service_pb2_grpc,
    referral_service_pb2,
    referral_service_pb2_grpc,
    report_service_pb2,
    report_service_pb2_grpc,
    subscription_service_pb2,
    subscription_service_pb2_grpc,
    topup_service_pb2,
    topup_service_pb2_grpc,
    user_service_pb2,
    user_service_pb2_grpc,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
    webhook_service_pb2,
    webhook_service_pb2_grpc,
)

# Pings: the SDK keeps its channels alive with a ping every 30 s (sdk/client.py KEEPALIVE_MS);
# gRPC's server default takes one every 5 minutes and drops the connection ("too many pings")
# after two earlier ones, so the floor here is 10 s, with or without calls in flight.
SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", 4 * 1024 * 1024),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
]


def _services(deps: Deps) -> list[tuple[FileDescriptor, Callable[[Any, grpc.aio.Server], None], Any]]:
    """(proto file, add-to-server function, servicer) for every service of the contract."""
    tenants = TenantService(deps)
    bot_settings = BotSettingsService(deps)
    return [
        (
            platform_service_pb2.DESCRIPTOR,
            platform_service_pb2_grpc.add_PlatformServiceServicer_to_server,
            PlatformServicer(tenants, ApiKeyService(deps)),
        ),
        (
            user_service_pb2.DESCRIPTOR,
            user_service_pb2_grpc.add_UserServiceServicer_to_server,
            UserServicer(UserService(deps)),
        ),
        (
            gateway_service_pb2.DESCRIPTOR,
            gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server,
            GatewayServicer(tenants),
        ),
        (
            catalog_service_pb2.DESCRIPTOR,
            catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server,
            CatalogServicer(AssetService(deps), CatalogService(deps)),
        ),
        (
            wallet_service_pb2.DESCRIPTOR,
            wallet_service_pb2_grpc.add_WalletServiceServicer_to_server,
            WalletServicer(WalletService(deps), HoldService(deps)),
        ),
        (
            event_service_pb2.DESCRIPTOR,
            event_service_pb2_grpc.add_EventServiceServicer_to_server,
            EventServicer(
                EventReader(deps.read_uow, deps.feed, ConsumerLeases(deps.uow, deps.clock, deps.feed.notify)),
                EventCursors(deps.uow, deps.read_uow, deps.clock),
            ),
        ),
        (
            audit_service_pb2.DESCRIPTOR,
            audit_service_pb2_grpc.add_AuditServiceServicer_to_server,
            AuditServicer(AuditLog(deps)),
        ),
        (
            order_service_pb2.DESCRIPTOR,
            order_service_pb2_grpc.add_OrderServiceServicer_to_server,
            OrderServicer(
                OrderService(deps),
                OrderPayments(deps),
                OrderRefunds(deps),
                TaskOutcomes(deps),
                FulfillmentService(deps),
                ServiceQuotas(deps),
                TaskRetries(deps),
            ),
        ),
        (
            fulfillment_service_pb2.DESCRIPTOR,
            fulfillment_service_pb2_grpc.add_FulfillmentServiceServicer_to_server,
            FulfillmentServicer(FulfillmentService(deps), TaskOutcomes(deps), TaskRetries(deps)),
        ),
        (
            subscription_service_pb2.DESCRIPTOR,
            subscription_service_pb2_grpc.add_SubscriptionServiceServicer_to_server,
            SubscriptionServicer(SubscriptionService(deps), EntitlementService(deps), StarsRenewalCancels(deps)),
        ),
        (
            referral_service_pb2.DESCRIPTOR,
            referral_service_pb2_grpc.add_ReferralServiceServicer_to_server,
            ReferralServicer(ReferralService(deps), PayoutService(deps), UserService(deps)),
        ),
        (
            promo_service_pb2.DESCRIPTOR,
            promo_service_pb2_grpc.add_PromoServiceServicer_to_server,
            PromoServicer(PromoCodeService(deps)),
        ),
        (
            topup_service_pb2.DESCRIPTOR,
            topup_service_pb2_grpc.add_TopupRequestServiceServicer_to_server,
            TopupRequestServicer(TopupRequestService(deps)),
        ),
        (
            report_service_pb2.DESCRIPTOR,
            report_service_pb2_grpc.add_ReportServiceServicer_to_server,
            ReportServicer(ReportService(deps), WorkerLagReport(deps)),
        ),
        (
            payment_service_pb2.DESCRIPTOR,
            payment_service_pb2_grpc.add_PaymentServiceServicer_to_server,
            PaymentServicer(
                PaymentService(deps),
                ProviderConfigService(deps),
                StarsInvoices(deps),
                StarsCharges(deps),
                StarsRefunds(deps),
            ),
        ),
        (
            webhook_service_pb2.DESCRIPTOR,
            webhook_service_pb2_grpc.add_WebhookEndpointServiceServicer_to_server,
            WebhookEndpointServicer(WebhookEndpointService(deps), WebhookDeliveryService(deps)),
        ),
        (
            bot_settings_service_pb2.DESCRIPTOR,
            bot_settings_service_pb2_grpc.add_BotSettingsServiceServicer_to_server,
            BotSettingsServicer(bot_settings, TextOverrideService(bot_settings)),
        ),
        (
            broadcast_service_pb2.DESCRIPTOR,
            broadcast_service_pb2_grpc.add_BroadcastServiceServicer_to_server,
            BroadcastServicer(BroadcastService(deps), BroadcastDelivery(deps), BroadcastProgress(deps)),
        ),
    ]


class _GenericHandlersOnly:
    """What the generated `add_*_to_server` functions see of the server: each service goes in as a
    generic handler only, never as registered methods.

    Why: grpc.aio's accept loop (grpcio 1.85, `AioServer._server_main_loop`) keeps one pending
    request future per registered method plus one for the rest, and waits on all of them with
    `asyncio.wait(..., FIRST_COMPLETED)` for every call it accepts. With our ~130 methods that is
    ~130 done-callbacks added and removed per call: py-spy put 18 % of the core's CPU there under
    the health-check load of bench/purchase.py. Generic handlers leave one future to wait on; the
    method is then found by name in a dict (and the interceptor caches its wrapped handler).

    Any other registration the generated code may call in a later grpcio fails here at start,
    loudly, rather than going around this."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self._server = server

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(self, service_name: str, handlers: dict[str, Any]) -> None:
        """Left out on purpose (the class docstring says why): the generic handler added just
        before serves the same methods."""


class CoreServer:
    """The server and its health servicer (which shutdown flips to NOT_SERVING first)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.server = grpc.aio.server(
            interceptors=[CoreInterceptor(deps)],
            options=SERVER_OPTIONS,
        )
        # the generated registration code is given the narrow view (see _GenericHandlersOnly)
        registry = cast(grpc.aio.Server, _GenericHandlersOnly(self.server))
        names: list[str] = []
        for file, add, servicer in _services(deps):
            add(servicer, registry)
            names += [service.full_name for service in file.services_by_name.values()]
        self.service_names = tuple(names)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, registry)
        health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        enable_reflection((*self.service_names, health_name), registry)

    def bind(self, address: str) -> int:
        """Listen on address ("host:port"; port 0 picks a free one) and return the port."""
        port = self.server.add_insecure_port(address)
        if port == 0:
            raise OSError(f"cannot listen on {address}")
        return port

    async def start(self) -> None:
        await self.server.start()
        for name in ("", *self.service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        """Stop taking calls, let in-flight calls finish within `grace` seconds, then close."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
