"""Packages priced in several assets: the catalog keeps every exact price (the first is the primary,
what `price` shows), and an order is priced, discounted, paid, shared with referrers and renewed in
the one asset its buyer pays with, never converted."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from core_server.domain.clock import FrozenClock
from core_server.domain.entitlements.renewal import RenewalService
from core_server.domain.fast_unit import TakeOrmPath
from core_server.domain.orders.payment import OrderPayments, Settlement
from core_server.store.db import open_database
from core_server.store.migrate import alembic_config, upgrade_database
from core_server.store.models import AssetRow, PackagePriceRow, PackageRow, TenantRow
from core_server.store.unit_of_work import UnitOfWork
from sdk import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import common_pb2, order_pb2, package_pb2, subscription_pb2, wallet_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.billinghub.v1 import subscription_service_pb2 as sub_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import discount_code, used_count
from tests.commerce.referrals import join, set_program
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

K = package_pb2
S = order_pb2
WARMTH = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
THREE = [price(18000, "RUB"), price(100, "XTR"), price(2_500_000, "USDT")]


async def assets(shop: TenantHandle, *codes: str) -> None:
    for code in codes:
        with contextlib.suppress(AlreadyExists):
            await shop.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code=code))


async def priced_shop(hub: Hub, name: str) -> TenantHandle:
    shop = await hub.new_tenant(name)
    await assets(shop, "RUB", "USDT")
    return shop


async def token_pack(shop: TenantHandle, prices: list[common_pb2.Money], **fields: object) -> package_pb2.Package:
    """Tokens sold in several assets (a topup credits 1000 TOKEN whatever paid it)."""
    return await create_package(
        shop, kind=K.PACKAGE_KIND_TOKEN_PACK, prices=prices, delivers=price(1000, "TOKEN"), **fields
    )


def pairs(prices: Any) -> list[tuple[str, int]]:
    return [(p.asset, p.amount_minor) for p in prices]


async def get_package(shop: TenantHandle, package: str) -> package_pb2.Package:
    return (await shop.admin.catalog.GetPackage(catalog_pb.GetPackageRequest(package_id=package))).package


async def listed(shop: TenantHandle, **filters: object) -> list[package_pb2.Package]:
    request = catalog_pb.ListPackagesRequest(**filters)  # type: ignore[arg-type]
    return list((await shop.admin.catalog.ListPackages(request)).packages)


async def update(shop: TenantHandle, package: package_pb2.Package, *paths: str) -> package_pb2.Package:
    request = catalog_pb.UpdatePackageRequest(package=package, update_mask=field_mask_pb2.FieldMask(paths=paths))
    return (await shop.admin.catalog.UpdatePackage(request)).package


async def purchase(shop: TenantHandle, user: str, package: str, **fields: object) -> pb.PurchaseFromWalletResponse:
    request = pb.PurchaseFromWalletRequest(user_id=user, package_id=package, **fields)  # type: ignore[arg-type]
    bought: pb.PurchaseFromWalletResponse = await shop.admin.orders.PurchaseFromWallet(request)
    return bought


async def orders_of(shop: TenantHandle, user: str) -> list[order_pb2.Order]:
    return list((await shop.admin.orders.ListOrders(pb.ListOrdersRequest(user_id=user))).orders)


async def balances(shop: TenantHandle, user: str, *codes: str) -> dict[str, int]:
    return {code: (await balance(shop.admin, user, code)).posted.amount_minor for code in codes}


@pytest.fixture
def fast_outcomes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each PurchaseFromWallet's fast path did: "fast" (it bought), or "orm" (it declined)."""
    outcomes: list[str] = []
    original = OrderPayments.purchase_fast

    async def spy(self: OrderPayments, *args: Any, **kwargs: Any) -> Settlement:
        try:
            settled = await original(self, *args, **kwargs)
        except TakeOrmPath:
            outcomes.append("orm")
            raise
        outcomes.append("fast")
        return settled

    monkeypatch.setattr(OrderPayments, "purchase_fast", spy)
    return outcomes


# --- the catalog -----------------------------------------------------------------------------


