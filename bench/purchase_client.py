"""The load client of bench/purchase.py: keeps N operations of one variant in flight against a core.

A separate process, as bench/ledger_client.py is (and for the same reasons: the core's CPU is the
core's alone; raw generated stubs of the `sdk` package on a plain grpc.aio channel, no client
interceptors). What it calls, per variant, comes from the setup file bench/purchase.py writes
(`--setup`: the users, the package, the pending top-up requests, the promo codes). Every mutation
has a fresh request_id. The window protocol with the orchestrator is bench/_loadgen.py's.

Run on its own (`make bench` runs every bench/*.py) it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._loadgen import CALL_TIMEOUT_SECONDS, Exhausted, Operation, StepFailed, channel, drive
from sdk.billinghub.v1 import (
    catalog_service_pb2,
    catalog_service_pb2_grpc,
    common_pb2,
    order_service_pb2,
    order_service_pb2_grpc,
    promo_service_pb2,
    promo_service_pb2_grpc,
    referral_service_pb2,
    referral_service_pb2_grpc,
    subscription_service_pb2,
    subscription_service_pb2_grpc,
    topup_service_pb2,
    topup_service_pb2_grpc,
    user_service_pb2,
    user_service_pb2_grpc,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)

# What one successful operation of each variant adds to ledger_transfers (bench/purchase.py checks it).
TRANSFERS_PER_OP = {
    "purchase_one_call": 2,  # the payment (XTR to revenue) and the delivery (TOKEN to the buyer)
    "purchase_two_calls": 2,
    "purchase_subscription": 1,  # the payment (XTR to revenue): the plan's period is rows, not money
    "purchase_referred": 4,  # the payment, the commissions of both levels, the delivery
    "purchase_promo": 2,  # the discounted payment and the delivery
    "adjust_balance": 1,
    "approve_topup": 1,
    "redeem_promo": 1,
    "charge_usage": 1,
    "hold_create": 0,  # a reservation only
    "hold_capture": 1,  # the wallet to revenue, out of the hold
    "refund": 2,  # the price back to the buyer (XTR), the delivered tokens back to `issued` (TOKEN)
    "payout_request": 0,  # a hold on the referrer's wallet
    "get_balances": 0,
    "get_user": 0,
    "find_user": 0,
    "list_packages": 0,
    "list_entitlements": 0,
    "get_referral_stats": 0,
    "register_new": 0,  # a user and its event, no money
    "register_returning": 0,
    "health": 0,
    "health_keyed": 0,
}
VARIANTS = tuple(TRANSFERS_PER_OP)


def fresh_id() -> str:
    return uuid.uuid4().hex


class Caller:
    """Builds the operation of a variant: one coroutine function that makes one op's calls."""

    def __init__(self, opened: grpc.aio.Channel, key: str, setup: dict[str, Any]) -> None:
        self.metadata = (("authorization", f"Bearer {key}"),)
        self.users: list[str] = setup["users"]
        self.setup = setup
        self.orders = order_service_pb2_grpc.OrderServiceStub(opened)
        self.wallet = wallet_service_pb2_grpc.WalletServiceStub(opened)
        self.topups = topup_service_pb2_grpc.TopupRequestServiceStub(opened)
        self.promos = promo_service_pb2_grpc.PromoServiceStub(opened)
        self.user_service = user_service_pb2_grpc.UserServiceStub(opened)
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(opened)
        self.subscriptions = subscription_service_pb2_grpc.SubscriptionServiceStub(opened)
        self.referrals = referral_service_pb2_grpc.ReferralServiceStub(opened)
        self.health = health_pb2_grpc.HealthStub(opened)

    async def call(self, method: Any, request: Any) -> Any:
        return await method(request, metadata=self.metadata, timeout=CALL_TIMEOUT_SECONDS)

    def user(self) -> str:
        return random.choice(self.users)

    def operation(self, variant: str) -> Operation:
        builders: dict[str, Callable[[], Operation]] = {
            "purchase_one_call": self.purchase_one_call,
            "purchase_two_calls": self.purchase_two_calls,
            "purchase_subscription": self.purchase_subscription,
            "purchase_referred": self.purchase_referred,
            "purchase_promo": self.purchase_promo,
            "adjust_balance": self.adjust_balance,
            "approve_topup": self.approve_topup,
            "redeem_promo": self.redeem_promo,
            "charge_usage": self.charge_usage,
            "hold_create": self.hold_create,
            "hold_capture": self.hold_capture,
            "refund": self.refund,
            "payout_request": self.payout_request,
            "get_balances": self.get_balances,
            "get_user": self.get_user,
            "find_user": self.find_user,
            "list_packages": self.list_packages,
            "list_entitlements": self.list_entitlements,
            "get_referral_stats": self.get_referral_stats,
            "register_new": self.register_new,
            "register_returning": self.register_returning,
            "health": self.health_check,
            "health_keyed": self.health_check_keyed,
        }
        return builders[variant]()

    def purchase_one_call(self) -> Operation:
        package = self.setup["package_id"]

        async def op() -> object:
            request = order_service_pb2.PurchaseFromWalletRequest(
                request_id=fresh_id(), user_id=self.user(), package_id=package
            )
            return await self.call(self.orders.PurchaseFromWallet, request)

        return op

    def purchase_subscription(self) -> Operation:
        """PurchaseFromWallet of the bench plan: a user's first purchase starts it, later ones extend it."""
        package = self.setup["subscription_package_id"]

        async def op() -> object:
            request = order_service_pb2.PurchaseFromWalletRequest(
                request_id=fresh_id(), user_id=self.user(), package_id=package
            )
            return await self.call(self.orders.PurchaseFromWallet, request)

        return op

    def purchase_two_calls(self) -> Operation:
        package = self.setup["package_id"]

        async def op() -> object:
            create = order_service_pb2.CreateOrderRequest(
                request_id=fresh_id(), user_id=self.user(), package_id=package
            )
            try:
                order = (await self.call(self.orders.CreateOrder, create)).order
            except grpc.aio.AioRpcError as error:
                raise StepFailed(f"CreateOrder:{error.code().name}") from error
            pay = order_service_pb2.PayOrderFromWalletRequest(request_id=fresh_id(), order_id=order.id)
            try:
                return await self.call(self.orders.PayOrderFromWallet, pay)
            except grpc.aio.AioRpcError as error:
                raise StepFailed(f"PayOrderFromWallet:{error.code().name}") from error

        return op

    def purchase_referred(self) -> Operation:
        """PurchaseFromWallet by buyers with two levels of referrers, of a pack their commissions
        are whole minor units of."""
        package, buyers = self.setup["priced_package_id"], self.setup["referred_users"]

        async def op() -> object:
            request = order_service_pb2.PurchaseFromWalletRequest(
                request_id=fresh_id(), user_id=random.choice(buyers), package_id=package
            )
            return await self.call(self.orders.PurchaseFromWallet, request)

        return op

    def purchase_promo(self) -> Operation:
        """PurchaseFromWallet with a discount code (call n uses code n % codes)."""
        package, codes = self.setup["priced_package_id"], self.setup["discount_codes"]
        counter = itertools.count()

        async def op() -> object:
            code = codes[next(counter) % len(codes)]
            request = order_service_pb2.PurchaseFromWalletRequest(
                request_id=fresh_id(), user_id=self.user(), package_id=package, promo_code=code
            )
            return await self.call(self.orders.PurchaseFromWallet, request)

        return op

    def adjust_balance(self) -> Operation:
        amount = common_pb2.Money(asset="TOKEN", amount_minor=1)

        async def op() -> object:
            request = wallet_service_pb2.AdjustBalanceRequest(
                request_id=fresh_id(),
                user_id=self.user(),
                amount=amount,
                direction=wallet_service_pb2.TRANSFER_DIRECTION_CREDIT,
                reason="bench adjustment",
                actor="bench",
            )
            return await self.call(self.wallet.AdjustBalance, request)

        return op

    def approve_topup(self) -> Operation:
        pending = iter(self.setup["topup_requests"])

        async def op() -> object:
            topup_request_id = next(pending, None)
            if topup_request_id is None:
                raise Exhausted
            request = topup_service_pb2.ApproveTopupRequestRequest(
                request_id=fresh_id(), topup_request_id=topup_request_id, actor="admin:bench"
            )
            return await self.call(self.topups.ApproveTopupRequest, request)

        return op

    def redeem_promo(self) -> Operation:
        """Pair n is code n % K with user n // K: every pair is redeemed once (a valid redemption,
        per-user limit 1), and calls in flight at once are spread over the K codes."""
        codes: list[str] = self.setup["promo_codes"]
        pairs = len(codes) * len(self.users)
        counter = itertools.count()

        async def op() -> object:
            n = next(counter)
            if n >= pairs:
                raise Exhausted
            code, user = codes[n % len(codes)], self.users[n // len(codes)]
            request = promo_service_pb2.RedeemPromoCodeRequest(request_id=fresh_id(), user_id=user, code=code)
            return await self.call(self.promos.RedeemPromoCode, request)

        return op

    def charge_usage(self) -> Operation:
        amount = common_pb2.Money(asset="TOKEN", amount_minor=1)

        async def op() -> object:
            request = wallet_service_pb2.ChargeUsageRequest(
                request_id=fresh_id(), user_id=self.user(), amount=amount, reference="bench"
            )
            return await self.call(self.wallet.ChargeUsage, request)

        return op

    def hold_create(self) -> Operation:
        amount = common_pb2.Money(asset="TOKEN", amount_minor=1)

        async def op() -> object:
            request = wallet_service_pb2.CreateHoldRequest(
                request_id=fresh_id(), user_id=self.user(), amount=amount, reference="bench"
            )
            return await self.call(self.wallet.CreateHold, request)

        return op

    def hold_capture(self) -> Operation:
        """Each prepared hold (1 TOKEN) captured whole, once."""
        pending = iter(self.setup["holds"])

        async def op() -> object:
            hold_id = next(pending, None)
            if hold_id is None:
                raise Exhausted
            request = wallet_service_pb2.CaptureHoldRequest(request_id=fresh_id(), hold_id=hold_id)
            return await self.call(self.wallet.CaptureHold, request)

        return op

    def refund(self) -> Operation:
        """Each prepared order (a token pack bought from the wallet) refunded whole, once."""
        pending = iter(self.setup["orders"])

        async def op() -> object:
            order_id = next(pending, None)
            if order_id is None:
                raise Exhausted
            request = order_service_pb2.RefundOrderRequest(
                request_id=fresh_id(), order_id=order_id, reason="bench refund", actor="admin:bench"
            )
            return await self.call(self.orders.RefundOrder, request)

        return op

    def payout_request(self) -> Operation:
        async def op() -> object:
            request = referral_service_pb2.CreatePayoutRequestRequest(
                request_id=fresh_id(), user_id=self.user(), amount_minor=1, destination="bench"
            )
            return await self.call(self.referrals.CreatePayoutRequest, request)

        return op

    def get_balances(self) -> Operation:
        async def op() -> object:
            return await self.call(self.wallet.GetBalances, wallet_service_pb2.GetBalancesRequest(user_id=self.user()))

        return op

    def get_user(self) -> Operation:
        async def op() -> object:
            return await self.call(self.user_service.GetUser, user_service_pb2.GetUserRequest(user_id=self.user()))

        return op

    def find_user(self) -> Operation:
        external_ids: list[str] = self.setup["external_ids"]

        async def op() -> object:
            request = user_service_pb2.FindUserRequest(
                platform=common_pb2.PLATFORM_TELEGRAM, external_id=random.choice(external_ids)
            )
            return await self.call(self.user_service.FindUser, request)

        return op

    def register_new(self) -> Operation:
        """A bot's /start of somebody new: RegisterUser of an identity never seen (a fresh id per call)."""

        async def op() -> object:
            request = user_service_pb2.RegisterUserRequest(
                platform=common_pb2.PLATFORM_TELEGRAM, external_id=f"new-{fresh_id()}", first_name="New"
            )
            return await self.call(self.user_service.RegisterUser, request)

        return op

    def register_returning(self) -> Operation:
        """The same /start of a seeded user, whose profile has not changed: found, nothing written."""
        external_ids: list[str] = self.setup["external_ids"]

        async def op() -> object:
            request = user_service_pb2.RegisterUserRequest(
                platform=common_pb2.PLATFORM_TELEGRAM, external_id=random.choice(external_ids)
            )
            return await self.call(self.user_service.RegisterUser, request)

        return op

    def list_packages(self) -> Operation:
        request = catalog_service_pb2.ListPackagesRequest(active_only=True)

        async def op() -> object:
            return await self.call(self.catalog.ListPackages, request)

        return op

    def list_entitlements(self) -> Operation:
        async def op() -> object:
            request = subscription_service_pb2.ListEntitlementsRequest(user_id=self.user())
            return await self.call(self.subscriptions.ListEntitlements, request)

        return op

    def get_referral_stats(self) -> Operation:
        async def op() -> object:
            request = referral_service_pb2.GetReferralStatsRequest(user_id=self.user())
            return await self.call(self.referrals.GetReferralStats, request)

        return op

    def health_check(self) -> Operation:
        request = health_pb2.HealthCheckRequest()

        async def op() -> object:
            return await self.health.Check(request, timeout=CALL_TIMEOUT_SECONDS)

        return op

    def health_check_keyed(self) -> Operation:
        """The health check with the authorization header every other variant sends: the
        transport's cost of an authenticated call (the core ignores the key on health)."""
        request = health_pb2.HealthCheckRequest()

        async def op() -> object:
            return await self.call(self.health.Check, request)

        return op


async def run(args: argparse.Namespace, setup: dict[str, Any]) -> dict[str, Any]:
    async with channel(args.target) as opened:
        await asyncio.wait_for(opened.channel_ready(), 10)
        operation = Caller(opened, args.key, setup).operation(args.variant)
        summary = await drive(operation, args.concurrency, args.warmup, args.seconds)
    return {**summary, "variant": args.variant, "users": len(setup["users"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="host:port of the core (loopback)")
    parser.add_argument("--key", help="a tenant_admin API key of the bench tenant")
    parser.add_argument("--setup", help="the JSON file bench/purchase.py wrote (users, package, ...)")
    parser.add_argument("--variant", choices=VARIANTS, default="purchase_one_call")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    if not args.target or not args.key or not args.setup:
        print("bench/purchase_client.py is the load client of bench/purchase.py; run that instead.")
        return
    if not 1 <= args.concurrency <= 10_000 or not 0 < args.seconds <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("concurrency 1..10000, seconds 0..3600, warmup 0..600")
    setup = json.loads(Path(args.setup).read_text())
    print(json.dumps(asyncio.run(run(args, setup))), flush=True)


if __name__ == "__main__":
    main()
