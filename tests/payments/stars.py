"""Helpers of the Telegram Stars tests: a shop whose bot takes Stars (against a fake Bot API), and
the calls the bot gateway makes on invoice, pre_checkout_query and successful_payment."""

from __future__ import annotations

from sdk import BillingHubClient
from sdk.billinghub.v1 import payment_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.hub import Hub, TenantHandle
from tests.money import money, new_user
from tests.payments.shop import gateway
from tests.providers.fakes.telegram import TOKEN, FakeTelegramBotApi

MONTH = 2_592_000  # Telegram's only subscription period, in seconds


async def stars_shop(
    hub: Hub, bot_api: FakeTelegramBotApi, name: str, *, bot_token: str = TOKEN
) -> tuple[TenantHandle, str, BillingHubClient]:
    """A tenant whose bot takes Stars (1 to 1 000 000 XTR), one user, and the bot gateway's client."""
    shop = await (hub.new_tenant(name, bot_token=bot_token) if bot_token else hub.new_tenant(name))
    limit = payment_pb2.PaymentLimit(asset="XTR", min_minor=1, max_minor=1_000_000)
    config = payment_pb2.ProviderConfig(
        provider="telegram_stars",
        enabled=True,
        title={"en": "Telegram Stars"},
        limits=[limit],
        base_url=bot_api.base_url,
    )
    await shop.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config))
    return shop, await new_user(shop), await gateway(hub, shop)


async def invoice(
    bot: BillingHubClient, user: str, *, order: str = "", stars: int = 0, **fields: object
) -> pb.CreateStarsInvoiceResponse:
    request = pb.CreateStarsInvoiceRequest(user_id=user, order_id=order, **fields)  # type: ignore[arg-type]
    if stars:
        request.amount.CopyFrom(money(stars, "XTR"))
    return await bot.payments.CreateStarsInvoice(request)


async def pre_checkout(
    bot: BillingHubClient, user: str, payload: str, total: int, currency: str = "XTR"
) -> pb.ValidatePreCheckoutResponse:
    request = pb.ValidatePreCheckoutRequest(user_id=user, payload=payload, currency=currency, total_amount=total)
    return await bot.payments.ValidatePreCheckout(request)


async def confirm(
    bot: BillingHubClient, user: str, payload: str, total: int, charge: str, currency: str = "XTR", **flags: object
) -> pb.ConfirmTelegramPaymentResponse:
    """What the gateway sends on a successful_payment."""
    request = pb.ConfirmTelegramPaymentRequest(
        user_id=user,
        payload=payload,
        currency=currency,
        total_amount=total,
        telegram_payment_charge_id=charge,
        **flags,  # type: ignore[arg-type]
    )
    return await bot.payments.ConfirmTelegramPayment(request)


async def payment(shop: TenantHandle, payment_id: str) -> payment_pb2.Payment:
    return (await shop.admin.payments.GetPayment(pb.GetPaymentRequest(payment_id=payment_id))).payment


async def user_payments(shop: TenantHandle, user: str) -> list[payment_pb2.Payment]:
    return list((await shop.admin.payments.ListPayments(pb.ListPaymentsRequest(user_id=user))).payments)
