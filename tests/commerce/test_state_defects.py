"""Money lost in state combinations, and races that answered INTERNAL: each found from outside,
each a story here (issue "Core, reshaped and hardened", defects 1-5, 7 and 8)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import fulfillment_pb2, order_pb2, package_pb2, referral_pb2, wallet_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as tasks_pb
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import referral_service_pb2 as referrals_pb
from sdk.billinghub.v1 import subscription_service_pb2 as subs_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_events
from tests.commerce.referrals import amounts, buy, join, set_program, stats
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, money, new_user

STARS = package_pb2.PACKAGE_KIND_TELEGRAM_STARS


async def _order(shop: TenantHandle, order_id: str) -> order_pb2.Order:
    return (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order_id))).order


async def _refund(shop: TenantHandle, order_id: str, amount: int | None = None) -> orders_pb.RefundOrderResponse:
    request = orders_pb.RefundOrderRequest(order_id=order_id, reason="support", actor="tg:1")
    if amount is not None:
        request.amount_minor = amount
    return await shop.admin.orders.RefundOrder(request)


async def _entitlements(shop: TenantHandle, user: str) -> list[str]:
    listed = await shop.admin.subscriptions.ListEntitlements(subs_pb.ListEntitlementsRequest(user_id=user))
    return [e.code for e in listed.entitlements]


async def test_full_refund_of_a_cancelled_plan_ends_it(hub: Hub) -> None:
    """Defect 1: cancelling only stops renewal; a full refund must still take the period back."""
    shop = await hub.new_tenant("Cancelled club")
    user = await new_user(shop)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="vip", period_days=30
    )
    await fund(shop, user, 100, "XTR")
    order = await create_order(shop, user, plan.id)
    await pay(shop, order.id)
    [subscription] = (
        await shop.admin.subscriptions.ListSubscriptions(subs_pb.ListSubscriptionsRequest(user_id=user))
    ).subscriptions
    await shop.admin.subscriptions.CancelSubscription(
        subs_pb.CancelSubscriptionRequest(subscription_id=subscription.id)
    )
    assert await _entitlements(shop, user) == ["vip"]
    await _refund(shop, order.id)
    assert await _entitlements(shop, user) == []
    got = await shop.admin.subscriptions.GetSubscription(
        subs_pb.GetSubscriptionRequest(subscription_id=subscription.id)
    )
    assert got.subscription.end_time.ToDatetime(dt.UTC) <= dt.datetime.now(dt.UTC)
    await assert_ledger_ok(shop)


async def _paid_stars_order(shop: TenantHandle, external_id: str = "1", quantity: int = 50) -> tuple[str, str]:
    user = await new_user(shop, external_id)
    stars = await stars_per_unit(shop)
    await fund(shop, user, 180 * quantity, "RUB")
    order = await create_order(shop, user, stars.id, quantity=quantity, recipient="gift_target")
    await pay(shop, order.id)
    return user, order.id


async def test_task_failing_for_good_after_a_partial_refund_refunds_the_rest(hub: Hub) -> None:
    """Defect 2: a partially refunded order whose delivery then fails gets the rest back."""
    shop = await hub.new_tenant("Partial then failed")
    user, order = await _paid_stars_order(shop)
    await _refund(shop, order, 1_000)
    assert (await _order(shop, order)).status == order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED
    [task] = (await shop.admin.fulfillment.LeaseTasks(tasks_pb.LeaseTasksRequest(kind=STARS))).tasks
    await shop.admin.fulfillment.FailTask(tasks_pb.FailTaskRequest(task_id=task.id, reason="USERNAME_NOT_FOUND"))
    got = await _order(shop, order)
    assert (got.status, got.refunded.amount_minor) == (order_pb2.ORDER_STATUS_REFUNDED, 9_000)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 9_000
    await assert_ledger_ok(shop)


async def test_lease_expiring_on_the_last_attempt_after_a_partial_refund_refunds_the_rest(
    clocked_hub: Hub, clock: FrozenClock
) -> None:
    """Defect 2, the other way a task fails for good: its last lease runs out."""
    shop = await clocked_hub.new_tenant("Partial then abandoned")
    user, order = await _paid_stars_order(shop)
    await _refund(shop, order, 1_000)
    for _attempt in range(5):
        leased = await shop.admin.fulfillment.LeaseTasks(tasks_pb.LeaseTasksRequest(kind=STARS, lease_seconds=60))
        assert len(leased.tasks) == 1
        clock.advance(dt.timedelta(seconds=61))
    assert list((await shop.admin.fulfillment.LeaseTasks(tasks_pb.LeaseTasksRequest(kind=STARS))).tasks) == []
    got = await _order(shop, order)
    assert (got.status, got.refunded.amount_minor) == (order_pb2.ORDER_STATUS_REFUNDED, 9_000)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 9_000
    await assert_ledger_ok(shop)


async def test_commission_lost_to_a_short_clawback_cannot_be_withdrawn(hub: Hub) -> None:
    """Defect 3: earnings net of the clawback shortfall, so a later deposit is not paid out as them."""
    shop = await hub.new_tenant("Shortfall")
    await set_program(shop, level_rates_bps=[5000], min_payout_minor=1)
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    order = await buy(shop, buyer, 200)  # a commission of 100 XTR
    await shop.admin.wallet.ChargeUsage(wallet_pb.ChargeUsageRequest(user_id=affiliate, amount=money(100, "XTR")))
    await _refund(shop, order)  # the clawback finds nothing: shortfall 100
    await fund(shop, affiliate, 100, "XTR")
    assert amounts((await stats(shop, affiliate)).withdrawable) == {"XTR": 0}
    with pytest.raises(FailedPrecondition):
        await shop.admin.referrals.CreatePayoutRequest(
            referrals_pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=100, destination="bc1qexample")
        )
    assert (await balance(shop.admin, affiliate, "XTR")).held.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_a_small_partial_refund_keeps_the_service_running(hub: Hub) -> None:
    """Defect 4: a 1-unit partial refund of a service order must not revoke the service."""
    shop = await hub.new_tenant("Service partial")
    await ensure_rub(shop)
    package = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(9_999, "RUB"), posts_per_day=2
    )
    user = await new_user(shop)
    await fund(shop, user, 9_999, "RUB")
    order = await create_order(shop, user, package.id)
    await pay(shop, order.id)
    await _refund(shop, order.id, 1)
    assert await _entitlements(shop, user) == [package.id]
    submitted = await shop.admin.orders.SubmitServiceInput(
        orders_pb.SubmitServiceInputRequest(order_id=order.id, url="https://t.me/channel/1", platform="telegram")
    )
    assert submitted.task.status == fulfillment_pb2.TASK_STATUS_QUEUED
    await _refund(shop, order.id)  # the rest: now the service ends
    assert await _entitlements(shop, user) == []
    await assert_ledger_ok(shop)


async def test_a_hold_whose_reference_looks_like_a_payout_is_still_the_callers(hub: Hub) -> None:
    """Defect 5: only real payout holds are decided through their payout request."""
    shop = await hub.new_tenant("Payout-looking holds")
    user = await new_user(shop)
    await fund(shop, user, 100)
    holds = []
    for reference in ("payout:123", "payout:"):
        created = await shop.admin.wallet.CreateHold(
            wallet_pb.CreateHoldRequest(user_id=user, amount=money(10), reference=reference)
        )
        holds.append(created.hold.id)
    captured = await shop.admin.wallet.CaptureHold(wallet_pb.CaptureHoldRequest(hold_id=holds[0], amount_minor=10))
    assert captured.hold.status == wallet_pb2.HOLD_STATUS_CAPTURED
    voided = await shop.admin.wallet.VoidHold(wallet_pb.VoidHoldRequest(hold_id=holds[1]))
    assert voided.hold.status == wallet_pb2.HOLD_STATUS_VOIDED
    await assert_ledger_ok(shop)


async def test_a_real_payout_hold_is_decided_only_through_its_request(hub: Hub) -> None:
    """Defect 5, the other side: the payout's own hold still refuses a direct capture."""
    shop = await hub.new_tenant("Payout holds")
    await set_program(shop, level_rates_bps=[5000], min_payout_minor=1)
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 200)
    payout = (
        await shop.admin.referrals.CreatePayoutRequest(
            referrals_pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=50, destination="bc1qexample")
        )
    ).payout_request
    [requested] = [json.loads(event.data) for event in await settled_events(shop, "referral.payout_requested")]
    assert requested["payout_request_id"] == payout.id
    for call in (
        shop.admin.wallet.VoidHold(wallet_pb.VoidHoldRequest(hold_id=requested["hold_id"])),
        shop.admin.wallet.CaptureHold(wallet_pb.CaptureHoldRequest(hold_id=requested["hold_id"])),
    ):
        with pytest.raises(FailedPrecondition) as caught:
            await call
        assert caught.value.reason == "HOLD_OF_PAYOUT"
    await assert_ledger_ok(shop)