async def test_a_package_in_rub_xtr_and_usdt_is_created_read_listed_and_updated(hub: Hub) -> None:
    shop = await priced_shop(hub, "Three prices")
    made = await create_package(
        shop, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, prices=THREE, premium_months=3, category="premium"
    )
    assert pairs(made.prices) == [("RUB", 18000), ("XTR", 100), ("USDT", 2_500_000)]
    assert pairs([made.price]) == [("RUB", 18000)]  # the primary price, for clients of one price
    assert await get_package(shop, made.id) == made
    assert await listed(shop) == [made]  # the screen read shows every price too
    assert await listed(shop, active_only=True, category="premium", kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM) == [made]

    agreeing = await create_package(  # price and prices together: price is prices[0]
        shop, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=THREE[1], prices=THREE[1:], premium_months=6
    )
    assert (pairs(agreeing.prices), pairs([agreeing.price])) == ([("XTR", 100), ("USDT", 2_500_000)], [("XTR", 100)])
    alone = await create_package(shop, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=THREE[2], premium_months=12)
    assert pairs(alone.prices) == [("USDT", 2_500_000)]  # price alone means prices = [price]

    reordered = await update(
        shop, package_pb2.Package(id=made.id, prices=[price(90, "XTR"), price(17000, "rub ")]), "prices"
    )
    assert (pairs(reordered.prices), pairs([reordered.price])) == ([("XTR", 90), ("RUB", 17000)], [("XTR", 90)])
    primary = await update(shop, package_pb2.Package(id=made.id, price=price(95, "XTR")), "price")
    assert pairs(primary.prices) == [("XTR", 95), ("RUB", 17000)]  # "price" changes the primary alone
    moved = await update(shop, package_pb2.Package(id=made.id, price=price(2_000_000, "USDT")), "price")
    assert pairs(moved.prices) == [("USDT", 2_000_000), ("RUB", 17000)]
    one = await update(shop, package_pb2.Package(id=made.id, price=price(100, "XTR")), "prices")
    assert pairs(one.prices) == [("XTR", 100)]  # price alone under "prices": the one price
    both = await update(shop, package_pb2.Package(id=made.id, price=THREE[0], prices=THREE), "prices")
    assert pairs(both.prices) == pairs(THREE)
    unmasked = await update(shop, package_pb2.Package(id=made.id, prices=[THREE[1]], sort_order=7), "sort_order")
    assert (pairs(unmasked.prices), unmasked.sort_order) == (pairs(THREE), 7)  # prices change only when named
    assert await get_package(shop, made.id) == unmasked
    assert (await listed(shop, category="premium"))[0] == unmasked


async def test_the_one_price_of_older_clients_still_works(hub: Hub) -> None:
    shop = await priced_shop(hub, "One price")
    free = await create_package(
        shop, kind=K.PACKAGE_KIND_SUBSCRIPTION, price=price(0, "XTR"), plan_code="trial", period_days=7
    )
    assert pairs(free.prices) == [("XTR", 0)]  # a single price may be 0: a free plan
    changed = await update(shop, package_pb2.Package(id=free.id, price=price(5, "XTR")), "price")
    assert pairs(changed.prices) == [("XTR", 5)] and pairs([changed.price]) == [("XTR", 5)]


MANY_ASSETS = [f"A{n}X" for n in range(11)]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"prices": [price(100, "RUB"), price(1, "XTR"), price(200, "RUB")]}, "package.prices[2].asset"),
        ({"prices": [price(100, "RUB"), price(0, "XTR")]}, "package.prices[1].amount_minor"),
        ({"prices": [price(100, "RUB"), price(-5, "XTR")]}, "package.prices[1].amount_minor"),
        ({"prices": [price(10**15 + 1, "RUB"), price(1, "XTR")]}, "package.prices[0].amount_minor"),
        ({"prices": [price(n + 1, code) for n, code in enumerate(MANY_ASSETS)]}, "package.prices"),
        ({"prices": [price(100, "RUB"), price(1, "x!")]}, "package.prices[1].asset"),
        ({"price": price(100, "XTR"), "prices": [price(100, "RUB"), price(100, "XTR")]}, "package.price"),
        ({"price": price(99, "RUB"), "prices": [price(100, "RUB")]}, "package.price"),
        ({"price": price(10**15 + 1, "RUB")}, "package.price.amount_minor"),
        ({}, "package.prices"),
        (
            {
                "prices": [price(1, "RUB"), price(10**9, "XTR")],
                "kind": K.PACKAGE_KIND_TELEGRAM_STARS,
                "per_unit": True,
                "min_quantity": 50,
                "max_quantity": 10**7,
                "delivers": None,
            },
            "package.max_quantity",  # the secondary price x the largest quantity passes the bound
        ),
    ],
)
async def test_invalid_prices_are_refused_by_field_and_create_nothing(
    hub: Hub, fields: dict[str, object], bad: str
) -> None:
    shop = await priced_shop(hub, "Bad prices")
    fields = {"kind": K.PACKAGE_KIND_TOKEN_PACK, "delivers": price(1, "TOKEN"), **fields}
    with pytest.raises(InvalidArgument) as caught:
        await create_package(shop, **{k: v for k, v in fields.items() if v is not None})
    assert bad in {v.field for v in caught.value.field_violations}, caught.value.field_violations
    assert await listed(shop) == []


