"""The admin's `blocked` flag, enforced: a blocked user cannot create or pay orders, buy in one
call, redeem a promo code, ask for a top-up or a payout (FAILED_PRECONDITION, USER_BLOCKED), on
the ORM path and on the fast path alike, and nothing of theirs changes; staff still settle the
user's account (adjust, refund, decide requests); unblocked, the user buys again. Only a tenant
admin (or the platform) sets the flag: a gateway key may not."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import field_mask_pb2

from core_server.api import order_servicer
from core_server.domain.orders.payment import OrderPayments
from core_server.domain.promos.codes import PromoCodeService
from core_server.domain.referrals import payout_fast
from sdk import FailedPrecondition, PermissionDenied
from sdk.billinghub.v1 import order_pb2, tenant_pb2, topup_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import referral_service_pb2 as referral_pb
from sdk.billinghub.v1 import topup_service_pb2 as topup_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import ensure_rub, token_pack
from tests.commerce.orders import create_order
from tests.commerce.promos import all_codes, credit_code, redeem
from tests.commerce.referrals import buy, join, set_program
from tests.fast_paths import PATHS, take_path
from tests.hub import Hub, TenantHandle
from tests.money import CREDIT, assert_ledger_ok, balance, fund, money

FAST = [
    (OrderPayments, "purchase_fast"),
    (OrderPayments, "pay_fast"),
    (order_servicer, "create_fast"),
    (PromoCodeService, "redeem_fast"),
    (payout_fast, "create"),
]
CARD = topup_pb2.TopupMethod(code="card", title={"en": "Card"}, instructions={"en": "Send to 2200"}, active=True)


async def set_blocked(shop: TenantHandle, user: str, blocked: bool) -> None:
    mask = field_mask_pb2.FieldMask(paths=["blocked"])
    await shop.admin.users.UpdateUser(users_pb.UpdateUserRequest(user_id=user, blocked=blocked, update_mask=mask))


async def state(shop: TenantHandle, user: str) -> dict[str, Any]:
    """What the user has and has asked for: balances, orders, transfers, code uses, requests."""
    admin = shop.admin
    balances = await admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=user))
    return {
        "balances": list(balances.balances),
        "orders": list((await admin.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=user))).orders),
        "transfers": list((await admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(page_size=500))).transfers),
        "codes": {code: promo.used_count for code, promo in (await all_codes(shop)).items()},
        "topups": list(
            (await admin.topups.ListTopupRequests(topup_pb.ListTopupRequestsRequest(user_id=user))).topup_requests
        ),
        "payouts": list(
            (
                await admin.referrals.ListPayoutRequests(referral_pb.ListPayoutRequestsRequest(user_id=user))
            ).payout_requests
        ),
    }


async def blocked_affiliate(hub: Hub, name: str) -> tuple[TenantHandle, str, str, order_pb2.Order]:
    """A shop with a token pack, a credit code and a top-up method, and a user who earned 100 XTR
    of commission, holds 100 XTR, ordered a pack (still pending) and was then blocked. Returns
    (shop, user, pack id, the pending order)."""
    shop = await hub.new_tenant(name)
    await ensure_rub(shop)
    await shop.admin.topups.SetTopupMethods(topup_pb.SetTopupMethodsRequest(methods=[CARD]))
    await set_program(shop, level_rates_bps=[1000], payout_asset="XTR", min_payout_minor=5)
    user, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 1000)
    pack = await token_pack(shop, stars=10, tokens=100)
    await fund(shop, user, 100, "XTR")
    await credit_code(shop, "WELCOME")
    await fund(shop, buyer, 10, "XTR")  # a purchase of the pack warms the fast path's caches
    await shop.admin.orders.PurchaseFromWallet(orders_pb.PurchaseFromWalletRequest(user_id=buyer, package_id=pack.id))
    pending = await create_order(shop, user, pack.id)
    await set_blocked(shop, user, True)
    return shop, user, pack.id, pending


def refusals(shop: TenantHandle, user: str, pack: str, pending: str) -> dict[str, Any]:
    """Every call a user makes for themselves that moves money or asks for it (unawaited)."""
    admin = shop.admin
    return {
        "PurchaseFromWallet": lambda: admin.orders.PurchaseFromWallet(
            orders_pb.PurchaseFromWalletRequest(user_id=user, package_id=pack)
        ),
        "CreateOrder": lambda: admin.orders.CreateOrder(orders_pb.CreateOrderRequest(user_id=user, package_id=pack)),
        "PayOrderFromWallet": lambda: admin.orders.PayOrderFromWallet(
            orders_pb.PayOrderFromWalletRequest(order_id=pending)
        ),
        "RedeemPromoCode": lambda: redeem(shop, user, "WELCOME"),
        "CreatePayoutRequest": lambda: admin.referrals.CreatePayoutRequest(
            referral_pb.CreatePayoutRequestRequest(user_id=user, amount_minor=50, destination="bc1qexample")
        ),
        "CreateTopupRequest": lambda: admin.topups.CreateTopupRequest(
            topup_pb.CreateTopupRequestRequest(user_id=user, method_code="card", amount=money(50_000, "RUB"))
        ),
    }


@PATHS
@pytest.mark.parametrize(
    "call",
    [
        "PurchaseFromWallet",
        "CreateOrder",
        "PayOrderFromWallet",
        "RedeemPromoCode",
        "CreatePayoutRequest",
        "CreateTopupRequest",
    ],
)
async def test_a_blocked_user_is_refused_and_nothing_changes(
    hub: Hub, path: str, call: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user, pack, pending = await blocked_affiliate(hub, f"Blocked {call} {path}")
    before = await state(shop, user)
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    with pytest.raises(FailedPrecondition) as caught:
        await refusals(shop, user, pack, pending.id)[call]()
    assert (caught.value.reason, caught.value.metadata["user_id"]) == ("USER_BLOCKED", user)
    if path == "fast" and call != "CreateTopupRequest":  # (a top-up request has no fast path)
        assert opened["write"] == 0, "the fast path refused by itself, from the row it reads anyway"
    assert await state(shop, user) == before
    await assert_ledger_ok(shop)


def posted(wallets: dict[str, Any], asset: str) -> tuple[int, int]:
    found = next((b for b in wallets["balances"] if b.posted.asset == asset or b.held.asset == asset), None)
    return (found.posted.amount_minor, found.held.amount_minor) if found is not None else (0, 0)


@PATHS
async def test_unblocked_the_user_buys_redeems_and_asks_again(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user, pack, pending = await blocked_affiliate(hub, f"Unblocked {path}")
    await set_blocked(shop, user, False)
    before = await state(shop, user)
    take_path(path, monkeypatch, hub.deps, FAST)
    answers = refusals(shop, user, pack, pending.id)
    for name in answers:  # each succeeds now, in the order a user might make them
        await answers[name]()
    after = await state(shop, user)
    xtr, tokens = posted(before, "XTR"), posted(before, "TOKEN")
    assert posted(after, "XTR") == (xtr[0] - 2 * 10, xtr[1] + 50)  # two packs paid, a payout held
    assert posted(after, "TOKEN") == (tokens[0] + 2 * 100 + 500, 0)  # two packs, the credit code
    assert len(after["orders"]) == len(before["orders"]) + 2 and len(after["topups"]) == 1
    await assert_ledger_ok(shop)


async def test_staff_still_settle_a_blocked_users_account(hub: Hub) -> None:
    shop, user, pack, _pending = await blocked_affiliate(hub, "Blocked but settled")
    admin = shop.admin
    await set_blocked(shop, user, False)
    paid = await admin.orders.PurchaseFromWallet(orders_pb.PurchaseFromWalletRequest(user_id=user, package_id=pack))
    asked = await admin.topups.CreateTopupRequest(
        topup_pb.CreateTopupRequestRequest(user_id=user, method_code="card", amount=money(50_000, "RUB"))
    )
    await set_blocked(shop, user, True)
    stars = (await balance(admin, user, "XTR")).posted.amount_minor
    await admin.wallet.AdjustBalance(
        wallet_pb.AdjustBalanceRequest(
            user_id=user, amount=money(7, "XTR"), direction=CREDIT, reason="goodwill", actor="tg:1"
        )
    )
    refunded = await admin.orders.RefundOrder(
        orders_pb.RefundOrderRequest(order_id=paid.order.id, reason="fraud check", actor="tg:1")
    )
    assert refunded.order.status == order_pb2.ORDER_STATUS_REFUNDED
    approved = await admin.topups.ApproveTopupRequest(
        topup_pb.ApproveTopupRequestRequest(topup_request_id=asked.topup_request.id, actor="tg:1")
    )
    assert approved.topup_request.status == topup_pb2.TOPUP_REQUEST_STATUS_APPROVED
    assert (await balance(admin, user, "RUB")).posted.amount_minor == 50_000
    assert (await balance(admin, user, "XTR")).posted.amount_minor == stars + 7 + 10  # adjusted, refunded
    assert (await admin.users.GetUser(users_pb.GetUserRequest(user_id=user))).user.blocked
    await assert_ledger_ok(shop)


async def test_only_staff_block_a_gateway_only_for_a_bot_admin(hub: Hub) -> None:
    shop = await hub.new_tenant("Who blocks")
    user, _ = await join(shop, "1")
    mask = field_mask_pb2.FieldMask(paths=["blocked"])
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots"), shop.id)
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    for client, reason in ((gateway, "ADMIN_REQUIRED"), (partner, "ROLE_NOT_ALLOWED")):
        with pytest.raises(PermissionDenied) as caught:  # a gateway key alone is no admin
            await client.users.UpdateUser(users_pb.UpdateUserRequest(user_id=user, blocked=True, update_mask=mask))
        assert caught.value.reason == reason
    assert not (await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id=user))).user.blocked
    renamed = await gateway.users.UpdateUser(
        users_pb.UpdateUserRequest(
            user_id=user, username="ann", update_mask=field_mask_pb2.FieldMask(paths=["username"])
        )
    )
    assert renamed.user.username == "ann"  # the gateway still keeps profiles current
    platform = hub.client(hub.platform_key, shop.id)
    blocked = await platform.users.UpdateUser(users_pb.UpdateUserRequest(user_id=user, blocked=True, update_mask=mask))
    assert blocked.user.blocked