def _decided(results: list[object]) -> None:
    """Every answer of a race is a decision: success or a FailedPrecondition, never INTERNAL."""
    for result in results:
        if isinstance(result, BaseException):
            assert isinstance(result, FailedPrecondition | InvalidArgument), repr(result)


async def test_refunds_racing_task_outcomes_decide_never_deadlock(hub: Hub) -> None:
    """Defect 7: RefundOrder against CompleteTask / FailTask on the same orders."""
    shop = await hub.new_tenant("Refund race")
    orders = [await _paid_stars_order(shop, str(n)) for n in range(8)]
    leased = (await shop.admin.fulfillment.LeaseTasks(tasks_pb.LeaseTasksRequest(kind=STARS, max_tasks=20))).tasks
    task_of = {task.order_id: task.id for task in leased}
    calls = []
    for index, (_user, order) in enumerate(orders):
        task = task_of[order]
        outcome = (
            shop.admin.fulfillment.CompleteTask(tasks_pb.CompleteTaskRequest(task_id=task))
            if index % 2
            else shop.admin.fulfillment.FailTask(tasks_pb.FailTaskRequest(task_id=task, reason="gone"))
        )
        calls += [_refund(shop, order), outcome]
    _decided(await asyncio.gather(*calls, return_exceptions=True))
    for user, order in orders:
        got = await _order(shop, order)
        assert got.refunded.amount_minor in (0, 9_000)
        assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == got.refunded.amount_minor
    await assert_ledger_ok(shop)