async def test_an_unknown_asset_is_not_found_naming_its_field_and_changes_nothing(hub: Hub) -> None:
    shop = await priced_shop(hub, "Unknown prices")
    with pytest.raises(NotFound) as caught:
        await token_pack(shop, [price(100, "XTR"), price(5, "RUB"), price(1, "DOGE")])
    assert (caught.value.reason, caught.value.metadata.get("field")) == ("ASSET_NOT_FOUND", "package.prices[2].asset")
    with pytest.raises(NotFound) as caught:
        await create_package(shop, kind=K.PACKAGE_KIND_TOKEN_PACK, price=price(1, "DOGE"), delivers=price(1, "TOKEN"))
    assert caught.value.metadata.get("field") == "package.price.asset"
    assert await listed(shop) == []

    pack = await token_pack(shop, [price(100, "XTR"), price(5000, "RUB")])
    for request, paths, error in [
        (package_pb2.Package(prices=[price(100, "XTR"), price(1, "DOGE")]), ["prices"], NotFound),
        (package_pb2.Package(prices=[price(100, "XTR"), price(1, "XTR")]), ["prices"], InvalidArgument),
        (package_pb2.Package(prices=[price(100, "XTR"), price(0, "RUB")]), ["prices"], InvalidArgument),
        (package_pb2.Package(price=price(7, "RUB")), ["price"], InvalidArgument),  # RUB is another price
        (package_pb2.Package(price=price(7, "XTR"), prices=[price(8, "XTR")]), ["prices"], InvalidArgument),
        (package_pb2.Package(sort_order=3), ["price"], InvalidArgument),  # no price to set
    ]:
        request.id = pack.id
        with pytest.raises(error) as refused:
            await update(shop, request, *paths)
        if isinstance(refused.value, InvalidArgument):
            assert {v.field.split(".")[1].split("[")[0] for v in refused.value.field_violations} <= {"price", "prices"}
    assert await get_package(shop, pack.id) == pack
    assert await listed(shop) == [pack]


# --- orders ----------------------------------------------------------------------------------


async def test_an_order_in_each_asset_costs_that_price_and_pays_from_that_wallet(hub: Hub) -> None:
    shop = await priced_shop(hub, "Orders in three assets")
    user = await new_user(shop)
    pack = await token_pack(shop, THREE)
    for code in ("RUB", "XTR", "USDT"):
        await fund(shop, user, 10**7, code)
    paid: list[tuple[str, int]] = []
    for pay_asset, expected in [("", ("RUB", 18000)), ("XTR", ("XTR", 100)), (" usdt", ("USDT", 2_500_000))]:
        order = await create_order(shop, user, pack.id, pay_asset=pay_asset)
        assert (order.subtotal.asset, order.subtotal.amount_minor, order.total.amount_minor) == (*expected, expected[1])
        settled = await pay(shop, order.id)
        assert settled.order.status == S.ORDER_STATUS_FULFILLED
        payment = [t for t in settled.transfers if t.kind == wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT]
        assert [(t.amount.asset, t.amount.amount_minor) for t in payment] == [expected]
        paid.append(expected)
    assert await balances(shop, user, "RUB", "XTR", "USDT", "TOKEN") == {
        "RUB": 10**7 - 18000,
        "XTR": 10**7 - 100,
        "USDT": 10**7 - 2_500_000,
        "TOKEN": 3000,
    }
    stars = await create_package(
        shop,
        kind=K.PACKAGE_KIND_TELEGRAM_STARS,
        prices=[price(180, "RUB"), price(1, "XTR")],
        per_unit=True,
        min_quantity=50,
        max_quantity=1000,
    )
    gift = await create_order(shop, user, stars.id, quantity=120, recipient="@someone_else", pay_asset="XTR")
    assert (gift.total.asset, gift.total.amount_minor) == ("XTR", 120)  # per unit: that asset's price x quantity
    await assert_ledger_ok(shop)


