"""PurchaseFromWallet: a bot's "buy" button in one call, with the two-step flow's outcomes."""

from __future__ import annotations

import asyncio
import json

import pytest

from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import order_pb2, package_pb2, wallet_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import subscription_service_pb2 as sub_pb
from tests.commerce.catalog import create_package, price, stars_per_unit, token_pack
from tests.commerce.promos import discount_code, settled_events, used_count
from tests.fast_paths import balances_after
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

S = order_pb2


async def purchase(shop: TenantHandle, user: str, package: str, **fields: object) -> pb.PurchaseFromWalletResponse:
    request = pb.PurchaseFromWalletRequest(user_id=user, package_id=package, **fields)  # type: ignore[arg-type]
    bought: pb.PurchaseFromWalletResponse = await shop.admin.orders.PurchaseFromWallet(request)
    return bought


async def warm_up(shop: TenantHandle, pack: package_pb2.Package, asset: str = "XTR") -> None:
    """One purchase by another buyer: the core learns the tenant's system accounts, so the next
    purchases take the fast path (a cold core takes the ORM path; both must answer alike)."""
    other = await new_user(shop, "warm-up buyer")
    await fund(shop, other, pack.price.amount_minor, asset)
    await purchase(shop, other, pack.id)


WARMTH = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])


async def orders_of(shop: TenantHandle, user: str) -> list[order_pb2.Order]:
    return list((await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=user))).orders)


@WARMTH
async def test_token_pack_bought_in_one_call_is_paid_and_delivered(hub: Hub, warm: bool) -> None:
    shop = await hub.new_tenant("One call")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=100, tokens=1000)
    if warm:
        await warm_up(shop, pack)
    await fund(shop, user, 150, "XTR")
    bought = await purchase(shop, user, pack.id)
    assert (bought.order.status, bought.order.paid_via) == (S.ORDER_STATUS_FULFILLED, "wallet")
    assert bought.order.total.amount_minor == 100
    kinds = [(t.kind, t.amount.asset, t.amount.amount_minor) for t in bought.transfers]
    assert kinds == [
        (wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT, "XTR", 100),
        (wallet_pb2.TRANSFER_KIND_DELIVERY, "TOKEN", 1000),
    ]
    assert len({t.link_id for t in bought.transfers}) == 1
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 50
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    assert [o.id for o in await orders_of(shop, user)] == [bought.order.id]
    got = await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=bought.order.id))
    assert got.order == bought.order
    events = await settled_events(shop, "order.", "wallet.")
    mine = [e for e in events if json.loads(e.data).get("user_id") == user][-5:]
    assert [e.type for e in mine] == [
        "order.created",
        "wallet.debited",
        "wallet.credited",
        "order.paid",
        "order.fulfilled",
    ]
    assert [json.loads(e.data).get("status") for e in mine] == ["pending", None, None, "fulfilled", "fulfilled"]
    assert json.loads(mine[1].data)["balance_minor"] == 50
    await assert_ledger_ok(shop)


async def test_every_kind_of_package_can_be_bought_in_one_call(hub: Hub) -> None:
    shop = await hub.new_tenant("Every kind")
    user = await new_user(shop)
    await fund(shop, user, 100_000, "XTR")
    kinds = package_pb2
    plan = await create_package(
        shop, kind=kinds.PACKAGE_KIND_SUBSCRIPTION, price=price(10, "XTR"), plan_code="pro", period_days=30
    )
    service = await create_package(shop, kind=kinds.PACKAGE_KIND_SERVICE, price=price(10, "XTR"), posts_per_day=5)
    premium = await create_package(
        shop, kind=kinds.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(10, "XTR"), premium_months=3
    )
    stars = await stars_per_unit(shop)
    await fund(shop, user, 100_000, "RUB")
    bought_plan = await purchase(shop, user, plan.id)
    assert bought_plan.order.status == S.ORDER_STATUS_FULFILLED
    assert (
        await shop.admin.subscriptions.ListSubscriptions(sub_pb.ListSubscriptionsRequest(user_id=user))
    ).subscriptions
    bought_service = await purchase(shop, user, service.id)
    assert bought_service.order.status == S.ORDER_STATUS_FULFILLED
    assert bought_service.order.HasField("active_until")
    gift = await purchase(shop, user, premium.id, recipient="@durov_fan")
    assert gift.order.status == S.ORDER_STATUS_PAID
    assert json.loads(gift.task.payload) == {"months": 3, "recipient": "durov_fan"}
    bought_stars = await purchase(shop, user, stars.id, quantity=100, recipient="someone_else")
    assert json.loads(bought_stars.task.payload) == {"quantity": 100, "recipient": "someone_else"}
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 100_000 - 30
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 100_000 - 18_000
    await assert_ledger_ok(shop)


