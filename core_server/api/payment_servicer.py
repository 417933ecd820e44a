"""PaymentService over gRPC."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import enum_filter, id_text, money, money_in, timestamp
from core_server.api.fast_calls import method_path
from core_server.api.fingerprint import idempotency_key
from core_server.domain.actor import Role
from core_server.domain.errors import Violations
from core_server.domain.payments.configs import Limit, ProviderConfigService, ProviderSettings
from core_server.domain.payments.model import Payment, PaymentStatus
from core_server.domain.payments.service import Outcome, PaymentService
from core_server.domain.payments.stars import STARS, InvoiceRequest, Refusal, StarsInvoice, StarsInvoices
from core_server.domain.payments.stars_charges import Charge, StarsCharges
from core_server.domain.payments.stars_refunds import StarsRefunds
from sdk.billinghub.v1 import payment_pb2, payment_service_pb2_grpc
from sdk.billinghub.v1 import payment_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
CREATE = method_path(pb, "PaymentService", "CreatePayment")
CREATE_STARS = method_path(pb, "PaymentService", "CreateStarsInvoice")
REFUND_TELEGRAM = method_path(pb, "PaymentService", "RefundTelegramPayment")
WEBHOOK_CALLERS = frozenset({Role.GATEWAY, Role.PLATFORM})  # and the bot's Telegram payment updates
STATUSES = {
    payment_pb2.PAYMENT_STATUS_PENDING: PaymentStatus.PENDING,
    payment_pb2.PAYMENT_STATUS_SUCCEEDED: PaymentStatus.SUCCEEDED,
    payment_pb2.PAYMENT_STATUS_UNDERPAID: PaymentStatus.UNDERPAID,
    payment_pb2.PAYMENT_STATUS_FAILED: PaymentStatus.FAILED,
    payment_pb2.PAYMENT_STATUS_EXPIRED: PaymentStatus.EXPIRED,
    payment_pb2.PAYMENT_STATUS_REFUNDING: PaymentStatus.REFUNDING,
    payment_pb2.PAYMENT_STATUS_REFUNDED: PaymentStatus.REFUNDED,
}
STATUSES_OUT = {value: key for key, value in STATUSES.items()}
REFUSALS = {
    Refusal.UNKNOWN_INVOICE: payment_pb2.PRE_CHECKOUT_REFUSAL_UNKNOWN_INVOICE,
    Refusal.WRONG_USER: payment_pb2.PRE_CHECKOUT_REFUSAL_WRONG_USER,
    Refusal.ALREADY_PAID: payment_pb2.PRE_CHECKOUT_REFUSAL_ALREADY_PAID,
    Refusal.EXPIRED: payment_pb2.PRE_CHECKOUT_REFUSAL_EXPIRED,
    Refusal.ORDER_NOT_PENDING: payment_pb2.PRE_CHECKOUT_REFUSAL_ORDER_NOT_PENDING,
    Refusal.AMOUNT_MISMATCH: payment_pb2.PRE_CHECKOUT_REFUSAL_AMOUNT_MISMATCH,
    Refusal.USER_BLOCKED: payment_pb2.PRE_CHECKOUT_REFUSAL_USER_BLOCKED,
}
OUTCOMES = {
    Outcome.APPLIED: pb.WEBHOOK_OUTCOME_APPLIED,
    Outcome.DUPLICATE: pb.WEBHOOK_OUTCOME_DUPLICATE,
    Outcome.IGNORED: pb.WEBHOOK_OUTCOME_IGNORED,
    Outcome.UNKNOWN_PAYMENT: pb.WEBHOOK_OUTCOME_UNKNOWN_PAYMENT,
    Outcome.REFUSED: pb.WEBHOOK_OUTCOME_REFUSED,
}


def payment_message(payment: Payment) -> payment_pb2.Payment:
    received = payment.received
    return payment_pb2.Payment(
        id=str(payment.id),
        user_id=str(payment.user_id),
        order_id=id_text(payment.order_id),
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        status=STATUSES_OUT[payment.status],
        amount=money(payment.amount.asset, payment.amount.amount),
        received=money(received.asset, received.amount) if received else None,
        pay_url=payment.pay_url,
        provider_status=payment.provider_status,
        failure_reason=payment.failure_reason,
        credit_transfer_id=id_text(payment.credit_transfer_id),
        expire_time=timestamp(payment.expires_at),
        create_time=timestamp(payment.created_at),
        update_time=timestamp(payment.updated_at),
        paid_time=timestamp(payment.paid_at),
    )


def invoice_message(invoice: StarsInvoice) -> payment_pb2.StarsInvoice:
    return payment_pb2.StarsInvoice(
        title=invoice.title,
        description=invoice.description,
        payload=invoice.payload,
        currency=STARS,
        prices=[payment_pb2.StarsPrice(label=invoice.title, amount=invoice.amount)],
        subscription_period=invoice.subscription_period,
    )


def limit_message(limit: Limit) -> payment_pb2.PaymentLimit:
    return payment_pb2.PaymentLimit(asset=limit.asset, min_minor=limit.min, max_minor=limit.max)


def config_message(settings: ProviderSettings) -> payment_pb2.ProviderConfig:
    return payment_pb2.ProviderConfig(
        provider=settings.provider,
        enabled=settings.enabled,
        title=dict(settings.title),
        sort_order=settings.sort_order,
        limits=[
            payment_pb2.PaymentLimit(asset=lim.asset, min_minor=lim.min, max_minor=lim.max) for lim in settings.limits
        ],
        options=dict(settings.options),
        secrets_set=list(settings.secrets_set),
        base_url=settings.base_url,
        test_mode=settings.test_mode,
        webhook_url=settings.webhook_url,
    )


def config_in(message: payment_pb2.ProviderConfig) -> ProviderSettings:
    return ProviderSettings(
        provider=message.provider,
        enabled=message.enabled,
        title=dict(message.title),
        sort_order=message.sort_order,
        limits=[Limit(lim.asset, lim.min_minor, lim.max_minor) for lim in message.limits],
        options=dict(message.options),
        base_url=message.base_url,
        test_mode=message.test_mode,
    )


class PaymentServicer(payment_service_pb2_grpc.PaymentServiceServicer):
    def __init__(
        self,
        payments: PaymentService,
        configs: ProviderConfigService,
        invoices: StarsInvoices,
        charges: StarsCharges,
        refunds: StarsRefunds,
    ) -> None:
        self._payments = payments
        self._configs = configs
        self._invoices = invoices
        self._charges = charges
        self._refunds = refunds

    @rpc(roles=STAFF)
    async def ListProviders(self, request: pb.ListProvidersRequest, context: Context) -> pb.ListProvidersResponse:
        found = self._configs.providers()
        return pb.ListProvidersResponse(
            providers=[
                payment_pb2.ProviderInfo(
                    name=info.name,
                    secret_fields=list(info.secret_fields),
                    option_fields=list(info.option_fields),
                    required_fields=list(info.required_fields),
                )
                for info in found
            ]
        )

    @rpc(roles=STAFF, mutation=True)
    async def SetProviderConfig(
        self, request: pb.SetProviderConfigRequest, context: Context
    ) -> pb.SetProviderConfigResponse:
        settings = await self._configs.set_config(current_actor(), config_in(request.config), dict(request.secrets))
        return pb.SetProviderConfigResponse(config=config_message(settings))

    @rpc(roles=STAFF)
    async def ListProviderConfigs(
        self, request: pb.ListProviderConfigsRequest, context: Context
    ) -> pb.ListProviderConfigsResponse:
        found = await self._configs.list_configs(current_actor())
        return pb.ListProviderConfigsResponse(configs=[config_message(settings) for settings in found])

    @rpc(roles=STAFF)
    async def TestProviderConfig(
        self, request: pb.TestProviderConfigRequest, context: Context
    ) -> pb.TestProviderConfigResponse:
        await self._configs.test_config(current_actor(), request.provider)
        return pb.TestProviderConfigResponse(ok=True)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListPaymentMethods(
        self, request: pb.ListPaymentMethodsRequest, context: Context
    ) -> pb.ListPaymentMethodsResponse:
        methods = await self._payments.list_methods(
            current_actor(), request.user_id, request.order_id, money_in(request.amount, request.HasField("amount"))
        )
        return pb.ListPaymentMethodsResponse(
            methods=[
                payment_pb2.PaymentMethod(
                    provider=m.provider, title=dict(m.title), asset=m.asset, min_minor=m.min, max_minor=m.max
                )
                for m in methods
            ]
        )

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def CreatePayment(self, request: pb.CreatePaymentRequest, context: Context) -> pb.CreatePaymentResponse:
        payment = await self._payments.create(
            current_actor(),
            idempotency_key(CREATE, request),
            request.user_id,
            request.order_id,
            money_in(request.amount, request.HasField("amount")),
            request.provider,
            request.return_url,
            request.description,
        )
        return pb.CreatePaymentResponse(payment=payment_message(payment))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetPayment(self, request: pb.GetPaymentRequest, context: Context) -> pb.GetPaymentResponse:
        return pb.GetPaymentResponse(
            payment=payment_message(await self._payments.get(current_actor(), request.payment_id, request.user_id))
        )

    @rpc(roles=STAFF_AND_PARTNERS)
    async def ListPayments(self, request: pb.ListPaymentsRequest, context: Context) -> pb.ListPaymentsResponse:
        v = Violations()
        status = enum_filter(STATUSES, request.status, "status", v)
        payments, token = await self._payments.list_payments(
            current_actor(),
            request.user_id,
            request.order_id,
            request.provider,
            status,
            request.page_size,
            request.page_token,
            v,
        )
        return pb.ListPaymentsResponse(payments=[payment_message(p) for p in payments], next_page_token=token)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def CheckPayment(self, request: pb.CheckPaymentRequest, context: Context) -> pb.CheckPaymentResponse:
        payment = await self._payments.check(current_actor(), request.payment_id, request.user_id)
        return pb.CheckPaymentResponse(payment=payment_message(payment))

    @rpc(roles=WEBHOOK_CALLERS)
    async def IngestProviderWebhook(
        self, request: pb.IngestProviderWebhookRequest, context: Context
    ) -> pb.IngestProviderWebhookResponse:
        result = await self._payments.ingest(current_actor(), request.provider, dict(request.headers), request.body)
        return pb.IngestProviderWebhookResponse(
            http_status=result.reply.status,
            body=result.reply.body,
            content_type=result.reply.content_type,
            outcome=OUTCOMES[result.outcome],
            payment_id=id_text(result.payment_id),
        )

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def CreateStarsInvoice(
        self, request: pb.CreateStarsInvoiceRequest, context: Context
    ) -> pb.CreateStarsInvoiceResponse:
        invoice_request = InvoiceRequest(
            user_id=request.user_id,
            order_id=request.order_id,
            amount=money_in(request.amount, request.HasField("amount")),
            subscription_period=request.subscription_period,
            title=request.title,
            description=request.description,
            create_link=request.create_link,
        )
        created = await self._invoices.create_invoice(
            current_actor(), idempotency_key(CREATE_STARS, request), invoice_request
        )
        return pb.CreateStarsInvoiceResponse(
            payment=payment_message(created.payment),
            invoice=invoice_message(created.invoice),
            invoice_link=created.link,
        )

    @rpc(roles=WEBHOOK_CALLERS)
    async def ValidatePreCheckout(
        self, request: pb.ValidatePreCheckoutRequest, context: Context
    ) -> pb.ValidatePreCheckoutResponse:
        answer = await self._invoices.validate_pre_checkout(
            current_actor(), request.user_id, request.payload, request.currency, request.total_amount
        )
        return pb.ValidatePreCheckoutResponse(
            ok=answer.ok,
            error_message=answer.message,
            refusal=REFUSALS[answer.refusal] if answer.refusal else payment_pb2.PRE_CHECKOUT_REFUSAL_UNSPECIFIED,
            payment_id=id_text(answer.payment_id),
        )

    @rpc(roles=WEBHOOK_CALLERS, mutation=Idempotency.INLINE)
    async def ConfirmTelegramPayment(
        self, request: pb.ConfirmTelegramPaymentRequest, context: Context
    ) -> pb.ConfirmTelegramPaymentResponse:
        charge = Charge(
            user_id=request.user_id,
            payload=request.payload,
            currency=request.currency,
            total=request.total_amount,
            charge_id=request.telegram_payment_charge_id,
            provider_charge_id=request.provider_payment_charge_id,
            is_recurring=request.is_recurring,
            is_first_recurring=request.is_first_recurring,
            subscription_expiration=request.subscription_expiration_date,
        )
        confirmed = await self._charges.confirm(current_actor(), charge)
        return pb.ConfirmTelegramPaymentResponse(
            payment=payment_message(confirmed.payment), duplicate=confirmed.duplicate
        )

    @rpc(roles=STAFF, mutation=Idempotency.INLINE)  # its own record: Telegram is asked after a commit
    async def RefundTelegramPayment(
        self, request: pb.RefundTelegramPaymentRequest, context: Context
    ) -> pb.RefundTelegramPaymentResponse:
        key = idempotency_key(REFUND_TELEGRAM, request)
        payment = await self._refunds.refund(current_actor(), key, request.payment_id, request.reason, request.actor)
        return pb.RefundTelegramPaymentResponse(payment=payment_message(payment))