@WARMTH
async def test_an_asset_without_a_price_is_price_not_available_and_leaves_nothing(hub: Hub, warm: bool) -> None:
    shop = await priced_shop(hub, "No such price")
    user = await new_user(shop)
    pack = await token_pack(shop, [price(100, "XTR"), price(5000, "RUB")])
    await fund(shop, user, 10**6, "USDT")
    if warm:
        await fund(shop, user, 100, "XTR")
        await purchase(shop, user, pack.id)
    before = await orders_of(shop, user)
    for pay_asset in ("USDT", "TOKEN", "BTC"):  # an asset of the tenant without a price, and one it lacks
        with pytest.raises(FailedPrecondition) as caught:
            await create_order(shop, user, pack.id, pay_asset=pay_asset)
        assert caught.value.reason == "PRICE_NOT_AVAILABLE"
        assert caught.value.metadata == {"asset": pay_asset, "offered": "XTR,RUB"}
        with pytest.raises(FailedPrecondition) as caught:
            await purchase(shop, user, pack.id, pay_asset=pay_asset)
        assert caught.value.reason == "PRICE_NOT_AVAILABLE"
    for bad in ("x!", "R", "RUB\x00", "A" * 11):
        with pytest.raises(InvalidArgument) as refused:
            await purchase(shop, user, pack.id, pay_asset=bad)
        assert [v.field for v in refused.value.field_violations] == ["pay_asset"]
    assert await orders_of(shop, user) == before
    assert (await balance(shop.admin, user, "USDT")).posted.amount_minor == 10**6
    await assert_ledger_ok(shop)


@WARMTH
async def test_purchase_from_wallet_in_a_secondary_asset_debits_that_asset(
    hub: Hub, warm: bool, fast_outcomes: list[str]
) -> None:
    shop = await priced_shop(hub, "Secondary purchase")
    user = await new_user(shop)
    pack = await token_pack(shop, [price(100, "XTR"), price(5000, "RUB")])
    if warm:  # a first purchase in RUB teaches the core the RUB revenue account: the next one is fast
        other = await new_user(shop, "warm-up buyer")
        await fund(shop, other, 5000, "RUB")
        await purchase(shop, other, pack.id, pay_asset="RUB")
    await fund(shop, user, 7000, "RUB")
    await fund(shop, user, 100, "XTR")
    fast_outcomes.clear()
    bought = await purchase(shop, user, pack.id, pay_asset="rub")
    assert fast_outcomes == (["fast"] if warm else ["orm"])
    assert (bought.order.status, bought.order.total.asset, bought.order.total.amount_minor) == (
        S.ORDER_STATUS_FULFILLED,
        "RUB",
        5000,
    )
    assert [(t.kind, t.amount.asset, t.amount.amount_minor) for t in bought.transfers] == [
        (wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT, "RUB", 5000),
        (wallet_pb2.TRANSFER_KIND_DELIVERY, "TOKEN", 1000),
    ]
    assert await balances(shop, user, "RUB", "XTR", "TOKEN") == {"RUB": 2000, "XTR": 100, "TOKEN": 1000}
    got = await shop.admin.orders.GetOrder(pb.GetOrderRequest(order_id=bought.order.id))
    assert got.order == bought.order
    with pytest.raises(FailedPrecondition) as caught:  # 2000 RUB left: short, although XTR would do
        await purchase(shop, user, pack.id, pay_asset="RUB")
    assert (caught.value.reason, caught.value.metadata.get("asset")) == ("INSUFFICIENT_FUNDS", "RUB")
    primary = await purchase(shop, user, pack.id)  # no pay_asset: the primary price, XTR
    assert (primary.order.total.asset, primary.order.total.amount_minor) == ("XTR", 100)
    assert await balances(shop, user, "RUB", "XTR", "TOKEN") == {"RUB": 2000, "XTR": 0, "TOKEN": 2000}
    assert len(await orders_of(shop, user)) == 2
    await assert_ledger_ok(shop)


