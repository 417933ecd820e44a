"""Helpers of the tenant-wide read tests: per family of records a user owns (top-up requests,
payout requests, payments, subscriptions, transfers), how to make one for a user and how a client
lists them and reads one by id, so one story runs against every family."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sdk import BillingHubClient
from sdk.billinghub.v1 import package_pb2, topup_pb2
from sdk.billinghub.v1 import payment_service_pb2 as payments
from sdk.billinghub.v1 import referral_service_pb2 as referrals
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions
from sdk.billinghub.v1 import topup_service_pb2 as topups
from sdk.billinghub.v1 import wallet_service_pb2 as wallets
from tests.bots_core.bots import P
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.commerce.orders import create_order, pay
from tests.commerce.referrals import buy, join, set_program
from tests.hub import TenantHandle
from tests.money import fund, money, new_user
from tests.payments.shop import open_topup, set_testpay

# (shop) -> [(user id, id of one record of that user)] for two users
Make = Callable[[TenantHandle], Awaitable[list[tuple[str, str]]]]
Lister = Callable[[BillingHubClient, str], Awaitable[list[str]]]
Getter = Callable[[BillingHubClient, str, str], Awaitable[str]]


@dataclass(frozen=True)
class Family:
    """One list RPC (and its by-id read, if any) and the bot admin permission it needs naming no user."""

    name: str
    permission: int
    permission_name: str
    make: Make
    list_ids: Lister
    get_id: Getter | None = None
    not_found: str = ""  # the reason of another user's record read by id

    def __str__(self) -> str:
        return self.name


CARD = topup_pb2.TopupMethod(code="card", title={"en": "Card"}, instructions={"en": "Send"}, active=True)


async def two_topup_requests(shop: TenantHandle) -> list[tuple[str, str]]:
    await ensure_rub(shop)
    await shop.admin.topups.SetTopupMethods(topups.SetTopupMethodsRequest(methods=[CARD]))
    made = []
    for external in ("11", "12"):
        user = await new_user(shop, external)
        request = topups.CreateTopupRequestRequest(
            user_id=user, method_code="card", amount=money(10_000, "RUB"), receipt="https://example.com/r.jpg"
        )
        made.append((user, (await shop.admin.topups.CreateTopupRequest(request)).topup_request.id))
    return made


async def two_payout_requests(shop: TenantHandle) -> list[tuple[str, str]]:
    await set_program(shop, level_rates_bps=[1000], payout_asset="XTR", min_payout_minor=5)
    made = []
    for affiliate_id, buyer_id in (("11", "21"), ("12", "22")):
        affiliate, code = await join(shop, affiliate_id)
        buyer, _ = await join(shop, buyer_id, code)
        await buy(shop, buyer, 1000)
        request = referrals.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=10, destination="bc1qexample")
        made.append((affiliate, (await shop.admin.referrals.CreatePayoutRequest(request)).payout_request.id))
    return made


async def two_payments(shop: TenantHandle) -> list[tuple[str, str]]:
    await ensure_rub(shop)
    await set_testpay(shop)
    made = []
    for external in ("11", "12"):
        user = await new_user(shop, external)
        made.append((user, (await open_topup(shop, user, 50_000)).id))
    return made


async def two_subscriptions(shop: TenantHandle) -> list[tuple[str, str]]:
    package = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="pro", period_days=30
    )
    made = []
    for external in ("11", "12"):
        user = await new_user(shop, external)
        await fund(shop, user, 100, "XTR")
        await pay(shop, (await create_order(shop, user, package.id)).id)
        listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions.ListSubscriptionsRequest(user_id=user))
        made.append((user, listed.subscriptions[0].id))
    return made


async def two_transfers(shop: TenantHandle) -> list[tuple[str, str]]:
    made = []
    for external in ("11", "12"):
        user = await new_user(shop, external)
        await fund(shop, user, 100)
        listed = await shop.admin.wallet.ListTransfers(wallets.ListTransfersRequest(user_id=user))
        made.append((user, listed.transfers[0].id))
    return made


async def list_topups(client: BillingHubClient, user: str) -> list[str]:
    found = await client.topups.ListTopupRequests(topups.ListTopupRequestsRequest(user_id=user))
    return [r.id for r in found.topup_requests]


async def get_topup(client: BillingHubClient, record: str, user: str) -> str:
    request = topups.GetTopupRequestRequest(topup_request_id=record, user_id=user)
    return str((await client.topups.GetTopupRequest(request)).topup_request.id)


async def list_payouts(client: BillingHubClient, user: str) -> list[str]:
    found = await client.referrals.ListPayoutRequests(referrals.ListPayoutRequestsRequest(user_id=user))
    return [r.id for r in found.payout_requests]


async def list_payments(client: BillingHubClient, user: str) -> list[str]:
    found = await client.payments.ListPayments(payments.ListPaymentsRequest(user_id=user))
    return [p.id for p in found.payments]


async def get_payment(client: BillingHubClient, record: str, user: str) -> str:
    request = payments.GetPaymentRequest(payment_id=record, user_id=user)
    return str((await client.payments.GetPayment(request)).payment.id)


async def check_payment(client: BillingHubClient, record: str, user: str) -> str:
    """CheckPayment answers with the payment, so it is a by-id read too (and asks the provider)."""
    request = payments.CheckPaymentRequest(payment_id=record, user_id=user)
    return str((await client.payments.CheckPayment(request)).payment.id)


async def list_subscriptions(client: BillingHubClient, user: str) -> list[str]:
    found = await client.subscriptions.ListSubscriptions(subscriptions.ListSubscriptionsRequest(user_id=user))
    return [s.id for s in found.subscriptions]


async def get_subscription(client: BillingHubClient, record: str, user: str) -> str:
    request = subscriptions.GetSubscriptionRequest(subscription_id=record, user_id=user)
    return str((await client.subscriptions.GetSubscription(request)).subscription.id)


async def list_transfers(client: BillingHubClient, user: str) -> list[str]:
    found = await client.wallet.ListTransfers(wallets.ListTransfersRequest(user_id=user))
    return [t.id for t in found.transfers]


FAMILIES = [
    Family(
        "ListTopupRequests", P.ADMIN_PERMISSION_QUEUES, "queues", two_topup_requests, list_topups, get_topup,
        "TOPUP_REQUEST_NOT_FOUND",
    ),
    Family("ListPayoutRequests", P.ADMIN_PERMISSION_QUEUES, "queues", two_payout_requests, list_payouts),
    Family(
        "ListPayments", P.ADMIN_PERMISSION_REFUNDS, "refunds", two_payments, list_payments, get_payment,
        "PAYMENT_NOT_FOUND",
    ),
    Family(
        "ListSubscriptions", P.ADMIN_PERMISSION_USERS, "users", two_subscriptions, list_subscriptions,
        get_subscription, "SUBSCRIPTION_NOT_FOUND",
    ),
    Family("ListTransfers", P.ADMIN_PERMISSION_ADJUST, "adjust", two_transfers, list_transfers),
]  # fmt: skip
CHECK_PAYMENT = Family(
    "CheckPayment",
    P.ADMIN_PERMISSION_REFUNDS,
    "refunds",
    two_payments,
    list_payments,
    check_payment,
    "PAYMENT_NOT_FOUND",
)
BY_ID = [family for family in FAMILIES if family.get_id is not None] + [CHECK_PAYMENT]
