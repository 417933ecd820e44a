"""Hostile amounts, JSON and references through the real gRPC server: every amount is bounded so
that no sum or product the core computes leaves int64 (a request beyond a bound is
INVALID_ARGUMENT, a credit that would carry a balance past its bound is FAILED_PRECONDITION
BALANCE_LIMIT), JSON inputs are strict and shallow, and no reference can alter an event's JSON.

Some tests set up extreme balances through the domain layer (as data posted under older, looser
bounds could be): the RPCs must still answer with a clean status and exact sums."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_AMOUNT, MAX_BALANCE
from core_server.domain.money.ledger import ADJUSTMENTS, REVENUE, Posting, System, Wallet
from core_server.store.sums import combine, sum_expression, sum_parts, to_int64
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import fulfillment_service_pb2 as fulfillment_pb
from sdk.billinghub.v1 import package_pb2, report_service_pb2
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.commerce.catalog import create_package, price, stars_per_unit
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import settled_events
from tests.commerce.referrals import join, set_program
from tests.hub import Hub, TenantHandle
from tests.money import CREDIT, DEBIT, assert_ledger_ok, balance, fund, money, new_user

INT64_MAX = 2**63 - 1
OLD_SENTINEL = "-7777777777777777"  # the fast path once split the event JSON on this text


async def _post(hub: Hub, shop: TenantHandle, asset: str, postings: list[Posting]) -> None:
    """Postings straight through the ledger (no per-amount bound), as the setup of extreme state."""
    async with hub.deps.uow() as uow:
        await ledger.post(uow, hub.deps.feed, uuid.UUID(shop.id), asset, postings, hub.deps.clock.now())
        await uow.commit()


def _setup(debit: ledger.Account, credit: ledger.Account, amount: int) -> Posting:
    return Posting(debit, credit, amount, "adjustment", reason="test setup", actor="tests")


async def _adjust(shop: TenantHandle, user: str, amount: int) -> pb.AdjustBalanceResponse:
    request = pb.AdjustBalanceRequest(user_id=user, amount=money(amount), direction=CREDIT, reason="r", actor="a")
    return await shop.admin.wallet.AdjustBalance(request)


# 13. Amount overflow ---------------------------------------------------------------------------


async def test_amounts_beyond_the_bound_are_invalid_arguments(hub: Hub) -> None:
    """93 credits of 10^17 once overflowed the balance (INTERNAL at the 93rd): each is now refused
    up front, and so is 2^63 - 1 (the largest int64) anywhere an amount is taken."""
    shop = await hub.new_tenant("Bounded amounts")
    user = await new_user(shop)
    for amount in (10**17, MAX_AMOUNT + 1, INT64_MAX):
        with pytest.raises(InvalidArgument) as caught:
            await _adjust(shop, user, amount)
        assert [v.field for v in caught.value.field_violations] == ["amount.amount_minor"]
        with pytest.raises(InvalidArgument):
            await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(amount)))
        with pytest.raises(InvalidArgument):
            await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(amount)))
    credited = await _adjust(shop, user, MAX_AMOUNT)
    assert credited.balance.posted.amount_minor == MAX_AMOUNT
    await assert_ledger_ok(shop)


async def test_a_credit_past_the_balance_bound_fails_cleanly(hub: Hub) -> None:
    shop = await hub.new_tenant("Balance bound")
    user = await new_user(shop)
    await _post(hub, shop, "TOKEN", [_setup(System("setup"), Wallet(uuid.UUID(user)), MAX_BALANCE - 10)])
    with pytest.raises(FailedPrecondition) as caught:
        await _adjust(shop, user, 11)
    assert caught.value.reason == "BALANCE_LIMIT"
    assert (await balance(shop.admin, user)).posted.amount_minor == MAX_BALANCE - 10
    reached = await _adjust(shop, user, 10)
    assert reached.balance.posted.amount_minor == MAX_BALANCE
    await assert_ledger_ok(shop)


async def test_a_charge_into_full_revenue_buckets_fails_cleanly(hub: Hub) -> None:
    """Revenue (a system account) is bounded too; on PostgreSQL this runs the one-statement fast path."""
    shop = await hub.new_tenant("Full revenue")
    user = await new_user(shop)
    await fund(shop, user, 1_000)
    await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1)))  # learns the buckets
    for _bucket in range(8):  # each posting lands in a bucket with room: all eight fill up
        await _post(hub, shop, "TOKEN", [_setup(System("setup"), System(REVENUE), MAX_BALANCE - 100)])
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(200)))
    assert caught.value.reason == "BALANCE_LIMIT"
    assert (await balance(shop.admin, user)).posted.amount_minor == 999
    charged = await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(50)))
    assert charged.transfer.debit_balance_after == 949
    await assert_ledger_ok(shop)


async def test_a_debit_whose_first_bucket_is_full_lands_in_one_with_room(hub: Hub) -> None:
    """A fast unit changes its balance rows in one statement on PostgreSQL; when the bucket it
    picked has no room, the legs before it stay applied and the bucket leg alone tries the others.
    With seven of the eight adjustment buckets full, most debits first pick a full one."""
    shop = await hub.new_tenant("Seven full buckets")
    user = await new_user(shop)
    await fund(shop, user, 10_000)  # an AdjustBalance credit: learns the adjustment buckets
    for _bucket in range(7):
        await _post(hub, shop, "TOKEN", [_setup(System("setup"), System(ADJUSTMENTS), MAX_BALANCE - 100)])
    for n in range(1, 13):
        request = pb.AdjustBalanceRequest(user_id=user, amount=money(200), direction=DEBIT, reason="r", actor="a")
        debited = await shop.admin.wallet.AdjustBalance(request)
        assert debited.balance.posted.amount_minor == 10_000 - 200 * n
    await assert_ledger_ok(shop)


async def test_a_package_amount_beyond_the_bound_is_refused_at_create(hub: Hub) -> None:
    """A package delivering 2^63 - 1 was accepted and failed with INTERNAL when paid."""
    shop = await hub.new_tenant("Package bounds")
    for fields, bad in [
        ({"price": price(1, "XTR"), "delivers": price(INT64_MAX, "TOKEN")}, "package.delivers.amount_minor"),
        ({"price": price(INT64_MAX, "XTR"), "delivers": price(1, "TOKEN")}, "package.price.amount_minor"),
        ({"price": price(-1, "XTR"), "delivers": price(1, "TOKEN")}, "package.price.amount_minor"),
        (  # per unit: delivers x max_quantity would pass the bound
            {
                "price": price(1, "XTR"),
                "delivers": price(10**9, "TOKEN"),
                "per_unit": True,
                "min_quantity": 1,
                "max_quantity": 10**7,
            },
            "package.max_quantity",
        ),
        (
            {
                "price": price(10**9, "XTR"),
                "delivers": price(1, "TOKEN"),
                "per_unit": True,
                "min_quantity": 1,
                "max_quantity": 10**7,
            },
            "package.max_quantity",
        ),
        ({"price": price(1, "XTR"), "delivers": price(1, "TOKEN"), "premium_months": 40_000}, "package.premium_months"),
        ({"price": price(1, "XTR"), "delivers": price(1, "TOKEN"), "period_days": -5}, "package.period_days"),
        (
            {"price": price(1, "XTR"), "delivers": price(1, "TOKEN"), "stars_quantity": INT64_MAX},
            "package.stars_quantity",
        ),
        (
            {"price": price(1, "XTR"), "delivers": price(1, "TOKEN"), "posts_per_day": 2**31 - 1},
            "package.posts_per_day",
        ),
    ]:
        with pytest.raises(InvalidArgument) as caught:
            await create_package(shop, kind=package_pb2.PACKAGE_KIND_TOPUP, **fields)
        assert bad in [v.field for v in caught.value.field_violations], (fields, caught.value.field_violations)


async def test_per_unit_delivery_at_the_largest_quantity_fits(hub: Hub) -> None:
    shop = await hub.new_tenant("Per unit bound")
    user = await new_user(shop)
    package = await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_TOPUP,
        price=price(1, "XTR"),
        delivers=price(MAX_AMOUNT // 1000, "TOKEN"),
        per_unit=True,
        min_quantity=1,
        max_quantity=1000,
    )
    await fund(shop, user, 1000, "XTR")
    order = await create_order(shop, user, package.id, quantity=1000)
    await pay(shop, order.id)
    assert (await balance(shop.admin, user)).posted.amount_minor == MAX_AMOUNT // 1000 * 1000
    await assert_ledger_ok(shop)


async def test_a_referral_conversion_of_the_largest_order_stays_bounded(hub: Hub) -> None:
    """10^9 payout units per order unit times a 10^15 order once overflowed the commission."""
    shop = await hub.new_tenant("Conversion bound")
    await set_program(shop, level_rates_bps=[1000], payout_asset="TOKEN", rate_numerator=10**9, rate_denominator=1)
    referrer, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    package = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(MAX_AMOUNT, "XTR"), delivers=price(1, "TOKEN")
    )
    await fund(shop, buyer, MAX_AMOUNT, "XTR")
    order = await create_order(shop, buyer, package.id)
    await pay(shop, order.id)
    earned = (await balance(shop.admin, referrer, "TOKEN")).posted.amount_minor
    assert earned == MAX_AMOUNT * 1000 // 10_000  # the converted base is capped at MAX_AMOUNT
    await assert_ledger_ok(shop)


async def test_sums_of_many_large_transfers_stay_exact(hub: Hub) -> None:
    """Verification and reports sum transfers: on SQLite a plain SUM raises past int64, however
    bounded each balance stays. Three round trips of nearly MAX_BALANCE sum past 2^63."""
    shop = await hub.new_tenant("Big sums")
    user = uuid.UUID(await new_user(shop))
    big = MAX_BALANCE - 100
    for _ in range(3):
        await _post(hub, shop, "TOKEN", [_setup(System("setup"), Wallet(user), big)])
        await _post(hub, shop, "TOKEN", [_setup(Wallet(user), System("setup"), big)])
        await _post(hub, shop, "TOKEN", [_setup(System("setup"), System(REVENUE), big)])
        await _post(hub, shop, "TOKEN", [_setup(System(REVENUE), System("setup"), big)])
    await _post(hub, shop, "TOKEN", [_setup(System("setup"), System(REVENUE), big)])
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 13
    start = timestamp_pb2.Timestamp()
    start.FromDatetime(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    end = timestamp_pb2.Timestamp()
    end.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    stats = await shop.admin.reports.GetTenantStats(
        report_service_pb2.GetTenantStatsRequest(start_time=start, end_time=end)
    )
    assert {m.asset: m.amount_minor for m in stats.stats.revenue} == {"TOKEN": big}
    series = await shop.admin.reports.GetRevenueSeries(
        report_service_pb2.GetRevenueSeriesRequest(asset="TOKEN", start_time=start, end_time=end)
    )
    assert sum(point.revenue.amount_minor for point in series.points) == big


# 14. Strict, shallow JSON ------------------------------------------------------------------------

HOSTILE_JSON = [
    '{"views": NaN}',
    '{"views": Infinity}',
    '{"views": -Infinity}',
    '{"a": ' * 3000 + "1" + "}" * 3000,
    "[" * 3000 + "]" * 3000,
    '{"a": [' + "[" * 25 + "]" * 25 + "]}",
    '{"a": 1, "a": 2}',
    '{"a": "' + "x" * 20_000 + '"}',
]


@pytest.mark.parametrize("text", HOSTILE_JSON, ids=range(len(HOSTILE_JSON)))
async def test_package_features_must_be_strict_shallow_json(hub: Hub, text: str) -> None:
    shop = await hub.new_tenant("Strict features")
    with pytest.raises(InvalidArgument) as caught:
        await create_package(
            shop, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(10, "XTR"), posts_per_day=3, features=text
        )
    assert [v.field for v in caught.value.field_violations] == ["package.features"]


@pytest.mark.parametrize("text", HOSTILE_JSON, ids=range(len(HOSTILE_JSON)))
async def test_task_results_must_be_strict_shallow_json(hub: Hub, text: str) -> None:
    shop = await hub.new_tenant("Strict results")
    user = await new_user(shop)
    stars = await stars_per_unit(shop)
    await fund(shop, user, 9_000, "RUB")
    order = await create_order(shop, user, stars.id, quantity=50, recipient="gift_target")
    await pay(shop, order.id)
    kind = package_pb2.PACKAGE_KIND_TELEGRAM_STARS
    [task] = (await shop.admin.fulfillment.LeaseTasks(fulfillment_pb.LeaseTasksRequest(kind=kind))).tasks
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.fulfillment.CompleteTask(fulfillment_pb.CompleteTaskRequest(task_id=task.id, result=text))
    assert [v.field for v in caught.value.field_violations] == ["result"]
    done = await shop.admin.fulfillment.CompleteTask(
        fulfillment_pb.CompleteTaskRequest(task_id=task.id, result='{"tx": "abc", "n": [1, 2.5, null]}')
    )
    assert json.loads(done.task.result) == {"tx": "abc", "n": [1, 2.5, None]}


async def test_strict_json_keeps_ordinary_features(hub: Hub) -> None:
    shop = await hub.new_tenant("Ordinary features")
    features = {"views": "1000-2500", "nested": {"deep": [1, 2, {"x": True}]}, "ru": "Просмотры"}
    package = await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_SERVICE,
        price=price(10, "XTR"),
        posts_per_day=3,
        features=json.dumps(features, ensure_ascii=False),
    )
    assert json.loads(package.features) == features


# 15. A reference cannot alter an event ---------------------------------------------------------

HOSTILE_REFERENCES = [
    OLD_SENTINEL,
    f'a"b\\c{OLD_SENTINEL}"}}',
    f'{OLD_SENTINEL}","balance_minor":1,"x":"',
    f"\\{OLD_SENTINEL}\\",
    '","kind":"forged',
    "\u2028\u00e9\U0001f600" + OLD_SENTINEL,
]


async def test_a_usage_reference_never_changes_the_event_json(hub: Hub) -> None:
    """On PostgreSQL the second and later charges run the one-statement fast path, which once
    spliced the balance into the event JSON at the first occurrence of a sentinel text."""
    shop = await hub.new_tenant("Hostile references")
    user = await new_user(shop)
    await fund(shop, user, 1_000)
    expected_balance = 1_000
    transfers: dict[str, tuple[str, int]] = {}
    for index, reference in enumerate(HOSTILE_REFERENCES + HOSTILE_REFERENCES, start=1):
        charged = await shop.admin.wallet.ChargeUsage(
            pb.ChargeUsageRequest(user_id=user, amount=money(index), reference=reference)
        )
        expected_balance -= index
        assert charged.transfer.debit_balance_after == expected_balance
        assert charged.transfer.reference == reference
        transfers[charged.transfer.id] = (reference, expected_balance)
    listed = await settled_events(shop, "wallet.debited")
    seen = {}
    for event in listed:
        data = json.loads(event.data)
        seen[data["transfer_id"]] = data
    assert set(seen) == set(transfers)
    for transfer_id, (reference, after) in transfers.items():
        data = seen[transfer_id]
        assert data == {
            "user_id": user,
            "asset": "TOKEN",
            "amount_minor": data["amount_minor"],
            "balance_minor": after,
            "transfer_id": transfer_id,
            "kind": "usage",
            "reference": reference,
        }
    assert (await balance(shop.admin, user)).posted.amount_minor == expected_balance
    await assert_ledger_ok(shop)


# Exact sums on SQLite ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(-(2**62), 2**62), max_size=40))
def test_sqlite_sums_are_exact_past_int64(values: list[int]) -> None:
    """store/sums.py: the split sum equals Python's exact sum, however far past 2^63 it goes."""
    engine = sa.create_engine("sqlite://")
    table = sa.Table("amounts", sa.MetaData(), sa.Column("value", sa.BigInteger))
    with engine.begin() as connection:
        table.create(connection)
        if values:
            connection.execute(table.insert(), [{"value": value} for value in values])
        parts = connection.execute(sa.select(*sum_parts("sqlite", table.c.value))).one()
        single = connection.execute(sa.select(sum_expression("sqlite", table.c.value))).scalar()
    assert combine(parts) == sum(values)
    if values and abs(sum(values)) <= 2**62:  # exact clear of the int64 limits, as documented
        assert single == sum(values)
    assert to_int64(sum(values)) == max(-(2**63), min(2**63 - 1, sum(values)))
