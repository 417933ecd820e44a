"""The async client of the core: one channel, the generated stubs, and the house rules of calling.

    async with BillingHubClient("127.0.0.1:50051", api_key) as hub:
        response = await hub.users.RegisterUser(users_pb2.RegisterUserRequest(...))

A gateway serving many tenants keeps one client and derives a per-tenant view with
`for_tenant(tenant_id)`: the views share the channel and differ only in `x-tenant-id`. A staff call
a bot makes for one of the tenant's admins goes through `on_behalf_of(telegram_id)`, which names
the admin in `x-on-behalf-of` (a gateway key has end-user rights only; the core checks the
admin's permission and audits the call under the admin's name).
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from sdk.billinghub.v1 import (
    audit_service_pb2_grpc,
    bot_settings_service_pb2_grpc,
    broadcast_service_pb2_grpc,
    catalog_service_pb2_grpc,
    event_service_pb2_grpc,
    fulfillment_service_pb2_grpc,
    gateway_service_pb2_grpc,
    order_service_pb2_grpc,
    payment_service_pb2_grpc,
    platform_service_pb2_grpc,
    promo_service_pb2_grpc,
    referral_service_pb2_grpc,
    report_service_pb2_grpc,
    subscription_service_pb2_grpc,
    topup_service_pb2_grpc,
    user_service_pb2_grpc,
    wallet_service_pb2_grpc,
    webhook_service_pb2_grpc,
)
from sdk.errors import error_from_rpc
from sdk.interceptors import Metadata, RetryPolicy, UnaryStreamInterceptor, UnaryUnaryInterceptor

DEFAULT_TARGET = "127.0.0.1:50051"
TENANT_HEADER = "x-tenant-id"
REQUEST_ID_HEADER = "x-request-id"
ON_BEHALF_HEADER = "x-on-behalf-of"


KEEPALIVE_MS = 30_000  # a ping every 30 s keeps NATs and proxies from dropping a quiet channel


class _Stubs:
    """The generated stubs bound to one channel, each made on first use: a view made per request
    (`with_api_key`) then costs one stub, not one of every service."""

    def __init__(self, channel: Any) -> None:  # a grpc.aio.Channel or a _ViewChannel
        self._channel = channel

    @cached_property
    def platform(self) -> platform_service_pb2_grpc.PlatformServiceStub:
        return platform_service_pb2_grpc.PlatformServiceStub(self._channel)

    @cached_property
    def users(self) -> user_service_pb2_grpc.UserServiceStub:
        return user_service_pb2_grpc.UserServiceStub(self._channel)

    @cached_property
    def gateway(self) -> gateway_service_pb2_grpc.GatewayServiceStub:
        return gateway_service_pb2_grpc.GatewayServiceStub(self._channel)

    @cached_property
    def catalog(self) -> catalog_service_pb2_grpc.CatalogServiceStub:
        return catalog_service_pb2_grpc.CatalogServiceStub(self._channel)

    @cached_property
    def wallet(self) -> wallet_service_pb2_grpc.WalletServiceStub:
        return wallet_service_pb2_grpc.WalletServiceStub(self._channel)

    @cached_property
    def events(self) -> event_service_pb2_grpc.EventServiceStub:
        return event_service_pb2_grpc.EventServiceStub(self._channel)

    @cached_property
    def audit(self) -> audit_service_pb2_grpc.AuditServiceStub:
        return audit_service_pb2_grpc.AuditServiceStub(self._channel)

    @cached_property
    def orders(self) -> order_service_pb2_grpc.OrderServiceStub:
        return order_service_pb2_grpc.OrderServiceStub(self._channel)

    @cached_property
    def fulfillment(self) -> fulfillment_service_pb2_grpc.FulfillmentServiceStub:
        return fulfillment_service_pb2_grpc.FulfillmentServiceStub(self._channel)

    @cached_property
    def subscriptions(self) -> subscription_service_pb2_grpc.SubscriptionServiceStub:
        return subscription_service_pb2_grpc.SubscriptionServiceStub(self._channel)

    @cached_property
    def referrals(self) -> referral_service_pb2_grpc.ReferralServiceStub:
        return referral_service_pb2_grpc.ReferralServiceStub(self._channel)

    @cached_property
    def promos(self) -> promo_service_pb2_grpc.PromoServiceStub:
        return promo_service_pb2_grpc.PromoServiceStub(self._channel)

    @cached_property
    def topups(self) -> topup_service_pb2_grpc.TopupRequestServiceStub:
        return topup_service_pb2_grpc.TopupRequestServiceStub(self._channel)

    @cached_property
    def reports(self) -> report_service_pb2_grpc.ReportServiceStub:
        return report_service_pb2_grpc.ReportServiceStub(self._channel)

    @cached_property
    def payments(self) -> payment_service_pb2_grpc.PaymentServiceStub:
        return payment_service_pb2_grpc.PaymentServiceStub(self._channel)

    @cached_property
    def webhooks(self) -> webhook_service_pb2_grpc.WebhookEndpointServiceStub:
        return webhook_service_pb2_grpc.WebhookEndpointServiceStub(self._channel)

    @cached_property
    def bot_settings(self) -> bot_settings_service_pb2_grpc.BotSettingsServiceStub:
        return bot_settings_service_pb2_grpc.BotSettingsServiceStub(self._channel)

    @cached_property
    def broadcasts(self) -> broadcast_service_pb2_grpc.BroadcastServiceStub:
        return broadcast_service_pb2_grpc.BroadcastServiceStub(self._channel)

    @cached_property
    def health(self) -> health_pb2_grpc.HealthStub:
        return health_pb2_grpc.HealthStub(self._channel)


class BillingHubClient:
    """Talks to the core with one API key; see the module docstring."""

    def __init__(
        self,
        target: str,
        api_key: str,
        tenant_id: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        secure: bool = False,
        root_certificates: bytes | None = None,
        options: list[tuple[str, Any]] | None = None,
    ) -> None:
        self.target = target
        self.tenant_id = tenant_id
        self._api_key = api_key
        retry = retry or RetryPolicy()
        interceptors = [UnaryUnaryInterceptor(self._metadata, retry), UnaryStreamInterceptor(self._metadata)]
        channel_options = [("grpc.keepalive_time_ms", KEEPALIVE_MS), *(options or [])]
        if secure:
            credentials = grpc.ssl_channel_credentials(root_certificates)
            self._channel = grpc.aio.secure_channel(target, credentials, channel_options, interceptors=interceptors)
        else:
            self._channel = grpc.aio.insecure_channel(target, channel_options, interceptors=interceptors)
        self._owns_channel = True
        self._view_metadata: Metadata = ()
        self._multicallables: dict[tuple[str, str], Any] = {}  # shared by every view (_ViewChannel)
        self._stubs = _Stubs(self._channel)

    def _metadata(self) -> Metadata:
        metadata: list[tuple[str, str | bytes]] = []
        if self._api_key:
            metadata.append(("authorization", f"Bearer {self._api_key}"))
        if self.tenant_id:
            metadata.append((TENANT_HEADER, self.tenant_id))
        return metadata

    def for_tenant(self, tenant_id: str) -> BillingHubClient:
        """A view of this client acting in another tenant; it shares (and does not close) the channel."""
        view = self._view(((TENANT_HEADER, tenant_id),))
        view.tenant_id = tenant_id
        return view

    def on_behalf_of(self, telegram_id: int) -> BillingHubClient:
        """A view of this client acting for one of the tenant's bot admins (`x-on-behalf-of:
        telegram:<id>`); it shares (and does not close) the channel. A gateway key needs it for
        staff calls: the core refuses them unless that admin holds the call's permission."""
        return self._view(((ON_BEHALF_HEADER, f"telegram:{int(telegram_id)}"),))

    def with_api_key(self, api_key: str) -> BillingHubClient:
        """A view of this client calling with someone else's key; it shares (and does not close) the
        channel. The HTTP gateway passes each REST caller's key through this way, so the core
        decides what the caller may do and the gateway holds no rights of its own for the call."""
        view = self._view((("authorization", f"Bearer {api_key}"),), keep=False)
        view._api_key = api_key
        view.tenant_id = None
        return view

    def _view(self, metadata: Metadata, *, keep: bool = True) -> BillingHubClient:
        """A view adding `metadata` to each call, on top of this view's own (`keep`) so that
        `for_tenant(t).on_behalf_of(admin)` names both; a key named again is replaced."""
        names = {name for name, _ in metadata}
        kept = tuple(item for item in self._view_metadata if item[0] not in names) if keep else ()
        view = object.__new__(BillingHubClient)
        view.__dict__.update(self.__dict__)
        view._owns_channel = False
        view._view_metadata = (*kept, *metadata)
        view._stubs = _Stubs(_ViewChannel(self._channel, view._view_metadata, self._multicallables))
        return view

    @property
    def platform(self) -> platform_service_pb2_grpc.PlatformServiceStub:
        """Tenants and API keys (platform role)."""
        return self._stubs.platform

    @property
    def users(self) -> user_service_pb2_grpc.UserServiceStub:
        """The tenant's end users."""
        return self._stubs.users

    @property
    def gateway(self) -> gateway_service_pb2_grpc.GatewayServiceStub:
        """What gateway processes should serve (gateway role)."""
        return self._stubs.gateway

    @property
    def catalog(self) -> catalog_service_pb2_grpc.CatalogServiceStub:
        """Assets (and, later, packages) of the tenant."""
        return self._stubs.catalog

    @property
    def wallet(self) -> wallet_service_pb2_grpc.WalletServiceStub:
        """Balances, transfers, adjustments, usage charges, holds."""
        return self._stubs.wallet

    @property
    def events(self) -> event_service_pb2_grpc.EventServiceStub:
        """The tenant's event stream (WatchEvents) and polling (ListEvents)."""
        return self._stubs.events

    @property
    def audit(self) -> audit_service_pb2_grpc.AuditServiceStub:
        """The tenant's audit log."""
        return self._stubs.audit

    @property
    def orders(self) -> order_service_pb2_grpc.OrderServiceStub:
        """Orders: create, pay from the wallet, refund, service inputs."""
        return self._stubs.orders

    @property
    def fulfillment(self) -> fulfillment_service_pb2_grpc.FulfillmentServiceStub:
        """Fulfillment tasks for outside processors."""
        return self._stubs.fulfillment

    @property
    def subscriptions(self) -> subscription_service_pb2_grpc.SubscriptionServiceStub:
        """Subscriptions and entitlements."""
        return self._stubs.subscriptions

    @property
    def referrals(self) -> referral_service_pb2_grpc.ReferralServiceStub:
        """The referral program, stats, leaderboard and payout requests."""
        return self._stubs.referrals

    @property
    def promos(self) -> promo_service_pb2_grpc.PromoServiceStub:
        """Promo codes."""
        return self._stubs.promos

    @property
    def topups(self) -> topup_service_pb2_grpc.TopupRequestServiceStub:
        """Manual top-up requests."""
        return self._stubs.topups

    @property
    def reports(self) -> report_service_pb2_grpc.ReportServiceStub:
        """Statistics and revenue series."""
        return self._stubs.reports

    @property
    def payments(self) -> payment_service_pb2_grpc.PaymentServiceStub:
        """Payment providers: their settings, payments, webhooks."""
        return self._stubs.payments

    @property
    def bot_settings(self) -> bot_settings_service_pb2_grpc.BotSettingsServiceStub:
        """The tenant's bot settings (admins and permissions, texts, mode) and text overrides."""
        return self._stubs.bot_settings

    @property
    def broadcasts(self) -> broadcast_service_pb2_grpc.BroadcastServiceStub:
        """A bot's broadcasts: drafts, start, pause, resume, cancel; leasing and reporting recipients."""
        return self._stubs.broadcasts

    @property
    def webhooks(self) -> webhook_service_pb2_grpc.WebhookEndpointServiceStub:
        """Outbound webhook endpoints and their deliveries (receivers check them with
        sdk.verify_webhook)."""
        return self._stubs.webhooks

    async def health(self, service: str = "", timeout: float = 3.0) -> str:  # noqa: ASYNC109  # a gRPC deadline
        """The core's health status name (`SERVING`, `NOT_SERVING`, ...); raises when unreachable."""
        try:
            response = await self._stubs.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None
        except Exception as error:
            raise error from None
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))

    async def close(self) -> None:
        """Close the channel (views made by for_tenant leave it open)."""
        if self._owns_channel:
            await self._channel.close()

    async def __aenter__(self) -> BillingHubClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class _ViewChannel:
    """Looks like a channel to the generated stubs and adds a view's metadata to each call.

    The channel's interceptors add the client's own metadata only where a call did not set the key,
    so what a view names (its tenant, its caller's key) wins over the parent client's.
    """

    def __init__(self, channel: grpc.aio.Channel, metadata: Metadata, shared: dict[tuple[str, str], Any]) -> None:
        self._channel = channel
        self._metadata = metadata
        self._shared = shared

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _CallWithMetadata(self._multicallable("unary_unary", method, args, kwargs), self._metadata)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _CallWithMetadata(self._multicallable("unary_stream", method, args, kwargs), self._metadata)

    def _multicallable(self, kind: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The channel's multicallable of a method, made once for all the views of a client: a gRPC
        multicallable is a few kilobytes, and a gateway serving a thousand tenant bots makes a
        view per tenant with a stub of each service it uses (a service stub makes one per method)."""
        key = (kind, method)
        made = self._shared.get(key)
        if made is None:
            made = self._shared[key] = getattr(self._channel, kind)(method, *args, **kwargs)
        return made


class _CallWithMetadata:
    """A multicallable that prepends fixed metadata to each call."""

    def __init__(self, multicallable: Any, metadata: Metadata) -> None:
        self._multicallable = multicallable
        self._metadata = metadata

    def __call__(self, request: Any, *, metadata: Metadata | None = None, **kwargs: Any) -> Any:
        return self._multicallable(request, metadata=(*self._metadata, *(metadata or ())), **kwargs)
