"""PurchaseFromWallet of packages whose delivery writes rows of its own: a subscription plan
(started, extended, started again after it ended) and Telegram Stars and Premium (a fulfillment
task). Each story runs on the ORM path and on the fast path with the same assertions: the same
orders, plans, tasks, transfers and events, the same replay of a request id, and balanced books
after purchases racing on one plan."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import fulfillment_pb2, order_pb2, package_pb2, subscription_pb2, wallet_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import subscription_service_pb2 as subs_pb
from tests.commerce.catalog import create_package, price, stars_per_unit
from tests.commerce.paths import PATHS, OrmCalls, choose_path
from tests.commerce.promos import settled_events
from tests.commerce.test_purchase import orders_of, purchase
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

S = order_pb2
PREMIUM = package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM


async def plan_package(shop: TenantHandle, amount: int = 100) -> package_pb2.Package:
    return await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(amount, "XTR"), plan_code="vip", period_days=30
    )


async def warm_up(
    shop: TenantHandle, package: package_pb2.Package, asset: str, calls: OrmCalls, **fields: object
) -> None:
    """One purchase by another buyer teaches the core the tenant's system accounts (the ORM path
    takes it); from then on `calls` counts what still takes the ORM path."""
    other = await new_user(shop, "warm-up buyer")
    await fund(shop, other, 10_000_000, asset)
    await purchase(shop, other, package.id, **fields)
    calls.count()


async def user_events(shop: TenantHandle, user: str, *prefixes: str) -> list[tuple[str, dict[str, object]]]:
    events = await settled_events(shop, *prefixes)
    found = [(e.type, json.loads(e.data)) for e in events]
    return [(kind, data) for kind, data in found if data.get("user_id") == user]


async def plans_of(shop: TenantHandle, user: str) -> list[subscription_pb2.Subscription]:
    listed = await shop.admin.subscriptions.ListSubscriptions(subs_pb.ListSubscriptionsRequest(user_id=user))
    return list(listed.subscriptions)


@PATHS
async def test_a_plan_bought_in_one_call_starts_extends_and_starts_again(
    clocked_hub: Hub, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop = await clocked_hub.new_tenant("Plans in one call")
    plan = await plan_package(shop)
    await warm_up(shop, plan, "XTR", calls)
    user = await new_user(shop)
    await fund(shop, user, 350, "XTR")
    start = clock.now()
    first = await purchase(shop, user, plan.id)
    assert (first.order.status, first.order.paid_via, first.order.package_kind) == (
        S.ORDER_STATUS_FULFILLED,
        "wallet",
        package_pb2.PACKAGE_KIND_SUBSCRIPTION,
    )
    assert [(t.kind, t.amount.amount_minor) for t in first.transfers] == [(wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT, 100)]
    assert not first.HasField("task")
    clock.advance(dt.timedelta(days=10))
    second = await purchase(shop, user, plan.id)
    [running] = await plans_of(shop, user)
    assert running.end_time.ToDatetime(dt.UTC) == start + dt.timedelta(days=60)  # from the end, not from now
    assert (running.last_order_id, running.status) == (second.order.id, subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE)
    clock.advance(dt.timedelta(days=60))  # past its end, the expiry worker not yet there
    restart = clock.now()
    third = await purchase(shop, user, plan.id)
    [again] = await plans_of(shop, user)
    assert again.id == running.id
    assert (again.start_time.ToDatetime(dt.UTC), again.end_time.ToDatetime(dt.UTC)) == (
        restart,
        restart + dt.timedelta(days=30),
    )
    events = await user_events(shop, user, "order.", "subscription.", "wallet.")
    assert [kind for kind, _ in events[1:]] == [  # after the funding
        *("order.created", "subscription.activated", "wallet.debited", "order.paid", "order.fulfilled"),
        *("order.created", "subscription.extended", "wallet.debited", "order.paid", "order.fulfilled"),
        *("order.created", "subscription.activated", "wallet.debited", "order.paid", "order.fulfilled"),
    ]
    changes = [data for kind, data in events if kind.startswith("subscription.")]
    assert [data["end_time"] for data in changes] == [
        (start + dt.timedelta(days=30)).isoformat(),
        (start + dt.timedelta(days=60)).isoformat(),
        (restart + dt.timedelta(days=30)).isoformat(),
    ]
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 50
    assert [o.id for o in await orders_of(shop, user)] == [third.order.id, second.order.id, first.order.id]
    refunded = await shop.admin.orders.RefundOrder(
        pb.RefundOrderRequest(order_id=third.order.id, reason="r", actor="a")
    )
    assert refunded.order.status == S.ORDER_STATUS_REFUNDED  # the plan's row, written by either path, is undone
    [ended] = await plans_of(shop, user)
    assert ended.status == subscription_pb2.SUBSCRIPTION_STATUS_EXPIRED
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_a_cancelled_plan_bought_again_runs_on_and_renews_again(
    clocked_hub: Hub, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop = await clocked_hub.new_tenant("Plan resumed")
    plan = await plan_package(shop)
    await warm_up(shop, plan, "XTR", calls)
    user = await new_user(shop)
    await fund(shop, user, 200, "XTR")
    start = clock.now()
    await purchase(shop, user, plan.id)
    [bought] = await plans_of(shop, user)
    await shop.admin.subscriptions.CancelSubscription(subs_pb.CancelSubscriptionRequest(subscription_id=bought.id))
    clock.advance(dt.timedelta(days=5))
    await purchase(shop, user, plan.id)
    [resumed] = await plans_of(shop, user)
    assert resumed.status == subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
    assert not resumed.HasField("cancel_time")
    assert resumed.end_time.ToDatetime(dt.UTC) == start + dt.timedelta(days=60)
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_stars_and_premium_bought_in_one_call_queue_their_task(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop = await hub.new_tenant("Gifts in one call")
    stars = await stars_per_unit(shop)
    premium = await create_package(shop, kind=PREMIUM, price=price(10, "XTR"), premium_months=3)
    await warm_up(shop, premium, "XTR", calls, recipient="warm_up_friend")
    await warm_up(shop, stars, "RUB", calls, quantity=50, recipient="warm_up_friend")
    user = await new_user(shop)
    await fund(shop, user, 100, "XTR")
    await fund(shop, user, 20_000, "RUB")
    gift = await purchase(shop, user, premium.id, recipient="@durov_fan")
    assert (gift.order.status, gift.order.recipient, gift.order.paid_via) == (
        S.ORDER_STATUS_PAID,
        "durov_fan",
        "wallet",
    )
    assert not gift.order.HasField("fulfilled_time")
    assert (gift.task.kind, gift.task.order_id, json.loads(gift.task.payload)) == (
        PREMIUM,
        gift.order.id,
        {"recipient": "durov_fan", "months": 3},
    )
    assert (gift.task.status, gift.task.attempts) == (fulfillment_pb2.TASK_STATUS_QUEUED, 0)
    got = (await shop.admin.fulfillment.GetTask(fpb.GetTaskRequest(task_id=gift.task.id))).task
    assert got == gift.task
    bought = await purchase(shop, user, stars.id, quantity=100, recipient="someone_else")
    assert json.loads(bought.task.payload) == {"quantity": 100, "recipient": "someone_else"}
    assert [(t.kind, t.amount.asset, t.amount.amount_minor) for t in bought.transfers] == [
        (wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT, "RUB", 18_000)
    ]
    events = await user_events(shop, user, "order.", "task.", "wallet.")
    mine = [kind for kind, _ in events if kind != "wallet.credited"]  # the fundings
    assert mine == [*("order.created", "task.created", "wallet.debited", "order.paid")] * 2
    leased = await shop.admin.fulfillment.LeaseTasks(fpb.LeaseTasksRequest(kind=PREMIUM, max_tasks=10))
    [task] = [t for t in leased.tasks if t.id == gift.task.id]
    await shop.admin.fulfillment.CompleteTask(fpb.CompleteTaskRequest(task_id=task.id, result='{"ref": "x"}'))
    done = (await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=gift.order.id))).order
    assert done.status == S.ORDER_STATUS_FULFILLED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 90
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 2_000
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_a_gift_without_a_plain_recipient_is_refused_alike(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    choose_path(monkeypatch, fast)
    shop = await hub.new_tenant("Gift refusals")
    premium = await create_package(shop, kind=PREMIUM, price=price(10, "XTR"), premium_months=3)
    user = await new_user(shop)
    await fund(shop, user, 100, "XTR")
    for recipient in ("", "@ab", "not a name"):
        with pytest.raises(InvalidArgument) as caught:
            await purchase(shop, user, premium.id, recipient=recipient)
        assert {v.field for v in caught.value.field_violations} == {"recipient"}
    assert await orders_of(shop, user) == []
    await assert_ledger_ok(shop)


@PATHS
async def test_a_plan_purchase_with_a_request_id_happens_once(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop = await hub.new_tenant("Plan retried")
    plan = await plan_package(shop)
    await warm_up(shop, plan, "XTR", calls)
    user = await new_user(shop)
    await fund(shop, user, 100, "XTR")
    request = pb.PurchaseFromWalletRequest(user_id=user, package_id=plan.id, request_id="plan-1")
    answers = await asyncio.gather(*(shop.admin.orders.PurchaseFromWallet(request) for _ in range(8)))
    assert all(answer == answers[0] for answer in answers)
    assert await shop.admin.orders.PurchaseFromWallet(request) == answers[0]  # the wallet is empty now
    assert len(await orders_of(shop, user)) == 1
    [plan_row] = await plans_of(shop, user)
    assert plan_row.last_order_id == answers[0].order.id
    assert calls.calls == []
    await assert_ledger_ok(shop)


@PATHS
async def test_racing_plan_purchases_extend_each_plan_once_per_payment(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """Buyers with money for three periods each, each buying ten at once, first purchases included:
    the plan's unique key makes a first purchase that lost the race extend the winner's plan."""
    calls = choose_path(monkeypatch, fast)
    shop = await hub.new_tenant("Racing plans")
    plan = await plan_package(shop)
    await warm_up(shop, plan, "XTR", calls)
    users = [await new_user(shop, f"racer-{n}") for n in range(5)]
    for user in users:
        await fund(shop, user, 300, "XTR")
    results = await asyncio.gather(
        *(purchase(shop, user, plan.id) for user in users for _ in range(10)), return_exceptions=True
    )
    bought = [r for r in results if isinstance(r, pb.PurchaseFromWalletResponse)]
    short = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    assert (len(bought), len(short)) == (15, 35), [r for r in results if isinstance(r, Exception)][:3]
    for user in users:
        [running] = await plans_of(shop, user)
        days = (running.end_time.ToDatetime(dt.UTC) - running.start_time.ToDatetime(dt.UTC)).days
        assert days == 90
        assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    events = await settled_events(shop, "subscription.")
    racers = [e for e in events if json.loads(e.data)["user_id"] in users]
    assert sorted(e.type for e in racers) == ["subscription.activated"] * 5 + ["subscription.extended"] * 10
    verified = await assert_ledger_ok(shop)
    assert verified.transfers_checked == 2 + len(users) + len(bought)  # warm-up funding and purchase
