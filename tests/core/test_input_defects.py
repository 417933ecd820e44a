"""Malformed input through the public RPCs, as a careless or hostile client sends it.

Every bad field is INVALID_ARGUMENT with a BadRequest violation naming its proto field path, every
bad field of a request is named in one answer, a call that fails changes nothing, and nothing a
client sends makes the core answer INTERNAL (or hang). A filter naming an object of another tenant
(or of no one) is NOT_FOUND, as reading that object is.

One arranged tenant (`World`) per backend serves the whole module: it has at least two of
everything a list pages through, so that a real page token can be taken apart and its key forged.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import func, select

from core_server.store.models import Base
from sdk import BillingHubClient, BillingHubError, InvalidArgument, NotFound
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import common_pb2, package_pb2, promo_pb2, referral_pb2, tenant_pb2, topup_pb2
from sdk.billinghub.v1 import event_service_pb2 as events_pb
from sdk.billinghub.v1 import fulfillment_service_pb2 as tasks_pb
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import platform_service_pb2 as platform_pb
from sdk.billinghub.v1 import promo_service_pb2 as promos_pb
from sdk.billinghub.v1 import referral_service_pb2 as referrals_pb
from sdk.billinghub.v1 import report_service_pb2 as reports_pb
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions_pb
from sdk.billinghub.v1 import topup_service_pb2 as topups_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.referrals import join, set_program
from tests.hub import Hub, TenantHandle
from tests.money import CREDIT, assert_ledger_ok, fund, money, new_user

UNKNOWN_ENUM = 99
TELEGRAM = common_pb2.PLATFORM_TELEGRAM
FILE_ID = "AgACAgIAAxkBAAIBQ2Z_receipt-photo_1"
NIL_TENANT = uuid.UUID(int=0)


@dataclass
class World:
    """A tenant with two or more of everything, a spare tenant for platform calls, and a stranger
    tenant whose ids the first must not see."""

    hub: Hub
    shop: TenantHandle
    spare: TenantHandle
    other: TenantHandle
    alice: str  # the referrer; funded in every asset
    alice_code: str
    bob: str  # invited by alice; subscribed to "pro"
    carol: str  # invited by alice; subscribed to "max"
    pack: str  # a token pack (XTR -> TOKEN)
    spare_package: str
    pending_orders: list[str]
    paid_order: str
    stars_order: str
    task: str
    subscriptions: list[str]  # bob's, carol's
    payouts: list[str]
    topups: list[str]
    holds: list[str]
    spare_key: str
    stranger: str  # a user of `other`
    foreign_order: str  # an order of `other`
    foreign_package: str

    @property
    def admin(self) -> BillingHubClient:
        return self.shop.admin

    @property
    def tenants(self) -> list[uuid.UUID]:
        return [uuid.UUID(t.id) for t in (self.shop, self.spare, self.other)]


async def _plan(shop: TenantHandle, code: str) -> package_pb2.Package:
    return await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code=code, period_days=30
    )


async def _arrange(hub: Hub) -> World:
    shop = await hub.new_tenant("Inputs")
    spare = await hub.new_tenant("Spare")
    other = await hub.new_tenant("Stranger")
    await ensure_rub(shop)
    await set_program(shop, level_rates_bps=[5000])
    alice, alice_code = await join(shop, "1", username="alice")
    bob, _ = await join(shop, "2", alice_code, username="bob")
    carol, _ = await join(shop, "3", alice_code, username="carol")
    for user in (alice, bob, carol):
        await fund(shop, user, 100_000, "XTR")
        await fund(shop, user, 100_000, "RUB")
    pack = await token_pack(shop)
    spare_package = await token_pack(shop, stars=7, tokens=70)
    stars = await stars_per_unit(shop)
    pro, max_plan = await _plan(shop, "pro"), await _plan(shop, "max")
    paid_order = (await create_order(shop, bob, pack.id)).id  # a commission for alice
    await pay(shop, paid_order)
    await pay(shop, (await create_order(shop, carol, pack.id)).id)
    pending_orders = [(await create_order(shop, alice, pack.id)).id for _ in range(3)]
    stars_orders = [(await create_order(shop, alice, stars.id, quantity=50, recipient="gift_target")).id]
    stars_orders.append((await create_order(shop, alice, stars.id, quantity=60, recipient="gift_target")).id)
    tasks = [(await pay(shop, order)).task.id for order in stars_orders]
    for user, plan in ((bob, pro), (carol, max_plan)):
        await pay(shop, (await create_order(shop, user, plan.id)).id)
    listed = await shop.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest())
    by_user = {s.user_id: s.id for s in listed.subscriptions}
    payouts = []
    for _ in range(3):
        request = referrals_pb.CreatePayoutRequestRequest(user_id=alice, amount_minor=10, destination="bc1qexample")
        payouts.append((await shop.admin.referrals.CreatePayoutRequest(request)).payout_request.id)
    card = topup_pb2.TopupMethod(code="card", title={"en": "Card"}, instructions={"en": "Pay"}, active=True)
    await shop.admin.topups.SetTopupMethods(topups_pb.SetTopupMethodsRequest(methods=[card]))
    topups = []
    for _ in range(3):
        request = topups_pb.CreateTopupRequestRequest(
            user_id=alice, method_code="card", amount=money(100, "RUB"), receipt=FILE_ID
        )
        topups.append((await shop.admin.topups.CreateTopupRequest(request)).topup_request.id)
    for code in ("WELCOME", "BONUS", "SPARE"):
        message = promo_pb2.PromoCode(code=code, kind=promo_pb2.PROMO_KIND_CREDIT, credit=money(5, "XTR"))
        await shop.admin.promos.CreatePromoCode(promos_pb.CreatePromoCodeRequest(promo_code=message))
    holds = []
    for _ in range(2):
        request = wallet_pb.CreateHoldRequest(user_id=alice, amount=money(10, "XTR"), reference="hold")
        holds.append((await shop.admin.wallet.CreateHold(request)).hold.id)
    spare_key = (
        await hub.platform.platform.CreateApiKey(
            platform_pb.CreateApiKeyRequest(tenant_id=spare.id, role=tenant_pb2.API_KEY_ROLE_PARTNER, name="spare")
        )
    ).api_key.id
    stranger = await new_user(other, "1")
    foreign_pack = await token_pack(other)
    foreign_order = (await create_order(other, stranger, foreign_pack.id)).id
    return World(
        hub=hub,
        shop=shop,
        spare=spare,
        other=other,
        alice=alice,
        alice_code=alice_code,
        bob=bob,
        carol=carol,
        pack=pack.id,
        spare_package=spare_package.id,
        pending_orders=pending_orders,
        paid_order=paid_order,
        stars_order=stars_orders[0],
        task=tasks[0],
        subscriptions=[by_user[bob], by_user[carol]],
        payouts=payouts,
        topups=topups,
        holds=holds,
        spare_key=spare_key,
        stranger=stranger,
        foreign_order=foreign_order,
        foreign_package=foreign_pack.id,
    )


@pytest.fixture(scope="module")
async def world(hub: Hub) -> World:
    return await _arrange(hub)


async def snapshot(world: World) -> dict[str, object]:
    """Every row of the world's tenants and the row count of every table: what a failed call
    must leave as it found it."""
    state: dict[str, object] = {}
    tables = Base.metadata.sorted_tables
    counts = select(*(select(func.count()).select_from(table).scalar_subquery() for table in tables))
    async with world.hub.deps.uow() as uow:
        counted = (await uow.session.execute(counts)).one()  # every table's count in one statement
        for table, count in zip(tables, counted, strict=True):
            state[f"{table.name}:count"] = count
            column = table.c.get("tenant_id") if table.name != "tenants" else table.c.id
            if column is not None:
                rows = (await uow.session.execute(select(table).where(column.in_(world.tenants)))).all()
                state[table.name] = sorted(repr(tuple(row)) for row in rows)
    return state


async def outcome(call: Awaitable[object]) -> str:
    """How a call ended, as one comparable string: OK, a status code, or INVALID_ARGUMENT with the
    violated fields."""
    try:
        await call
    except InvalidArgument as error:
        return "INVALID_ARGUMENT " + " ".join(sorted({v.field for v in error.field_violations}))
    except BillingHubError as error:
        return error.code.name
    except TimeoutError:
        return "HANG"
    return "OK"


async def invalid_fields(call: Awaitable[object]) -> set[str]:
    with pytest.raises(InvalidArgument) as caught:
        await call
    return {v.field for v in caught.value.field_violations}


async def drain(stream: Any) -> None:
    """Read a server stream until it ends (or fails), giving up after a few seconds."""
    try:
        async with asyncio.timeout(5):
            async for _ in stream:
                pass
    finally:
        stream.cancel()  # after a give-up the core would otherwise keep the stream open


async def first_of(stream: Any) -> None:
    """Read one item of an endless stream (WatchEvents), giving up after a few seconds."""
    try:
        async with asyncio.timeout(5):
            async for _ in stream:
                return
    finally:
        stream.cancel()  # leaving the loop does not end the call: the core would keep streaming to nobody


def ts(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def at(year: int, month: int = 1, day: int = 1) -> timestamp_pb2.Timestamp:
    return ts(int(dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp()))


# --- 6: unknown enum values in list filters ------------------------------------------------------

ENUM_FILTERS: dict[str, tuple[Callable[[World], Awaitable[object]], str]] = {
    "ListTasks.status": (lambda w: w.admin.fulfillment.ListTasks(tasks_pb.ListTasksRequest(status=99)), "status"),
    "ListTasks.kind": (lambda w: w.admin.fulfillment.ListTasks(tasks_pb.ListTasksRequest(kind=99)), "kind"),
    "ListTenants.status": (
        lambda w: w.hub.platform.platform.ListTenants(platform_pb.ListTenantsRequest(status=99)),
        "status",
    ),
    "ListUsers.platform": (lambda w: w.admin.users.ListUsers(users_pb.ListUsersRequest(platform=99)), "platform"),
    "ListPackages.kind": (lambda w: w.admin.catalog.ListPackages(catalog_pb.ListPackagesRequest(kind=99)), "kind"),
    "ListOrders.statuses": (
        lambda w: w.admin.orders.ListOrders(orders_pb.ListOrdersRequest(statuses=[1, 99])),
        "statuses",
    ),
    "ListSubscriptions.status": (
        lambda w: w.admin.subscriptions.ListSubscriptions(subscriptions_pb.ListSubscriptionsRequest(status=99)),
        "status",
    ),
    "ListPayoutRequests.status": (
        lambda w: w.admin.referrals.ListPayoutRequests(referrals_pb.ListPayoutRequestsRequest(status=99)),
        "status",
    ),
    "ListTopupRequests.status": (
        lambda w: w.admin.topups.ListTopupRequests(topups_pb.ListTopupRequestsRequest(status=99)),
        "status",
    ),
    "ExportOrders.statuses": (
        lambda w: drain(w.admin.orders.ExportOrders(orders_pb.ExportOrdersRequest(statuses=[2, 99]))),
        "statuses",
    ),
    "ListTransfers.kinds": (
        lambda w: w.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(kinds=[1, 99])),
        "kinds",
    ),
    "LeaseTasks.kind": (lambda w: w.admin.fulfillment.LeaseTasks(tasks_pb.LeaseTasksRequest(kind=99)), "kind"),
    "GetLeaderboard.metric": (
        lambda w: w.admin.referrals.GetLeaderboard(referrals_pb.GetLeaderboardRequest(metric=99)),
        "metric",
    ),
}


@pytest.mark.parametrize("case", ENUM_FILTERS)
async def test_an_unknown_enum_value_is_invalid_argument_not_no_filter(world: World, case: str) -> None:
    call, field = ENUM_FILTERS[case]
    before = await snapshot(world)
    assert await outcome(call(world)) == f"INVALID_ARGUMENT {field}"
    assert await snapshot(world) == before


async def test_list_tasks_and_tenants_still_filter_by_known_values(world: World) -> None:
    queued = await world.admin.fulfillment.ListTasks(tasks_pb.ListTasksRequest(status=1))
    assert {t.id for t in queued.tasks} >= {world.task}
    assert not list((await world.admin.fulfillment.ListTasks(tasks_pb.ListTasksRequest(status=3))).tasks)
    suspended = await world.hub.platform.platform.ListTenants(
        platform_pb.ListTenantsRequest(status=tenant_pb2.TENANT_STATUS_SUSPENDED, page_size=500)
    )
    assert world.shop.id not in {t.id for t in suspended.tenants}


# --- 10: forged page tokens ----------------------------------------------------------------------


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _untoken(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return decoded


# list -> (a call taking page_size and page_token, keys that this list never issues)
Lister = Callable[[World, int, str], Awaitable[Any]]
UUID_LIKE = ["not-a-uuid", "0" * 31, "abc", str(2**70)]
LISTS: dict[str, tuple[Lister, list[object]]] = {
    "ListTenants": (
        lambda w, n, t: w.hub.platform.platform.ListTenants(platform_pb.ListTenantsRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
    "ListApiKeys": (
        lambda w, n, t: w.hub.platform.platform.ListApiKeys(platform_pb.ListApiKeysRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
    "ListUsers": (
        lambda w, n, t: w.admin.users.ListUsers(users_pb.ListUsersRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
    "ListPackages": (
        lambda w, n, t: w.admin.catalog.ListPackages(catalog_pb.ListPackagesRequest(page_size=n, page_token=t)),
        ["abc", "-5", "1.5", str(2**70), 2**70, "0x10", "1e3"],
    ),
    "ListTransfers": (
        lambda w, n, t: w.admin.wallet.ListTransfers(
            wallet_pb.ListTransfersRequest(user_id=w.alice, page_size=n, page_token=t)
        ),
        UUID_LIKE,
    ),
    "ListAuditEntries": (
        lambda w, n, t: w.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
    "ListOrders": (
        lambda w, n, t: w.admin.orders.ListOrders(orders_pb.ListOrdersRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
    "ListTasks": (
        lambda w, n, t: w.admin.fulfillment.ListTasks(tasks_pb.ListTasksRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
    "ListSubscriptions": (
        lambda w, n, t: w.admin.subscriptions.ListSubscriptions(
            subscriptions_pb.ListSubscriptionsRequest(page_size=n, page_token=t)
        ),
        [
            "not-a-uuid",
            f"2030-01-01T00:00:00/{uuid.uuid4().hex}",  # no offset: the list issues UTC times
            "2030-01-01T00:00:00+00:00/not-a-uuid",
            f"0001-01-01T00:00:00+14:00/{uuid.uuid4().hex}",  # before year 1 in UTC
            f"9999-12-31T23:00:00-05:00/{uuid.uuid4().hex}",  # after year 9999 in UTC
            f"2030-01-01T00:00:00+00:00/{uuid.uuid4().hex}/x",
            "/",
        ],
    ),
    "ListReferrals": (
        lambda w, n, t: w.admin.referrals.ListReferrals(
            referrals_pb.ListReferralsRequest(user_id=w.alice, page_size=n, page_token=t)
        ),
        UUID_LIKE,
    ),
    "ListPayoutRequests": (
        lambda w, n, t: w.admin.referrals.ListPayoutRequests(
            referrals_pb.ListPayoutRequestsRequest(page_size=n, page_token=t)
        ),
        UUID_LIKE,
    ),
    "ListPromoCodes": (
        lambda w, n, t: w.admin.promos.ListPromoCodes(promos_pb.ListPromoCodesRequest(page_size=n, page_token=t)),
        ["x" * 33, "lower-case", "a b", "AB"],
    ),
    "ListTopupRequests": (
        lambda w, n, t: w.admin.topups.ListTopupRequests(topups_pb.ListTopupRequestsRequest(page_size=n, page_token=t)),
        UUID_LIKE,
    ),
}
# Keys of the wrong type or shape for every list.
ANY_LIST_BAD_KEYS: list[object] = [123, -5, None, True, ["x"], {"x": 1}, "a\x00b", "ÿ" * 5000]


@pytest.mark.parametrize("name", LISTS)
async def test_a_forged_page_token_is_invalid_argument(world: World, name: str) -> None:
    call, own_bad_keys = LISTS[name]
    first = await call(world, 1, "")
    assert first.next_page_token, f"{name} needs two items in the world"
    digest = _untoken(first.next_page_token)["f"]
    forged = {f"key {key!r}": _token({"a": key, "f": digest}) for key in [*own_bad_keys, *ANY_LIST_BAD_KEYS]}
    forged |= {
        "no key": _token({"f": digest}),
        "no digest": _token({"a": _untoken(first.next_page_token)["a"]}),
        "a list": _token([1, 2]),
        "a string": _token("abc"),
        "a number": _token(5),
        "null": _token(None),
        "not base64": "!!!!",
        "not JSON": base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
        "nested JSON": base64.urlsafe_b64encode(b"[" * 700 + b"]" * 700).decode(),
        "deeply nested JSON": base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode(),
        "huge": _token({"a": "x" * 100_000, "f": digest}),
    }
    outcomes = {case: await outcome(call(world, 1, token)) for case, token in forged.items()}
    assert outcomes == dict.fromkeys(forged, "INVALID_ARGUMENT page_token")
    second = await call(world, 1, first.next_page_token)  # the real token still pages on
    assert second != first


# --- 11: timestamps out of range -----------------------------------------------------------------

BAD_TIMES = {
    "seconds 2**40": ts(2**40),
    "nanos 2**31-1": ts(0, 2**31 - 1),
    "nanos -1": ts(1_700_000_000, -1),
    "nanos 10**9": ts(1_700_000_000, 10**9),
    "year 1": ts(-62135596800),
    "before 1970": ts(-1),
    "year 10000": ts(253402300800),
    "year 9500": at(9500),
    "min int64": ts(-(2**63)),
    "max int64": ts(2**63 - 1),
}
TimedCall = Callable[[World, str, timestamp_pb2.Timestamp], Awaitable[object]]


async def _export(w: World, field: str, value: timestamp_pb2.Timestamp) -> None:
    await drain(w.admin.wallet.ExportTransfers(wallet_pb.ExportTransfersRequest(asset="XTR", **{field: value})))


TIMED: dict[str, tuple[TimedCall, str]] = {
    "ListTransfers": (
        lambda w, f, v: w.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(**{f: v})),  # type: ignore[arg-type]
        "",
    ),
    "ExportTransfers": (_export, ""),
    "ExportOrders": (
        lambda w, f, v: drain(w.admin.orders.ExportOrders(orders_pb.ExportOrdersRequest(**{f: v}))),  # type: ignore[arg-type]
        "",
    ),
    "ExportUsers": (
        lambda w, f, v: drain(w.admin.users.ExportUsers(users_pb.ExportUsersRequest(**{f: v}))),  # type: ignore[arg-type]
        "",
    ),
    "GetLeaderboard": (
        lambda w, f, v: w.admin.referrals.GetLeaderboard(
            referrals_pb.GetLeaderboardRequest(metric=referrals_pb.LEADERBOARD_METRIC_INVITED, **{f: v})  # type: ignore[arg-type]
        ),
        "",
    ),
    "GetTenantStats": (
        lambda w, f, v: w.admin.reports.GetTenantStats(reports_pb.GetTenantStatsRequest(**{f: v})),  # type: ignore[arg-type]
        "",
    ),
    "GetPlatformStats": (
        lambda w, f, v: w.hub.platform.reports.GetPlatformStats(reports_pb.GetPlatformStatsRequest(**{f: v})),  # type: ignore[arg-type]
        "",
    ),
    "GetRevenueSeries": (
        lambda w, f, v: w.admin.reports.GetRevenueSeries(reports_pb.GetRevenueSeriesRequest(asset="XTR", **{f: v})),  # type: ignore[arg-type]
        "",
    ),
    "CreatePromoCode": (
        lambda w, f, v: w.admin.promos.CreatePromoCode(
            promos_pb.CreatePromoCodeRequest(
                promo_code=promo_pb2.PromoCode(
                    code="TIMED", kind=promo_pb2.PROMO_KIND_CREDIT, credit=money(5, "XTR"), **{f: v}
                )
            )
        ),
        "promo_code.",
    ),
}


@pytest.mark.parametrize("rpc", TIMED)
@pytest.mark.parametrize("field", ["start_time", "end_time"])
async def test_an_out_of_range_timestamp_is_invalid_argument(world: World, rpc: str, field: str) -> None:
    call, prefix = TIMED[rpc]
    before = await snapshot(world)
    outcomes = {case: await outcome(call(world, field, value)) for case, value in BAD_TIMES.items()}
    assert outcomes == dict.fromkeys(BAD_TIMES, f"INVALID_ARGUMENT {prefix}{field}")
    assert await snapshot(world) == before


async def test_timestamps_at_the_documented_bounds_are_accepted(world: World) -> None:
    epoch, last = ts(0), at(9000)
    last.seconds -= 1
    stats = await world.admin.reports.GetTenantStats(reports_pb.GetTenantStatsRequest(start_time=epoch, end_time=last))
    assert stats.stats.users_total == 3
    latest = ts(last.seconds, 999_999_999)
    listed = await world.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(start_time=epoch, end_time=latest))
    assert listed.transfers
    series = await world.admin.reports.GetRevenueSeries(reports_pb.GetRevenueSeriesRequest(asset="XTR", end_time=last))
    assert series.points
    board = await world.admin.referrals.GetLeaderboard(
        referrals_pb.GetLeaderboardRequest(
            metric=referrals_pb.LEADERBOARD_METRIC_INVITED, start_time=epoch, end_time=last
        )
    )
    assert [e.user_id for e in board.entries] == [world.alice]
    message = promo_pb2.PromoCode(
        code="FAR_FUTURE", kind=promo_pb2.PROMO_KIND_CREDIT, credit=money(5, "XTR"), start_time=epoch, end_time=last
    )
    created = await world.admin.promos.CreatePromoCode(promos_pb.CreatePromoCodeRequest(promo_code=message))
    assert created.promo_code.end_time == last
    await world.admin.promos.DisablePromoCode(promos_pb.DisablePromoCodeRequest(code="FAR_FUTURE"))


# --- 12: control characters, and text that case mapping stretches ---------------------------------

# rpc -> (the client method, a valid request, the string fields to spoil)
TextCase = tuple[Callable[[World], Any], Callable[[World], Message], list[str]]
TEXT_CASES: dict[str, TextCase] = {
    "CreateTenant": (
        lambda w: w.hub.platform.platform.CreateTenant,
        lambda w: platform_pb.CreateTenantRequest(name="New", default_locale="en", time_zone="UTC", bot_token="1:a"),
        ["request_id", "name", "default_locale", "time_zone", "bot_token"],
    ),
    "GetTenant": (
        lambda w: w.hub.platform.platform.GetTenant,
        lambda w: platform_pb.GetTenantRequest(tenant_id=w.spare.id),
        ["tenant_id"],
    ),
    "ListTenants": (
        lambda w: w.hub.platform.platform.ListTenants,
        lambda w: platform_pb.ListTenantsRequest(),
        ["page_token"],
    ),
    "UpdateTenant": (
        lambda w: w.hub.platform.platform.UpdateTenant,
        lambda w: platform_pb.UpdateTenantRequest(
            tenant_id=w.spare.id,
            name="Spare",
            default_locale="en",
            time_zone="UTC",
            bot_token="1:a",
            update_mask=field_mask_pb2.FieldMask(paths=["name", "default_locale", "time_zone", "bot_token"]),
        ),
        ["request_id", "tenant_id", "name", "default_locale", "time_zone", "bot_token"],
    ),
    "SuspendTenant": (
        lambda w: w.hub.platform.platform.SuspendTenant,
        lambda w: platform_pb.SuspendTenantRequest(tenant_id=w.spare.id, reason="unpaid"),
        ["request_id", "tenant_id", "reason"],
    ),
    "ResumeTenant": (
        lambda w: w.hub.platform.platform.ResumeTenant,
        lambda w: platform_pb.ResumeTenantRequest(tenant_id=w.spare.id),
        ["request_id", "tenant_id"],
    ),
    "CreateApiKey": (
        lambda w: w.hub.platform.platform.CreateApiKey,
        lambda w: platform_pb.CreateApiKeyRequest(tenant_id=w.spare.id, role=tenant_pb2.API_KEY_ROLE_PARTNER, name="k"),
        ["request_id", "tenant_id", "name"],
    ),
    "ListApiKeys": (
        lambda w: w.hub.platform.platform.ListApiKeys,
        lambda w: platform_pb.ListApiKeysRequest(tenant_id=w.spare.id),
        ["tenant_id", "page_token"],
    ),
    "RevokeApiKey": (
        lambda w: w.hub.platform.platform.RevokeApiKey,
        lambda w: platform_pb.RevokeApiKeyRequest(api_key_id=w.spare_key),
        ["request_id", "api_key_id"],
    ),
    "RegisterUser": (
        lambda w: w.admin.users.RegisterUser,
        lambda w: users_pb.RegisterUserRequest(
            platform=TELEGRAM,
            external_id="new",
            username="u",
            first_name="f",
            last_name="l",
            language_code="en",
            referral_code=w.alice_code,
        ),
        ["request_id", "external_id", "username", "first_name", "last_name", "language_code", "referral_code"],
    ),
    "GetUser": (lambda w: w.admin.users.GetUser, lambda w: users_pb.GetUserRequest(user_id=w.alice), ["user_id"]),
    "FindUser": (
        lambda w: w.admin.users.FindUser,
        lambda w: users_pb.FindUserRequest(platform=TELEGRAM, external_id="1"),
        ["external_id"],
    ),
    "ListUsers": (
        lambda w: w.admin.users.ListUsers,
        lambda w: users_pb.ListUsersRequest(query="a"),
        ["query", "page_token"],
    ),
    "UpdateUser": (
        lambda w: w.admin.users.UpdateUser,
        lambda w: users_pb.UpdateUserRequest(
            user_id=w.carol,
            username="c",
            first_name="f",
            last_name="l",
            language_code="en",
            update_mask=field_mask_pb2.FieldMask(paths=["username", "first_name", "last_name", "language_code"]),
        ),
        ["request_id", "user_id", "username", "first_name", "last_name", "language_code"],
    ),
    "CreateAsset": (
        lambda w: w.admin.catalog.CreateAsset,
        lambda w: catalog_pb.CreateAssetRequest(code="GOLD", scale=2, display_name="Gold"),
        ["request_id", "code", "display_name"],
    ),
    "GetAsset": (lambda w: w.admin.catalog.GetAsset, lambda w: catalog_pb.GetAssetRequest(code="XTR"), ["code"]),
    "CreatePackage": (
        lambda w: w.admin.catalog.CreatePackage,
        lambda w: catalog_pb.CreatePackageRequest(package=_package()),
        [
            "request_id",
            "package.title[en]",
            "package.description[en]",
            "package.category",
            "package.price.asset",
            "package.delivers.asset",
            "package.plan_code",
            "package.features",
        ],
    ),
    "UpdatePackage": (
        lambda w: w.admin.catalog.UpdatePackage,
        lambda w: catalog_pb.UpdatePackageRequest(
            package=_package(id=w.pack),
            update_mask=field_mask_pb2.FieldMask(
                paths=["title", "description", "category", "price", "delivers", "plan_code", "features"]
            ),
        ),
        [
            "request_id",
            "package.id",
            "package.title[en]",
            "package.description[en]",
            "package.category",
            "package.price.asset",
            "package.delivers.asset",
            "package.plan_code",
            "package.features",
        ],
    ),
    "GetPackage": (
        lambda w: w.admin.catalog.GetPackage,
        lambda w: catalog_pb.GetPackageRequest(package_id=w.pack),
        ["package_id"],
    ),
    "ListPackages": (
        lambda w: w.admin.catalog.ListPackages,
        lambda w: catalog_pb.ListPackagesRequest(category="tokens"),
        ["category", "page_token"],
    ),
    "ArchivePackage": (
        lambda w: w.admin.catalog.ArchivePackage,
        lambda w: catalog_pb.ArchivePackageRequest(package_id=w.spare_package),
        ["request_id", "package_id"],
    ),
    "GetBalances": (
        lambda w: w.admin.wallet.GetBalances,
        lambda w: wallet_pb.GetBalancesRequest(user_id=w.alice, assets=["XTR"]),
        ["user_id", "assets[0]"],
    ),
    "ListTransfers": (
        lambda w: w.admin.wallet.ListTransfers,
        lambda w: wallet_pb.ListTransfersRequest(user_id=w.alice, asset="XTR"),
        ["user_id", "asset", "page_token"],
    ),
    "AdjustBalance": (
        lambda w: w.admin.wallet.AdjustBalance,
        lambda w: wallet_pb.AdjustBalanceRequest(
            user_id=w.alice, amount=money(1, "XTR"), direction=CREDIT, reason="r", actor="a"
        ),
        ["request_id", "user_id", "amount.asset", "reason", "actor"],
    ),
    "ChargeUsage": (
        lambda w: w.admin.wallet.ChargeUsage,
        lambda w: wallet_pb.ChargeUsageRequest(user_id=w.alice, amount=money(1, "XTR"), reference="ref"),
        ["request_id", "user_id", "amount.asset", "reference"],
    ),
    "CreateHold": (
        lambda w: w.admin.wallet.CreateHold,
        lambda w: wallet_pb.CreateHoldRequest(user_id=w.alice, amount=money(1, "XTR"), reference="h"),
        ["request_id", "user_id", "amount.asset", "reference"],
    ),
    "CaptureHold": (
        lambda w: w.admin.wallet.CaptureHold,
        lambda w: wallet_pb.CaptureHoldRequest(hold_id=w.holds[0]),
        ["request_id", "hold_id"],
    ),
    "VoidHold": (
        lambda w: w.admin.wallet.VoidHold,
        lambda w: wallet_pb.VoidHoldRequest(hold_id=w.holds[1]),
        ["request_id", "hold_id"],
    ),
    "GetHold": (lambda w: w.admin.wallet.GetHold, lambda w: wallet_pb.GetHoldRequest(hold_id=w.holds[0]), ["hold_id"]),
    "ExportTransfers": (
        lambda w: lambda request: drain(w.admin.wallet.ExportTransfers(request)),
        lambda w: wallet_pb.ExportTransfersRequest(asset="XTR"),
        ["asset"],
    ),
    "ListEvents": (
        lambda w: w.admin.events.ListEvents,
        lambda w: events_pb.ListEventsRequest(types=["order."]),
        ["types[0]"],
    ),
    "WatchEvents": (
        lambda w: lambda request: first_of(w.admin.events.WatchEvents(request)),
        lambda w: events_pb.WatchEventsRequest(types=["order."]),
        ["types[0]"],
    ),
    "ListAuditEntries": (
        lambda w: w.admin.audit.ListAuditEntries,
        lambda w: audit_pb.ListAuditEntriesRequest(action="balance.adjusted", target_id=w.alice),
        ["action", "target_id", "page_token"],
    ),
    "CreateOrder": (
        lambda w: w.admin.orders.CreateOrder,
        lambda w: orders_pb.CreateOrderRequest(user_id=w.alice, package_id=w.pack),
        ["request_id", "user_id", "package_id", "recipient", "promo_code"],
    ),
    "PayOrderFromWallet": (
        lambda w: w.admin.orders.PayOrderFromWallet,
        lambda w: orders_pb.PayOrderFromWalletRequest(order_id=w.pending_orders[0]),
        ["request_id", "order_id"],
    ),
    "GetOrder": (
        lambda w: w.admin.orders.GetOrder,
        lambda w: orders_pb.GetOrderRequest(order_id=w.paid_order),
        ["order_id"],
    ),
    "ListOrders": (
        lambda w: w.admin.orders.ListOrders,
        lambda w: orders_pb.ListOrdersRequest(user_id=w.alice, package_id=w.pack),
        ["user_id", "package_id", "page_token"],
    ),
    "CancelOrder": (
        lambda w: w.admin.orders.CancelOrder,
        lambda w: orders_pb.CancelOrderRequest(order_id=w.pending_orders[1]),
        ["request_id", "order_id"],
    ),
    "RefundOrder": (
        lambda w: w.admin.orders.RefundOrder,
        lambda w: orders_pb.RefundOrderRequest(order_id=w.paid_order, reason="r", actor="a"),
        ["request_id", "order_id", "reason", "actor"],
    ),
    "SubmitServiceInput": (
        lambda w: w.admin.orders.SubmitServiceInput,
        lambda w: orders_pb.SubmitServiceInputRequest(
            order_id=w.stars_order, url="https://example.com/p", platform="telegram"
        ),
        ["request_id", "order_id", "url", "platform"],
    ),
    "UpdateOrderSettings": (
        lambda w: w.admin.orders.UpdateOrderSettings,
        lambda w: orders_pb.UpdateOrderSettingsRequest(
            settings=orders_pb.OrderSettings(order_ttl_seconds=3600, expiring_notice_days=[3, 1])
        ),
        ["request_id"],
    ),
    "CompleteTask": (
        lambda w: w.admin.fulfillment.CompleteTask,
        lambda w: tasks_pb.CompleteTaskRequest(task_id=w.task, result='{"ok": "yes"}'),
        ["request_id", "task_id", "result"],
    ),
    "FailTask": (
        lambda w: w.admin.fulfillment.FailTask,
        lambda w: tasks_pb.FailTaskRequest(task_id=w.task, reason="r"),
        ["request_id", "task_id", "reason"],
    ),
    "GetTask": (lambda w: w.admin.fulfillment.GetTask, lambda w: tasks_pb.GetTaskRequest(task_id=w.task), ["task_id"]),
    "RetryTask": (
        lambda w: w.admin.fulfillment.RetryTask,
        lambda w: tasks_pb.RetryTaskRequest(task_id=w.task),
        ["request_id", "task_id"],
    ),
    "ListTasks": (
        lambda w: w.admin.fulfillment.ListTasks,
        lambda w: tasks_pb.ListTasksRequest(order_id=w.stars_order),
        ["order_id", "page_token"],
    ),
    "GetSubscription": (
        lambda w: w.admin.subscriptions.GetSubscription,
        lambda w: subscriptions_pb.GetSubscriptionRequest(subscription_id=w.subscriptions[0]),
        ["subscription_id"],
    ),
    "ListSubscriptions": (
        lambda w: w.admin.subscriptions.ListSubscriptions,
        lambda w: subscriptions_pb.ListSubscriptionsRequest(user_id=w.bob, plan_code="pro"),
        ["user_id", "plan_code", "page_token"],
    ),
    "CancelSubscription": (
        lambda w: w.admin.subscriptions.CancelSubscription,
        lambda w: subscriptions_pb.CancelSubscriptionRequest(subscription_id=w.subscriptions[1]),
        ["request_id", "subscription_id"],
    ),
    "ListEntitlements": (
        lambda w: w.admin.subscriptions.ListEntitlements,
        lambda w: subscriptions_pb.ListEntitlementsRequest(user_id=w.bob),
        ["user_id"],
    ),
    "UpdateReferralProgram": (
        lambda w: w.admin.referrals.UpdateReferralProgram,
        lambda w: referrals_pb.UpdateReferralProgramRequest(
            program=referral_pb2.ReferralProgram(
                enabled=True,
                level_rates_bps=[5000],
                payout_asset="XTR",
                tiers=[referral_pb2.ReferralTier(name="gold", min_invited=5)],
                bot_username="shop_bot",
            )
        ),
        ["request_id", "program.payout_asset", "program.tiers[0].name", "program.bot_username"],
    ),
    "GetReferralStats": (
        lambda w: w.admin.referrals.GetReferralStats,
        lambda w: referrals_pb.GetReferralStatsRequest(user_id=w.alice),
        ["user_id"],
    ),
    "ListReferrals": (
        lambda w: w.admin.referrals.ListReferrals,
        lambda w: referrals_pb.ListReferralsRequest(user_id=w.alice),
        ["user_id", "page_token"],
    ),
    "CreatePayoutRequest": (
        lambda w: w.admin.referrals.CreatePayoutRequest,
        lambda w: referrals_pb.CreatePayoutRequestRequest(user_id=w.alice, amount_minor=1, destination="d"),
        ["request_id", "user_id", "destination"],
    ),
    "ApprovePayoutRequest": (
        lambda w: w.admin.referrals.ApprovePayoutRequest,
        lambda w: referrals_pb.ApprovePayoutRequestRequest(
            payout_request_id=w.payouts[0], payment_reference="tx", actor="a"
        ),
        ["request_id", "payout_request_id", "payment_reference", "actor"],
    ),
    "RejectPayoutRequest": (
        lambda w: w.admin.referrals.RejectPayoutRequest,
        lambda w: referrals_pb.RejectPayoutRequestRequest(payout_request_id=w.payouts[1], reason="r", actor="a"),
        ["request_id", "payout_request_id", "reason", "actor"],
    ),
    "ListPayoutRequests": (
        lambda w: w.admin.referrals.ListPayoutRequests,
        lambda w: referrals_pb.ListPayoutRequestsRequest(user_id=w.alice),
        ["user_id", "page_token"],
    ),
    "CreatePromoCode/credit": (
        lambda w: w.admin.promos.CreatePromoCode,
        lambda w: promos_pb.CreatePromoCodeRequest(
            promo_code=promo_pb2.PromoCode(code="NEWCODE", kind=promo_pb2.PROMO_KIND_CREDIT, credit=money(5, "XTR"))
        ),
        ["request_id", "promo_code.code", "promo_code.credit.asset"],
    ),
    "CreatePromoCode/discount": (
        lambda w: w.admin.promos.CreatePromoCode,
        lambda w: promos_pb.CreatePromoCodeRequest(
            promo_code=promo_pb2.PromoCode(
                code="NEWCODE",
                kind=promo_pb2.PROMO_KIND_PERCENT_DISCOUNT,
                percent_bps=1000,
                package_ids=[w.pack],
                categories=["tokens"],
            )
        ),
        ["promo_code.package_ids[0]", "promo_code.categories[0]"],
    ),
    "ListPromoCodes": (
        lambda w: w.admin.promos.ListPromoCodes,
        lambda w: promos_pb.ListPromoCodesRequest(),
        ["page_token"],
    ),
    "DisablePromoCode": (
        lambda w: w.admin.promos.DisablePromoCode,
        lambda w: promos_pb.DisablePromoCodeRequest(code="SPARE"),
        ["request_id", "code"],
    ),
    "RedeemPromoCode": (
        lambda w: w.admin.promos.RedeemPromoCode,
        lambda w: promos_pb.RedeemPromoCodeRequest(user_id=w.carol, code="WELCOME"),
        ["request_id", "user_id", "code"],
    ),
    "SetTopupMethods": (
        lambda w: w.admin.topups.SetTopupMethods,
        lambda w: topups_pb.SetTopupMethodsRequest(
            methods=[topup_pb2.TopupMethod(code="card", title={"en": "Card"}, instructions={"en": "Pay"}, active=True)]
        ),
        ["request_id", "methods[0].code", "methods[0].title[en]", "methods[0].instructions[en]"],
    ),
    "CreateTopupRequest": (
        lambda w: w.admin.topups.CreateTopupRequest,
        lambda w: topups_pb.CreateTopupRequestRequest(
            user_id=w.alice, method_code="card", amount=money(100, "RUB"), receipt=FILE_ID
        ),
        ["request_id", "user_id", "method_code", "amount.asset", "package_id", "receipt"],
    ),
    "GetTopupRequest": (
        lambda w: w.admin.topups.GetTopupRequest,
        lambda w: topups_pb.GetTopupRequestRequest(topup_request_id=w.topups[0]),
        ["topup_request_id"],
    ),
    "ListTopupRequests": (
        lambda w: w.admin.topups.ListTopupRequests,
        lambda w: topups_pb.ListTopupRequestsRequest(user_id=w.alice),
        ["user_id", "page_token"],
    ),
    "ApproveTopupRequest": (
        lambda w: w.admin.topups.ApproveTopupRequest,
        lambda w: topups_pb.ApproveTopupRequestRequest(
            topup_request_id=w.topups[0], actor="a", credit=money(100, "RUB")
        ),
        ["request_id", "topup_request_id", "actor", "credit.asset"],
    ),
    "RejectTopupRequest": (
        lambda w: w.admin.topups.RejectTopupRequest,
        lambda w: topups_pb.RejectTopupRequestRequest(topup_request_id=w.topups[1], reason="r", actor="a"),
        ["request_id", "topup_request_id", "reason", "actor"],
    ),
    "GetRevenueSeries": (
        lambda w: w.admin.reports.GetRevenueSeries,
        lambda w: reports_pb.GetRevenueSeriesRequest(asset="XTR"),
        ["asset"],
    ),
}


def _package(**fields: Any) -> package_pb2.Package:
    spec: dict[str, Any] = {
        "kind": package_pb2.PACKAGE_KIND_TOKEN_PACK,
        "title": {"en": "Tokens"},
        "description": {"en": "Many tokens"},
        "category": "tokens",
        "active": True,
        "price": price(100, "XTR"),
        "delivers": price(1000, "TOKEN"),
        "features": "{}",
    }
    return package_pb2.Package(**(spec | fields))


_STEP = re.compile(r"(\w+)|\[(\w+)\]")


def spoil(message: Message, path: str, change: Callable[[str], str]) -> None:
    """Replace the string at a field path ("a.b", "xs[0].name", "title[en]") by change(it)."""
    steps: list[tuple[str, str]] = [(m[1] or "", m[2] or "") for m in _STEP.finditer(path)]
    target: Any = message
    index = 0
    while index < len(steps):
        name = steps[index][0]
        if index + 1 < len(steps) and steps[index + 1][1]:
            key, container = steps[index + 1][1], getattr(target, name)
            last = index + 2 == len(steps)
            if hasattr(container, "keys"):  # a map of strings
                container[key] = change(container[key])
            elif last:
                container[int(key)] = change(container[int(key)])
            else:
                target = container[int(key)]
            index += 2
        elif index + 1 == len(steps):
            setattr(target, name, change(getattr(target, name)))
            index += 1
        else:
            target = getattr(target, name)
            index += 1


@pytest.mark.parametrize("rpc", TEXT_CASES)
async def test_control_characters_in_any_text_field_are_invalid_argument(world: World, rpc: str) -> None:
    method, base, paths = TEXT_CASES[rpc]
    before = await snapshot(world)
    outcomes = {}
    for path in paths:
        for spoiled in ("\x00", "\x07", "\x1b[31m"):
            request = base(world)
            spoil(request, path, lambda value, bad=spoiled: value + bad + "x")  # type: ignore[misc]
            outcomes[f"{path} {spoiled!r}"] = await outcome(method(world)(request))
    expected = {case: f"INVALID_ARGUMENT {case.split()[0]}" for case in outcomes}
    assert outcomes == expected
    assert await snapshot(world) == before


async def test_free_text_keeps_new_lines_and_tabs_where_names_do_not(world: World) -> None:
    adjusted = await world.admin.wallet.AdjustBalance(
        wallet_pb.AdjustBalanceRequest(
            user_id=world.alice,
            amount=money(1, "XTR"),
            direction=CREDIT,
            reason="goodwill:\n\tlate delivery",
            actor="a",
        )
    )
    assert adjusted.transfer.reason == "goodwill:\n\tlate delivery"
    before = await snapshot(world)
    for name in ("two\nlines", "a\ttab", "carriage\rreturn"):
        request = platform_pb.CreateTenantRequest(name=name)
        assert await invalid_fields(world.hub.platform.platform.CreateTenant(request)) == {"name"}
        assert await invalid_fields(world.admin.users.RegisterUser(_register(first_name=name))) == {"first_name"}
    assert await snapshot(world) == before
    await assert_ledger_ok(world.shop)


def _register(**fields: str) -> users_pb.RegisterUserRequest:
    fields.setdefault("external_id", "stretch")
    return users_pb.RegisterUserRequest(platform=TELEGRAM, **fields)


STRETCHED = {
    # İ lower-cases to two characters, ß upper-cases to two: the limits hold after that mapping
    "RegisterUser names": (
        lambda w: w.admin.users.RegisterUser(_register(first_name="İ" * 128, last_name="İ" * 128)),
        "first_name last_name",
    ),
    "RegisterUser username": (lambda w: w.admin.users.RegisterUser(_register(username="İ" * 64)), "username"),
    "RegisterUser external_id": (lambda w: w.admin.users.RegisterUser(_register(external_id="İ" * 64)), "external_id"),
    "UpdateUser names": (
        lambda w: w.admin.users.UpdateUser(
            users_pb.UpdateUserRequest(
                user_id=w.carol,
                first_name="İ" * 128,
                last_name="İ" * 128,
                update_mask=field_mask_pb2.FieldMask(paths=["first_name", "last_name"]),
            )
        ),
        "first_name last_name",
    ),
    "ListUsers query": (lambda w: w.admin.users.ListUsers(users_pb.ListUsersRequest(query="İ" * 100)), "query"),
    "RedeemPromoCode code": (
        lambda w: w.admin.promos.RedeemPromoCode(promos_pb.RedeemPromoCodeRequest(user_id=w.carol, code="ß" * 20)),
        "code",
    ),
    "DisablePromoCode code": (
        lambda w: w.admin.promos.DisablePromoCode(promos_pb.DisablePromoCodeRequest(code="ß" * 20)),
        "code",
    ),
    "CreateOrder promo_code": (
        lambda w: w.admin.orders.CreateOrder(
            orders_pb.CreateOrderRequest(user_id=w.alice, package_id=w.pack, promo_code="ß" * 20)
        ),
        "promo_code",
    ),
    "GetAsset code": (lambda w: w.admin.catalog.GetAsset(catalog_pb.GetAssetRequest(code="ß" * 6)), "code"),
    "CreateAsset code": (lambda w: w.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code="ß" * 6)), "code"),
}


@pytest.mark.parametrize("case", STRETCHED)
async def test_text_is_measured_after_case_mapping(world: World, case: str) -> None:
    call, fields = STRETCHED[case]
    before = await snapshot(world)
    assert await outcome(call(world)) == f"INVALID_ARGUMENT {fields}"
    assert await snapshot(world) == before


async def test_escaped_nul_inside_json_text_is_invalid_argument(world: World) -> None:
    before = await snapshot(world)
    package = _package(features='{"note": "a\\u0000b"}')
    assert await invalid_fields(
        world.admin.catalog.CreatePackage(catalog_pb.CreatePackageRequest(package=package))
    ) == {"package.features"}
    complete = tasks_pb.CompleteTaskRequest(task_id=world.task, result='{"a\\u0000": 1}')
    assert await invalid_fields(world.admin.fulfillment.CompleteTask(complete)) == {"result"}
    assert await snapshot(world) == before


# --- 18: every violation of a request at once ----------------------------------------------------

ALL_AT_ONCE: dict[str, tuple[Callable[[World], Awaitable[object]], set[str]]] = {
    "AdjustBalance": (
        lambda w: w.admin.wallet.AdjustBalance(wallet_pb.AdjustBalanceRequest(user_id="nope", direction=UNKNOWN_ENUM)),
        {"user_id", "amount", "direction", "reason", "actor"},
    ),
    "CreateOrder {}": (lambda w: w.admin.orders.CreateOrder(orders_pb.CreateOrderRequest()), {"user_id", "package_id"}),
    "CreateOrder": (
        lambda w: w.admin.orders.CreateOrder(
            orders_pb.CreateOrderRequest(
                user_id="nope", package_id="nope", quantity=-1, recipient="r" * 65, promo_code="p" * 33
            )
        ),
        {"user_id", "package_id", "quantity", "recipient", "promo_code"},
    ),
    "ChargeUsage": (
        lambda w: w.admin.wallet.ChargeUsage(wallet_pb.ChargeUsageRequest(user_id="nope", reference="r" * 201)),
        {"user_id", "amount", "reference"},
    ),
    "CreateHold": (
        lambda w: w.admin.wallet.CreateHold(
            wallet_pb.CreateHoldRequest(user_id="", amount=money(-1, "xtr!"), ttl_seconds=-1)
        ),
        {"user_id", "amount.asset", "amount.amount_minor", "ttl_seconds"},
    ),
    "GetBalances": (
        lambda w: w.admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id="nope", assets=["XTR", "bad asset"])),
        {"user_id", "assets[1]"},
    ),
    "ListTransfers": (
        lambda w: w.admin.wallet.ListTransfers(
            wallet_pb.ListTransfersRequest(
                user_id="nope",
                asset="bad asset",
                start_time=ts(2_000_000_000),
                end_time=ts(1_000_000_000),
                page_size=-1,
            )
        ),
        {"user_id", "asset", "end_time", "page_size"},
    ),
    "RefundOrder": (
        lambda w: w.admin.orders.RefundOrder(orders_pb.RefundOrderRequest(order_id="nope")),
        {"order_id", "reason", "actor"},
    ),
    "SubmitServiceInput": (
        lambda w: w.admin.orders.SubmitServiceInput(
            orders_pb.SubmitServiceInputRequest(order_id="nope", url="https://example.com/\x00", platform="")
        ),
        {"order_id", "url", "platform"},
    ),
    "ListOrders": (
        lambda w: w.admin.orders.ListOrders(
            orders_pb.ListOrdersRequest(
                user_id="nope", package_id="nope", statuses=[UNKNOWN_ENUM], page_size=-1, page_token="!!"
            )
        ),
        {"user_id", "package_id", "statuses", "page_size", "page_token"},
    ),
    "ListTasks": (
        lambda w: w.admin.fulfillment.ListTasks(
            tasks_pb.ListTasksRequest(kind=UNKNOWN_ENUM, status=UNKNOWN_ENUM, order_id="nope", page_token="!!")
        ),
        {"kind", "status", "order_id", "page_token"},
    ),
    "ListTenants": (
        lambda w: w.hub.platform.platform.ListTenants(
            platform_pb.ListTenantsRequest(status=UNKNOWN_ENUM, page_size=-1)
        ),
        {"status", "page_size"},
    ),
    "ListUsers": (
        lambda w: w.admin.users.ListUsers(users_pb.ListUsersRequest(platform=UNKNOWN_ENUM, query="q" * 101)),
        {"platform", "query"},
    ),
    "ListPackages": (
        lambda w: w.admin.catalog.ListPackages(catalog_pb.ListPackagesRequest(kind=UNKNOWN_ENUM, category="c" * 51)),
        {"kind", "category"},
    ),
    "ListPayoutRequests": (
        lambda w: w.admin.referrals.ListPayoutRequests(
            referrals_pb.ListPayoutRequestsRequest(user_id="nope", status=UNKNOWN_ENUM)
        ),
        {"user_id", "status"},
    ),
    "ListTopupRequests": (
        lambda w: w.admin.topups.ListTopupRequests(
            topups_pb.ListTopupRequestsRequest(user_id="nope", status=UNKNOWN_ENUM, page_size=-1)
        ),
        {"user_id", "status", "page_size"},
    ),
    "ListTransfers with filters": (
        lambda w: w.admin.wallet.ListTransfers(
            wallet_pb.ListTransfersRequest(user_id="nope", kinds=[UNKNOWN_ENUM], start_time=ts(2**40), page_size=-1)
        ),
        {"user_id", "kinds", "start_time", "page_size"},
    ),
    "ExportTransfers": (
        lambda w: drain(
            w.admin.wallet.ExportTransfers(wallet_pb.ExportTransfersRequest(asset="bad asset", end_time=ts(-1)))
        ),
        {"asset", "end_time"},
    ),
    "ExportOrders": (
        lambda w: drain(
            w.admin.orders.ExportOrders(
                orders_pb.ExportOrdersRequest(statuses=[99], start_time=ts(2**40), end_time=ts(-1))
            )
        ),
        {"statuses", "start_time", "end_time"},
    ),
    "ExportOrders, reversed period": (
        lambda w: drain(
            w.admin.orders.ExportOrders(orders_pb.ExportOrdersRequest(start_time=at(2030), end_time=at(2029)))
        ),
        {"end_time"},
    ),
    "ExportUsers": (
        lambda w: drain(w.admin.users.ExportUsers(users_pb.ExportUsersRequest(start_time=ts(-1), end_time=ts(2**40)))),
        {"start_time", "end_time"},
    ),
    "GetLeaderboard": (
        lambda w: w.admin.referrals.GetLeaderboard(referrals_pb.GetLeaderboardRequest(start_time=ts(-1), limit=101)),
        {"metric", "start_time", "limit"},
    ),
    "GetRevenueSeries": (
        lambda w: w.admin.reports.GetRevenueSeries(reports_pb.GetRevenueSeriesRequest(end_time=ts(2**40))),
        {"asset", "end_time"},
    ),
    "FailTask": (
        lambda w: w.admin.fulfillment.FailTask(tasks_pb.FailTaskRequest(task_id="nope")),
        {"task_id", "reason"},
    ),
    "CreatePayoutRequest": (
        lambda w: w.admin.referrals.CreatePayoutRequest(referrals_pb.CreatePayoutRequestRequest(user_id="nope")),
        {"user_id", "amount_minor", "destination"},
    ),
    "ApprovePayoutRequest": (
        lambda w: w.admin.referrals.ApprovePayoutRequest(
            referrals_pb.ApprovePayoutRequestRequest(payout_request_id="x")
        ),
        {"payout_request_id", "payment_reference", "actor"},
    ),
    "CreateTopupRequest": (
        lambda w: w.admin.topups.CreateTopupRequest(
            topups_pb.CreateTopupRequestRequest(user_id="nope", package_id="nope", receipt="not a receipt")
        ),
        {"user_id", "package_id", "method_code", "receipt"},
    ),
    "RejectTopupRequest": (
        lambda w: w.admin.topups.RejectTopupRequest(topups_pb.RejectTopupRequestRequest(topup_request_id="x")),
        {"topup_request_id", "reason", "actor"},
    ),
    "RedeemPromoCode": (
        lambda w: w.admin.promos.RedeemPromoCode(promos_pb.RedeemPromoCodeRequest(user_id="nope")),
        {"user_id", "code"},
    ),
    "UpdateUser": (
        lambda w: w.admin.users.UpdateUser(users_pb.UpdateUserRequest(user_id="nope")),
        {"user_id", "update_mask"},
    ),
    "SuspendTenant": (
        lambda w: w.hub.platform.platform.SuspendTenant(platform_pb.SuspendTenantRequest(tenant_id="nope")),
        {"tenant_id", "reason"},
    ),
    "CreateApiKey": (
        lambda w: w.hub.platform.platform.CreateApiKey(
            platform_pb.CreateApiKeyRequest(tenant_id="nope", name="n" * 101)
        ),
        {"role", "tenant_id", "name"},
    ),
    "UpdatePackage": (
        lambda w: w.admin.catalog.UpdatePackage(catalog_pb.UpdatePackageRequest(package=package_pb2.Package(id="x"))),
        {"package.id", "update_mask"},
    ),
    "ListSubscriptions": (
        lambda w: w.admin.subscriptions.ListSubscriptions(
            subscriptions_pb.ListSubscriptionsRequest(
                user_id="nope", status=UNKNOWN_ENUM, plan_code="p" * 51, page_size=-1
            )
        ),
        {"user_id", "status", "plan_code", "page_size"},
    ),
    "ListReferrals": (
        lambda w: w.admin.referrals.ListReferrals(referrals_pb.ListReferralsRequest(user_id="nope", level=99)),
        {"user_id", "level"},
    ),
    "CreatePromoCode": (
        lambda w: w.admin.promos.CreatePromoCode(
            promos_pb.CreatePromoCodeRequest(
                promo_code=promo_pb2.PromoCode(
                    code="x", kind=promo_pb2.PROMO_KIND_CREDIT, start_time=ts(2**40), total_limit=-1
                )
            )
        ),
        {"promo_code.code", "promo_code.credit", "promo_code.total_limit", "promo_code.start_time"},
    ),
    "UpdateReferralProgram": (
        lambda w: w.admin.referrals.UpdateReferralProgram(
            referrals_pb.UpdateReferralProgramRequest(
                program=referral_pb2.ReferralProgram(package_kinds=[UNKNOWN_ENUM], hold_days=-1)
            )
        ),
        {"program.package_kinds", "program.hold_days"},
    ),
    "SubmitServiceInput, formats": (
        lambda w: w.admin.orders.SubmitServiceInput(
            orders_pb.SubmitServiceInputRequest(order_id="nope", url="ftp://x", platform="myspace")
        ),
        {"order_id", "url", "platform"},
    ),
    "CompleteTask": (
        lambda w: w.admin.fulfillment.CompleteTask(tasks_pb.CompleteTaskRequest(task_id="nope", result="[1]")),
        {"task_id", "result"},
    ),
    "FailTask, blank reason": (
        lambda w: w.admin.fulfillment.FailTask(tasks_pb.FailTaskRequest(task_id="nope", reason=" ")),
        {"task_id", "reason"},
    ),
}


@pytest.mark.parametrize("rpc", ALL_AT_ONCE)
async def test_a_malformed_request_names_every_bad_field_at_once(world: World, rpc: str) -> None:
    call, fields = ALL_AT_ONCE[rpc]
    before = await snapshot(world)
    assert await outcome(call(world)) == "INVALID_ARGUMENT " + " ".join(sorted(fields))
    assert await snapshot(world) == before


# --- 20: filters naming another tenant's or no one's object ---------------------------------------

FILTERS: dict[str, Callable[[World, str, str], Awaitable[object]]] = {
    "ListOrders.user_id": lambda w, user, order: w.admin.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=user)),
    "ListOrders.package_id": lambda w, user, order: w.admin.orders.ListOrders(
        orders_pb.ListOrdersRequest(
            package_id=w.pack if user == w.alice else w.foreign_package if user == w.stranger else user
        )
    ),
    "ListSubscriptions.user_id": lambda w, user, order: w.admin.subscriptions.ListSubscriptions(
        subscriptions_pb.ListSubscriptionsRequest(user_id=user)
    ),
    "ListPayoutRequests.user_id": lambda w, user, order: w.admin.referrals.ListPayoutRequests(
        referrals_pb.ListPayoutRequestsRequest(user_id=user)
    ),
    "ListTopupRequests.user_id": lambda w, user, order: w.admin.topups.ListTopupRequests(
        topups_pb.ListTopupRequestsRequest(user_id=user)
    ),
    "ListTasks.order_id": lambda w, user, order: w.admin.fulfillment.ListTasks(
        tasks_pb.ListTasksRequest(order_id=order)
    ),
    "ListTransfers.user_id": lambda w, user, order: w.admin.wallet.ListTransfers(
        wallet_pb.ListTransfersRequest(user_id=user)
    ),
    "ListReferrals.user_id": lambda w, user, order: w.admin.referrals.ListReferrals(
        referrals_pb.ListReferralsRequest(user_id=user)
    ),
}


@pytest.mark.parametrize("rpc", FILTERS)
async def test_a_filter_naming_a_foreign_or_unknown_object_is_not_found(world: World, rpc: str) -> None:
    call = FILTERS[rpc]
    assert await outcome(call(world, world.stranger, world.foreign_order)) == "NOT_FOUND"
    assert await outcome(call(world, str(uuid.uuid4()), str(uuid.uuid4()))) == "NOT_FOUND"
    assert await outcome(call(world, world.alice, world.stars_order)) == "OK"


async def test_listing_the_keys_of_no_tenant_is_not_found(world: World) -> None:
    keys = world.hub.platform.platform
    with pytest.raises(NotFound):
        await keys.ListApiKeys(platform_pb.ListApiKeysRequest(tenant_id=str(uuid.uuid4())))
    listed = await keys.ListApiKeys(platform_pb.ListApiKeysRequest(tenant_id=world.spare.id))
    assert world.spare_key in {k.id for k in listed.api_keys}


async def test_a_partner_gets_not_found_for_a_user_of_another_tenant(world: World) -> None:
    partner = world.hub.client(await world.hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, world.shop.id))
    with pytest.raises(NotFound):
        await partner.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=world.stranger))
    with pytest.raises(NotFound):
        await partner.topups.ListTopupRequests(topups_pb.ListTopupRequestsRequest(user_id=world.stranger))
    mine = await partner.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=world.alice))
    assert {o.user_id for o in mine.orders} == {world.alice}


async def test_the_world_ends_with_its_ledger_intact(world: World) -> None:
    await assert_ledger_ok(world.shop)
    await assert_ledger_ok(world.other)