@WARMTH
async def test_a_promo_code_discounts_a_secondary_asset_order_in_that_asset(hub: Hub, warm: bool) -> None:
    shop = await priced_shop(hub, "Secondary promo")
    user = await new_user(shop)
    pack = await token_pack(shop, [price(100, "XTR"), price(5000, "RUB")])
    if warm:
        other = await new_user(shop, "warm-up buyer")
        await fund(shop, other, 5000, "RUB")
        await purchase(shop, other, pack.id, pay_asset="RUB")
    await discount_code(shop, "QUARTER", 2500, per_user_limit=2)
    await fund(shop, user, 7500, "RUB")
    order = await create_order(shop, user, pack.id, pay_asset="RUB", promo_code="quarter")
    money = [(m.asset, m.amount_minor) for m in (order.subtotal, order.discount, order.total)]
    assert money == [("RUB", 5000), ("RUB", 1250), ("RUB", 3750)]
    settled = await pay(shop, order.id)
    payment = settled.transfers[0]
    assert (payment.kind, payment.amount.asset, payment.amount.amount_minor) == (
        wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT,
        "RUB",
        3750,
    )
    bought = await purchase(shop, user, pack.id, pay_asset="RUB", promo_code="QUARTER")
    assert (bought.order.discount.asset, bought.order.discount.amount_minor, bought.order.total.amount_minor) == (
        "RUB",
        1250,
        3750,
    )
    assert await used_count(shop, "QUARTER") == 2
    assert await balances(shop, user, "RUB", "XTR", "TOKEN") == {"RUB": 0, "XTR": 0, "TOKEN": 2000}
    await assert_ledger_ok(shop)


async def test_referral_commissions_follow_the_order_asset(hub: Hub) -> None:
    shop = await priced_shop(hub, "Secondary commission")
    await set_program(shop, level_rates_bps=[5000])
    referrer, code = await join(shop, "referrer")
    buyer, _ = await join(shop, "buyer", code)
    pack = await token_pack(shop, [price(100, "XTR"), price(5000, "RUB")])
    await fund(shop, buyer, 5000, "RUB")
    bought = await purchase(shop, buyer, pack.id, pay_asset="RUB")
    commissions = [t for t in bought.transfers if t.kind == wallet_pb2.TRANSFER_KIND_REFERRAL_COMMISSION]
    assert [(t.amount.asset, t.amount.amount_minor) for t in commissions] == [("RUB", 2500)]
    assert await balances(shop, referrer, "RUB", "XTR") == {"RUB": 2500, "XTR": 0}
    await assert_ledger_ok(shop)