async def test_refunds_racing_the_referrer_spending_the_commission_always_refund(hub: Hub) -> None:
    """Defect 8: the clawback takes what is there under the wallet's lock; the refund never fails."""
    shop = await hub.new_tenant("Clawback race")
    await set_program(shop, level_rates_bps=[5000])
    pairs = []
    for n in range(8):
        affiliate, code = await join(shop, f"a{n}")
        buyer, _ = await join(shop, f"b{n}", code)
        pairs.append((affiliate, await buy(shop, buyer, 200)))
    calls = []
    for affiliate, order in pairs:
        spend = wallet_pb.ChargeUsageRequest(user_id=affiliate, amount=money(100, "XTR"))
        calls += [_refund(shop, order), shop.admin.wallet.ChargeUsage(spend)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    _decided(results)
    refunds = results[0::2]
    assert not [r for r in refunds if isinstance(r, BaseException)], refunds
    for affiliate, order in pairs:
        assert (await _order(shop, order)).status == order_pb2.ORDER_STATUS_REFUNDED
        assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_race_answers_are_sdk_errors(hub: Hub) -> None:
    """The decision helper itself fails on an unexpected error (so the race tests can fail)."""
    with pytest.raises(AssertionError):
        _decided([RuntimeError("INTERNAL")])


async def test_a_mixed_storm_on_shared_rows_always_decides(hub: Hub) -> None:
    """The lock order under every kind of money move at once: purchases that pay commissions and
    cross tiers (bonus posts), refunds that claw back, the referrers spending, admin adjustments of
    the same wallets. Every answer is a decision, and the ledger balances afterwards."""
    shop = await hub.new_tenant("Storm")
    await set_program(
        shop,
        level_rates_bps=[3000, 1000],
        payout_asset="XTR",
        tiers=[referral_pb2.ReferralTier(name="Gold", min_sales_minor=300, bonus_rate_bps=500, one_off_bonus_minor=7)],
    )
    top, top_code = await join(shop, "top")
    middle, middle_code = await join(shop, "middle", top_code)
    buyers = [(await join(shop, f"buyer{n}", middle_code))[0] for n in range(6)]
    pack = await token_pack(shop, stars=100, tokens=1000)
    orders = []
    for buyer in buyers:
        await fund(shop, buyer, 300, "XTR")
        orders.append((await create_order(shop, buyer, pack.id)).id)
    await fund(shop, top, 50, "XTR")
    await fund(shop, middle, 50, "XTR")
    paid = orders[:3]
    for order in paid:
        await pay(shop, order)
    calls = []
    for order in orders[3:]:
        calls.append(pay(shop, order))
    for order in paid:
        calls.append(_refund(shop, order))
    for referrer in (top, middle):
        for _ in range(3):
            spend = wallet_pb.ChargeUsageRequest(user_id=referrer, amount=money(20, "XTR"))
            calls.append(shop.admin.wallet.ChargeUsage(spend))
            adjust = wallet_pb.AdjustBalanceRequest(
                user_id=referrer,
                amount=money(5, "XTR"),
                direction=wallet_pb.TRANSFER_DIRECTION_CREDIT,
                reason="storm",
                actor="tests",
            )
            calls.append(shop.admin.wallet.AdjustBalance(adjust))
    _decided(await asyncio.gather(*calls, return_exceptions=True))
    for order in paid:
        assert (await _order(shop, order)).status == order_pb2.ORDER_STATUS_REFUNDED
    await assert_ledger_ok(shop)


async def test_a_free_plan_is_paid_and_delivered_with_no_money_moved(hub: Hub) -> None:
    """A price of 0 (a free trial plan, or a 100 % discount) posts nothing and still delivers."""
    shop = await hub.new_tenant("Free trial")
    user = await new_user(shop)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(0, "XTR"), plan_code="trial", period_days=7
    )
    paid = await pay(shop, (await create_order(shop, user, plan.id)).id)
    assert (paid.order.status, list(paid.transfers)) == (order_pb2.ORDER_STATUS_FULFILLED, [])
    assert await _entitlements(shop, user) == ["trial"]
    await assert_ledger_ok(shop)