@WARMTH
async def test_a_short_wallet_leaves_no_order_and_no_promo_use_behind(hub: Hub, warm: bool) -> None:
    shop = await hub.new_tenant("Short buyer")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=100)
    if warm:
        await warm_up(shop, pack)
    await discount_code(shop, "ONCE", 2500, total_limit=1)
    await fund(shop, user, 74, "XTR")
    with pytest.raises(FailedPrecondition) as caught:
        await purchase(shop, user, pack.id)
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    with pytest.raises(FailedPrecondition) as caught:
        await purchase(shop, user, pack.id, promo_code="once")
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    assert await orders_of(shop, user) == []
    assert await used_count(shop, "ONCE") == 0
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 74
    assert (await balance(shop.admin, user)).posted.amount_minor == 0  # the TOKEN leg, before XTR's, undone
    await fund(shop, user, 1, "XTR")
    bought = await purchase(shop, user, pack.id, promo_code="once")
    assert (bought.order.total.amount_minor, bought.order.promo_code) == (75, "ONCE")
    assert await used_count(shop, "ONCE") == 1
    await assert_ledger_ok(shop)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"package_id": "not-an-id"}, "package_id"),
        ({"user_id": ""}, "user_id"),
        ({"quantity": -1}, "quantity"),
        ({"recipient": "someone"}, "recipient"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(hub: Hub, fields: dict[str, object], bad: str) -> None:
    shop = await hub.new_tenant("Bad purchases")
    user = await new_user(shop)
    pack = await token_pack(shop)
    await fund(shop, user, 1000, "XTR")
    request = {"user_id": user, "package_id": pack.id, **fields}
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.orders.PurchaseFromWallet(pb.PurchaseFromWalletRequest(**request))  # type: ignore[arg-type]
    assert bad in {v.field for v in caught.value.field_violations}
    assert await orders_of(shop, user) == []
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 1000
    await assert_ledger_ok(shop)


async def test_unknown_package_or_user_of_another_tenant_is_not_found(hub: Hub) -> None:
    shop = await hub.new_tenant("Mine")
    other = await hub.new_tenant("Theirs")
    user = await new_user(shop)
    stranger = await new_user(other)
    pack = await token_pack(shop)
    their_pack = await token_pack(other)
    await fund(shop, user, 1000, "XTR")
    with pytest.raises(NotFound):
        await purchase(shop, user, their_pack.id)
    with pytest.raises(NotFound):
        await purchase(shop, stranger, pack.id)
    assert await orders_of(shop, user) == []
    await assert_ledger_ok(shop)
    await assert_ledger_ok(other)


@WARMTH
async def test_a_request_id_buys_once_and_answers_the_same(hub: Hub, warm: bool) -> None:
    shop = await hub.new_tenant("Retried buy")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=100, tokens=1000)
    if warm:
        await warm_up(shop, pack)
    await fund(shop, user, 1000, "XTR")
    request = pb.PurchaseFromWalletRequest(user_id=user, package_id=pack.id, request_id="buy-1")
    answers = await asyncio.gather(*(shop.admin.orders.PurchaseFromWallet(request) for _ in range(8)))
    assert all(answer == answers[0] for answer in answers)
    assert len(await orders_of(shop, user)) == 1
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 900
    other = pb.PurchaseFromWalletRequest(user_id=user, package_id=pack.id, request_id="buy-1", quantity=2)
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.orders.PurchaseFromWallet(other)
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    for n in range(9):  # spend the rest: a retry must replay, not find the wallet short
        await shop.admin.orders.PurchaseFromWallet(
            pb.PurchaseFromWalletRequest(user_id=user, package_id=pack.id, request_id=f"more-{n}")
        )
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    assert await shop.admin.orders.PurchaseFromWallet(request) == answers[0]
    assert len(await orders_of(shop, user)) == 10
    await assert_ledger_ok(shop)


@WARMTH
async def test_racing_purchases_spend_each_wallet_exactly_once(hub: Hub, warm: bool) -> None:
    """Many buyers, each with money for exactly three packs, each trying ten at once. The three
    that succeed answer 200, 100 and 0 XTR left and 1000, 2000 and 3000 TOKEN, one each, in some
    order (warm, on PostgreSQL: balances only each purchase's one statement knows)."""
    shop = await hub.new_tenant("Racing buyers")
    pack = await token_pack(shop, stars=100, tokens=1000)
    if warm:
        await warm_up(shop, pack)
    users = [await new_user(shop, f"racer-{n}") for n in range(6)]
    for user in users:
        await fund(shop, user, 300, "XTR")
    results = await asyncio.gather(
        *(purchase(shop, user, pack.id) for user in users for _ in range(10)), return_exceptions=True
    )
    bought = [r for r in results if isinstance(r, pb.PurchaseFromWalletResponse)]
    short = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    others = [r for r in results if not isinstance(r, pb.PurchaseFromWalletResponse) and r not in short]
    assert (len(bought), len(short), others) == (18, 42, []), [r for r in results if isinstance(r, Exception)][:3]
    for user in users:
        mine = [balances_after(b) for b in bought if b.order.user_id == user]
        assert sorted(b[0][1] for b in mine) == [0, 100, 200]
        assert sorted(b[1][2] for b in mine) == [1000, 2000, 3000]
        assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
        assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 3000
        assert len(await orders_of(shop, user)) == 3
    verified = await assert_ledger_ok(shop)
    warm_up_transfers = 3 if warm else 0  # its funding, payment and delivery
    # each funding, then payment + delivery
    assert verified.transfers_checked == warm_up_transfers + len(users) + 2 * len(bought)