async def test_a_renewal_pays_in_the_asset_of_the_order_it_renews(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await priced_shop(clocked_hub, "Renewals in RUB")
    rub_buyer, xtr_buyer, dropped = [await new_user(shop, n) for n in ("rub", "xtr", "dropped")]
    plan = await create_package(
        shop,
        kind=K.PACKAGE_KIND_SUBSCRIPTION,
        prices=[price(100, "XTR"), price(5000, "RUB")],
        plan_code="pro",
        period_days=30,
    )
    other = await create_package(
        shop, kind=K.PACKAGE_KIND_SUBSCRIPTION, prices=[price(100, "XTR"), price(5000, "RUB")], plan_code="vip",
        period_days=30,
    )  # fmt: skip
    for user in (rub_buyer, xtr_buyer, dropped):
        await fund(shop, user, 10_000, "RUB")
        await fund(shop, user, 200, "XTR")
    await pay(shop, (await create_order(shop, rub_buyer, plan.id, pay_asset="RUB")).id)
    await pay(shop, (await create_order(shop, xtr_buyer, plan.id)).id)
    await pay(shop, (await create_order(shop, dropped, other.id, pay_asset="RUB")).id)
    await update(shop, package_pb2.Package(id=other.id, prices=[price(100, "XTR")]), "prices")  # no RUB any more
    clock.advance(dt.timedelta(days=30, seconds=20))
    await RenewalService(clocked_hub.deps).run_due()

    for user, asset, amount in [(rub_buyer, "RUB", 5000), (xtr_buyer, "XTR", 100)]:
        renewal, first = await orders_of(shop, user)
        assert (renewal.status, renewal.total.asset, renewal.total.amount_minor) == (
            S.ORDER_STATUS_FULFILLED,
            asset,
            amount,
        )
        assert first.total.asset == asset
    assert await balances(shop, rub_buyer, "RUB", "XTR") == {"RUB": 0, "XTR": 200}
    assert await balances(shop, xtr_buyer, "RUB", "XTR") == {"RUB": 10_000, "XTR": 0}
    # the plan bought in RUB is no longer sold in RUB: it lapses rather than charge XTR
    assert await balances(shop, dropped, "RUB", "XTR") == {"RUB": 5000, "XTR": 200}
    listed = await shop.admin.subscriptions.ListSubscriptions(sub_pb.ListSubscriptionsRequest(user_id=dropped))
    assert [s.status for s in listed.subscriptions] == [subscription_pb2.SUBSCRIPTION_STATUS_EXPIRED]
    assert len(await orders_of(shop, dropped)) == 1
    await assert_ledger_ok(shop)


@WARMTH
async def test_twenty_racing_purchases_in_a_secondary_asset_with_money_for_ten(hub: Hub, warm: bool) -> None:
    shop = await priced_shop(hub, "Secondary race")
    pack = await token_pack(shop, [price(100, "XTR"), price(2_500_000, "USDT")])
    if warm:
        other = await new_user(shop, "warm-up buyer")
        await fund(shop, other, 2_500_000, "USDT")
        await purchase(shop, other, pack.id, pay_asset="USDT")
    user = await new_user(shop, "racer")
    await fund(shop, user, 10 * 2_500_000, "USDT")
    await fund(shop, user, 10_000, "XTR")
    results = await asyncio.gather(
        *(purchase(shop, user, pack.id, pay_asset="USDT") for _ in range(20)), return_exceptions=True
    )
    bought = [r for r in results if isinstance(r, pb.PurchaseFromWalletResponse)]
    short = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    unexpected = [r for r in results if not isinstance(r, pb.PurchaseFromWalletResponse) and r not in short]
    assert (len(bought), len(short)) == (10, 10), unexpected
    assert all(b.order.total.asset == "USDT" for b in bought)
    assert await balances(shop, user, "USDT", "XTR", "TOKEN") == {"USDT": 0, "XTR": 10_000, "TOKEN": 10_000}
    assert len(await orders_of(shop, user)) == 10
    await assert_ledger_ok(shop)


# --- the migration ---------------------------------------------------------------------------


async def test_the_migration_gives_every_existing_package_its_one_price(tmp_path: Path) -> None:
    """0005 backfills package_prices from packages.price_asset/price_amount (SQLite: a file of its own)."""
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade_database(db)
        tenant, package = uuid.uuid4(), uuid.uuid4()
        async with UnitOfWork(db) as uow:
            uow.session.add(TenantRow(id=tenant, name="Old"))
            await uow.session.flush()
            uow.session.add(AssetRow(tenant_id=tenant, code="XTR", scale=0))
            await uow.session.flush()
            uow.session.add(
                PackageRow(tenant_id=tenant, id=package, kind="subscription", price_asset="XTR", price_amount=150)
            )
            await uow.commit()

        def downgrade(connection: Any) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")

        async with db.engine.begin() as connection:
            await connection.run_sync(downgrade)
        await upgrade_database(db)
        async with UnitOfWork(db) as uow:
            rows = (await uow.session.execute(select(PackagePriceRow))).scalars().all()
            found = [(r.tenant_id, r.package_id, r.asset, r.amount, r.position) for r in rows]
        assert found == [(tenant, package, "XTR", 150, 0)]
    finally:
        await db.dispose()
