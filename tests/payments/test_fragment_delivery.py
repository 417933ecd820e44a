"""Stars and Premium delivered through Fragment by the core's worker, against the fake Fragment API:
a paid order is bought once and fulfilled; a refusal that bought nothing is tried again; an unknown
recipient refunds the order; an order whose outcome is unknown is never sent twice (a status check
or an admin settles it); and worker steps racing each other buy each order once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.delivery.gifts import GiftDelivery
from core_server.providers import fragment
from sdk import FailedPrecondition
from sdk.billinghub.v1 import fulfillment_pb2, order_pb2, package_pb2, payment_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as tasks_pb
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.commerce.catalog import create_package, price, stars_per_unit
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_event_types
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user
from tests.providers.fakes.fragment import API_KEY, MNEMONICS, PHONE, RunningFragment, fragment_server
from tests.providers.fakes.server import HANG_TIMEOUT

T = fulfillment_pb2
SECRETS = {"api_key": API_KEY, "phone_number": PHONE, "mnemonics": MNEMONICS}


@pytest.fixture
async def api() -> AsyncIterator[RunningFragment]:
    async with fragment_server() as running:
        yield running


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragment, "ORDER_TIMEOUT", HANG_TIMEOUT)
    monkeypatch.setattr(fragment, "READ_TIMEOUT", HANG_TIMEOUT)


async def set_fragment(shop: TenantHandle, url: str, *, enabled: bool = True) -> None:
    config = payment_pb2.ProviderConfig(provider="fragment", enabled=enabled, base_url=url)
    await shop.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config, secrets=SECRETS))


async def fragment_shop(hub: Hub, api: RunningFragment, name: str) -> TenantHandle:
    shop = await hub.new_tenant(name)
    await set_fragment(shop, api.url)
    return shop


async def paid_stars(shop: TenantHandle, recipient: str, quantity: int = 50) -> tuple[str, str]:
    """A buyer who paid `quantity` Stars at 1.80 RUB for @recipient: (user, order)."""
    user = await new_user(shop, f"buyer-{uuid.uuid4().hex[:8]}")
    stars = await stars_per_unit(shop)
    await fund(shop, user, 180 * quantity, "RUB")
    order = await create_order(shop, user, stars.id, quantity=quantity, recipient=recipient)
    await pay(shop, order.id)
    return user, order.id


async def order_of(shop: TenantHandle, order: str) -> order_pb2.Order:
    return (await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order))).order


async def task_of(shop: TenantHandle, order: str) -> fulfillment_pb2.Task:
    [task] = (await shop.admin.fulfillment.ListTasks(tasks_pb.ListTasksRequest(order_id=order))).tasks
    return task


async def step(hub: Hub, shop: TenantHandle) -> int:
    return await GiftDelivery(hub.deps).run_tenant(uuid.UUID(shop.id))


async def test_a_paid_order_is_bought_once_and_fulfilled(clocked_hub: Hub, api: RunningFragment) -> None:
    shop = await fragment_shop(clocked_hub, api, "Stars shop")
    _user, stars_order = await paid_stars(shop, "star_fan_1", 120)
    premium = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(79_900, "RUB"), premium_months=6
    )
    buyer = await new_user(shop, "premium-buyer")
    await fund(shop, buyer, 79_900, "RUB")
    premium_order = (await create_order(shop, buyer, premium.id, recipient="@premium_fan")).id
    await pay(shop, premium_order)
    assert await step(clocked_hub, shop) == 2
    assert await step(clocked_hub, shop) == 0
    assert [(o.type, o.username, o.quantity) for o in api.fake.bought()] == [
        ("STARS", "star_fan_1", 120),
        ("PREMIUM", "premium_fan", 6),
    ]
    for order, bought in zip((stars_order, premium_order), api.fake.bought(), strict=True):
        assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_FULFILLED
        task = await task_of(shop, order)
        assert task.status == T.TASK_STATUS_COMPLETED
        assert json.loads(task.result) == {"fragment": {"order_id": bought.id, "status": "COMPLETED"}}
    assert (await settled_event_types(shop, "task."))[-2:] == ["task.sending", "task.completed"]
    await assert_ledger_ok(shop)


async def test_a_refusal_that_bought_nothing_is_tried_again(
    clocked_hub: Hub, clock: FrozenClock, api: RunningFragment
) -> None:
    shop = await fragment_shop(clocked_hub, api, "Flaky TON")
    _user, order = await paid_stars(shop, "retry_fan")
    api.fake.refuse_next("12", "TON network connection error")
    await step(clocked_hub, shop)
    task = await task_of(shop, order)
    assert (task.status, task.attempts, api.fake.bought()) == (T.TASK_STATUS_QUEUED, 1, [])
    assert "code 12" in task.last_error
    api.fake.new_status = "FAILED"  # the next order ends without delivering: buying again is safe
    clock.advance(dt.timedelta(seconds=31))
    await step(clocked_hub, shop)
    assert (await task_of(shop, order)).status == T.TASK_STATUS_QUEUED
    api.fake.new_status = "COMPLETED"
    clock.advance(dt.timedelta(seconds=61))
    await step(clocked_hub, shop)
    assert [o.status for o in api.fake.bought()] == ["FAILED", "COMPLETED"]
    assert (await task_of(shop, order)).attempts == 3
    assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_FULFILLED
    await assert_ledger_ok(shop)


@pytest.mark.parametrize("found_by", ["recipient check", "order"])
async def test_an_unknown_recipient_refunds_the_order(clocked_hub: Hub, api: RunningFragment, found_by: str) -> None:
    shop = await fragment_shop(clocked_hub, api, "Typo in the username")
    user, order = await paid_stars(shop, "no_such_user", 100)
    if found_by == "recipient check":
        api.fake.missing.add("no_such_user")
    else:
        api.fake.refuse_next("20", "Recipient username was not found on Fragment")
    await step(clocked_hub, shop)
    task = await task_of(shop, order)
    assert (task.status, api.fake.bought()) == (T.TASK_STATUS_FAILED, [])
    assert "not found" in task.last_error
    got = await order_of(shop, order)
    assert (got.status, got.refunded.amount_minor) == (order_pb2.ORDER_STATUS_REFUNDED, 18_000)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 18_000
    await assert_ledger_ok(shop)


@pytest.mark.usefixtures("quick")
async def test_an_order_under_way_is_settled_by_status_checks(
    clocked_hub: Hub, clock: FrozenClock, api: RunningFragment
) -> None:
    shop = await fragment_shop(clocked_hub, api, "Slow blockchain")
    _user, order = await paid_stars(shop, "patient_fan")
    api.fake.new_status = "BLOCKCHAIN_SENT"
    await step(clocked_hub, shop)
    [bought] = api.fake.bought()
    task = await task_of(shop, order)
    assert (task.status, task.HasField("lease_expire_time")) == (T.TASK_STATUS_LEASED, False)
    assert json.loads(task.result)["fragment"] == {
        "state": "checking",
        "order_id": bought.id,
        "status": "BLOCKCHAIN_SENT",
    }
    api.misbehaviour.fail_next("hang", 502)  # the first two checks time out and fail
    for wait in (31, 61, 121):  # the third finds it under way; other workers' leases ran out meanwhile
        clock.advance(dt.timedelta(seconds=wait))
        await step(clocked_hub, shop)
        assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_PAID
    api.fake.finish(bought.id)
    clock.advance(dt.timedelta(seconds=200))  # the next check is due 240 s after the last
    await step(clocked_hub, shop)
    assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_PAID
    clock.advance(dt.timedelta(seconds=41))
    await step(clocked_hub, shop)
    assert len(api.posts()) == 1
    assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_FULFILLED
    assert json.loads((await task_of(shop, order)).result)["fragment"]["order_id"] == bought.id
    assert "task.checking" in await settled_event_types(shop, "task.")
    await assert_ledger_ok(shop)


@pytest.mark.usefixtures("quick")
async def test_a_timeout_after_sending_is_never_sent_again_and_waits_for_an_admin(
    clocked_hub: Hub, clock: FrozenClock, api: RunningFragment
) -> None:
    shop = await fragment_shop(clocked_hub, api, "Timeout shop")
    user, order = await paid_stars(shop, "lost_answer")
    api.fake.hang_after_buying_next()
    await step(clocked_hub, shop)
    assert len(api.fake.bought()) == 1  # bought, and the answer never came
    for _ in range(3):
        clock.advance(dt.timedelta(hours=2))
        await step(clocked_hub, shop)
        leased = await shop.admin.fulfillment.LeaseTasks(
            tasks_pb.LeaseTasksRequest(kind=package_pb2.PACKAGE_KIND_TELEGRAM_STARS)
        )
        assert list(leased.tasks) == []  # nobody else gets it either
    assert (len(api.posts()), len(api.fake.bought())) == (1, 1)
    task = await task_of(shop, order)
    assert (task.status, task.attempts, task.HasField("lease_expire_time")) == (T.TASK_STATUS_LEASED, 1, False)
    assert "may have been bought" in task.last_error
    assert json.loads(task.result)["fragment"]["state"] == "unknown"
    assert "task.outcome_unknown" in await settled_event_types(shop, "task.")
    assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_PAID
    # the admin finds the order in the Fragment account and completes the task
    result = json.dumps({"fragment": {"order_id": api.fake.bought()[0].id, "checked_by": "admin"}})
    await shop.admin.fulfillment.CompleteTask(tasks_pb.CompleteTaskRequest(task_id=task.id, result=result))
    assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    await step(clocked_hub, shop)
    assert len(api.posts()) == 1
    await assert_ledger_ok(shop)


async def test_worker_steps_racing_each_other_buy_each_order_once(clocked_hub: Hub, api: RunningFragment) -> None:
    shop = await fragment_shop(clocked_hub, api, "Two cores")
    orders = [(await paid_stars(shop, f"race_fan_{n}"))[1] for n in range(6)]
    workers = [GiftDelivery(clocked_hub.deps) for _ in range(3)]
    await asyncio.gather(*(w.run_tenant(uuid.UUID(shop.id)) for w in workers))
    assert sorted(o.username for o in api.fake.bought()) == sorted(f"race_fan_{n}" for n in range(6))
    assert len(api.posts()) == 6
    for order in orders:
        assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_FULFILLED
    await assert_ledger_ok(shop)


async def test_worker_steps_racing_on_status_checks_ask_once_and_complete_once(
    clocked_hub: Hub, clock: FrozenClock, api: RunningFragment
) -> None:
    shop = await fragment_shop(clocked_hub, api, "Two cores checking")
    orders = [(await paid_stars(shop, f"check_fan_{n}"))[1] for n in range(4)]
    api.fake.new_status = "PENDING"
    await step(clocked_hub, shop)
    for bought in api.fake.bought():
        api.fake.finish(bought.id)
    clock.advance(dt.timedelta(seconds=31))
    workers = [GiftDelivery(clocked_hub.deps) for _ in range(3)]
    await asyncio.gather(*(w.run_tenant(uuid.UUID(shop.id)) for w in workers))
    reads = [r.path for r in api.recorded if r.method == "GET" and r.path.startswith("/v1/order/")]
    assert sorted(reads) == sorted(f"/v1/order/{o.id}/" for o in api.fake.bought())
    assert (len(api.posts()), len(api.fake.bought())) == (4, 4)
    for order in orders:
        assert (await order_of(shop, order)).status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await settled_event_types(shop, "order.fulfilled")).count("order.fulfilled") == 4
    await assert_ledger_ok(shop)


async def test_the_worker_serves_the_tenants_that_enabled_fragment(clocked_hub: Hub, api: RunningFragment) -> None:
    enabled = await fragment_shop(clocked_hub, api, "Fragment on")
    disabled = await clocked_hub.new_tenant("Fragment off")
    await set_fragment(disabled, api.url, enabled=False)
    _u1, served = await paid_stars(enabled, "served_fan")
    _u2, waiting = await paid_stars(disabled, "waiting_fan")
    await GiftDelivery(clocked_hub.deps).run_due()
    assert (await order_of(enabled, served)).status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await task_of(disabled, waiting)).status == T.TASK_STATUS_QUEUED
    assert api.fake.bought("waiting_fan") == []
    await set_fragment(enabled, api.url, enabled=False)  # later tests' workers leave it alone


async def test_the_settings_are_tested_by_signing_in(clocked_hub: Hub, api: RunningFragment) -> None:
    shop = await fragment_shop(clocked_hub, api, "Checked settings")
    ok = await shop.admin.payments.TestProviderConfig(pb.TestProviderConfigRequest(provider="fragment"))
    assert ok.ok
    await shop.admin.payments.SetProviderConfig(
        pb.SetProviderConfigRequest(
            config=payment_pb2.ProviderConfig(provider="fragment", enabled=False, base_url=api.url),
            secrets={"api_key": "a-wrong-key"},
        )
    )
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.payments.TestProviderConfig(pb.TestProviderConfigRequest(provider="fragment"))
    assert caught.value.reason == "PROVIDER_REJECTED"
    assert "a-wrong-key" not in str(caught.value) and PHONE not in str(caught.value)
