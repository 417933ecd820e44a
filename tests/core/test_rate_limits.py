"""Per-key rate limits as a partner meets them: a key over its burst is refused with RATE_LIMITED
and a retry delay, other keys keep their own budget, the bucket refills with time, a refused call
changes nothing, and two cores on one PostgreSQL database share one budget.

Each test runs its own core on the session's database with a frozen clock (the bucket refills
only when the test moves it) and a limit for partner keys only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core_server.domain.actor import Role
from core_server.domain.clock import FrozenClock, SystemClock
from core_server.domain.rate_limits import RateLimit
from core_server.store.db import Database
from http_gateway.app import create_app
from sdk import BillingHubClient, NotFound, ResourceExhausted
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from sdk.interceptors import NO_RETRY
from tests.hub import Hub, TenantHandle, start_hub
from tests.money import assert_ledger_ok, balance, fund, money, new_user

RATE, BURST = 50, 20  # a lease on PostgreSQL is RATE // 10 = 5 tokens
PARTNER_LIMIT = {Role.PARTNER: RateLimit(RATE, BURST)}
START = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)

HubFactory = Callable[..., Awaitable[Hub]]


@pytest.fixture
async def limited_hubs(database: Database) -> AsyncIterator[HubFactory]:
    """Start cores on the session's database; all are stopped after the test."""
    started: list[Hub] = []

    async def start(clock: FrozenClock | SystemClock, limits: Mapping[Role, RateLimit] = PARTNER_LIMIT) -> Hub:
        hub = await start_hub(database, database.dialect, clock, limits)
        started.append(hub)
        return hub

    yield start
    for hub in started:
        await hub.close()
        await hub.server.stop(0)


async def partner_of(hub: Hub, shop: TenantHandle, target: Hub | None = None) -> BillingHubClient:
    """A new partner key of the shop, with a client on `target`'s core (default: `hub`'s)."""
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "website")
    return (target or hub).client(key)


async def admitted(calls: list[Awaitable[object]]) -> int:
    """How many of the calls the core answered; every other must be a RATE_LIMITED refusal."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r for r in results if isinstance(r, ResourceExhausted) and r.reason == "RATE_LIMITED"]
    unexpected = [r for r in results if isinstance(r, BaseException) and r not in refused]
    assert not unexpected, unexpected
    return len(results) - len(refused)


def scraped(hub: Hub) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = hub.deps.metrics.exposition().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def reads(client: BillingHubClient, user_id: str, count: int) -> list[Awaitable[object]]:
    return [client.users.GetUser(users_pb.GetUserRequest(user_id=user_id)) for _ in range(count)]


async def test_a_partner_key_over_its_burst_is_refused_with_a_retry_delay(limited_hubs: HubFactory) -> None:
    hub = await limited_hubs(FrozenClock(START))
    shop = await hub.new_tenant("Limited")
    user = await new_user(shop)
    website = await partner_of(hub, shop)

    for _ in range(BURST):
        await website.users.GetUser(users_pb.GetUserRequest(user_id=user))
    with pytest.raises(ResourceExhausted) as caught:
        await website.users.GetUser(users_pb.GetUserRequest(user_id=user))

    assert caught.value.reason == "RATE_LIMITED"
    assert caught.value.retry_after == pytest.approx(1 / RATE)  # the next token, at 50 a second
    assert caught.value.metadata == {"limit_per_second": "50", "burst": "20"}
    assert caught.value.request_id
    # the tenant's admin key is not limited at all, and the refusal was counted by role
    assert await admitted(reads(shop.admin, user, 3 * BURST)) == 3 * BURST
    refusals = ("billinghub_rate_limited_total", frozenset({("role", "partner")}))
    assert scraped(hub)[refusals] == 1


async def test_another_key_of_the_same_tenant_keeps_its_own_budget(limited_hubs: HubFactory) -> None:
    hub = await limited_hubs(FrozenClock(START))
    shop = await hub.new_tenant("Two websites")
    user = await new_user(shop)
    first, second = await partner_of(hub, shop), await partner_of(hub, shop)

    assert await admitted(reads(first, user, BURST + 10)) == BURST
    assert await admitted(reads(second, user, BURST + 10)) == BURST


async def test_the_bucket_refills_with_time_up_to_the_burst(limited_hubs: HubFactory) -> None:
    clock = FrozenClock(START)
    hub = await limited_hubs(clock)
    shop = await hub.new_tenant("Refill")
    user = await new_user(shop)
    website = await partner_of(hub, shop)
    assert await admitted(reads(website, user, BURST + 5)) == BURST

    clock.advance(dt.timedelta(seconds=0.2))  # 10 tokens at 50 a second
    assert await admitted(reads(website, user, 15)) == 10
    clock.advance(dt.timedelta(hours=1))  # a quiet hour saves up no more than the burst
    assert await admitted(reads(website, user, BURST + 5)) == BURST


async def test_a_refused_call_changes_nothing(limited_hubs: HubFactory) -> None:
    clock = FrozenClock(START)
    hub = await limited_hubs(clock)
    shop = await hub.new_tenant("Refused")
    user = await new_user(shop)
    await fund(shop, user, 100)
    website = await partner_of(hub, shop)
    assert await admitted(reads(website, user, BURST + 1)) == BURST
    register = users_pb.RegisterUserRequest(
        request_id="signup-1", platform=common_pb2.PLATFORM_WEB, external_id="refused@example.com"
    )
    charge = wallet_pb.ChargeUsageRequest(request_id="charge-1", user_id=user, amount=money(7))

    with pytest.raises(ResourceExhausted):
        await website.users.RegisterUser(register)
    with pytest.raises(ResourceExhausted):
        await website.wallet.ChargeUsage(charge)

    with pytest.raises(NotFound):
        await shop.admin.users.FindUser(
            users_pb.FindUserRequest(platform=common_pb2.PLATFORM_WEB, external_id="refused@example.com")
        )
    assert (await balance(shop.admin, user)).posted.amount_minor == 100
    # no idempotency record was written: once admitted, the same request ids run for the first time
    clock.advance(dt.timedelta(seconds=1))
    registered = await website.users.RegisterUser(register)
    assert registered.user.external_id == "refused@example.com"
    charged = await website.wallet.ChargeUsage(charge)
    assert charged.transfer.debit_balance_after == 93
    await assert_ledger_ok(shop)


@pytest.mark.postgres
async def test_two_cores_on_one_database_share_one_budget(limited_hubs: HubFactory, database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("one SQLite database has one core")
    clock = FrozenClock(START)
    one, two = await limited_hubs(clock), await limited_hubs(clock)
    shop = await one.new_tenant("Replicas")
    user = await new_user(shop)
    key = await one.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "website")
    on_one, on_two = one.client(key), two.client(key)

    # no time passes: together the cores admit the burst and not one call more
    assert await admitted(reads(on_one, user, BURST) + reads(on_two, user, BURST)) == BURST
    clock.advance(dt.timedelta(seconds=0.2))
    assert await admitted(reads(on_one, user, 15) + reads(on_two, user, 15)) == 10


@pytest.mark.postgres
async def test_two_cores_under_load_stay_within_rate_times_window_plus_burst(
    limited_hubs: HubFactory, database: Database
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("one SQLite database has one core")
    one, two = await limited_hubs(SystemClock()), await limited_hubs(SystemClock())
    shop = await one.new_tenant("Replicas under load")
    user = await new_user(shop)
    key = await one.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "website")
    clients = [one.client(key), two.client(key)]
    total = 0
    started = time.monotonic()
    while time.monotonic() - started < 1.0:  # waves of calls on both cores for about a second
        total += await admitted([call for client in clients for call in reads(client, user, 10)])
    window = time.monotonic() - started

    lease = RATE // 10
    assert total <= RATE * window + BURST + 2 * lease
    assert total >= BURST  # the limiter does admit: at least the burst went through


async def test_rest_calls_through_the_http_gateway_spend_the_same_budget(limited_hubs: HubFactory) -> None:
    clock = FrozenClock(START)
    hub = await limited_hubs(clock, {Role.GATEWAY: RateLimit(1, 2)})
    shop = await hub.new_tenant("Gateway budget")
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="http gateway")
    await new_user(shop, "42")
    grpc_caller = hub.client(key, shop.id)
    find = users_pb.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id="42")
    async with BillingHubClient(hub.target, key, retry=NO_RETRY) as client:
        http = create_app(client).test_client()
        await grpc_caller.users.FindUser(find)  # the first token of the burst

        answers = [await http.post(f"/webhooks/{shop.id}/testpay", data=b"{}") for _ in range(2)]

        assert answers[0].status_code == 404  # the second token: the core answered (no such provider)
        assert answers[1].status_code == 429
        assert answers[1].headers["Retry-After"] == "1"  # 1 s to the next token at 1 a second
        assert (await answers[1].get_json())["error"]["code"] == "RATE_LIMITED"
        with pytest.raises(ResourceExhausted):  # and gRPC callers of the key are refused as well
            await grpc_caller.users.FindUser(
                users_pb.FindUserRequest(platform=common_pb2.PLATFORM_WEB, external_id="x")
            )


async def test_a_website_over_its_budget_gets_429_from_the_rest_api_and_nothing_changes(
    limited_hubs: HubFactory,
) -> None:
    clock = FrozenClock(START)
    hub = await limited_hubs(clock, {Role.PARTNER: RateLimit(1, 2)})
    shop = await hub.new_tenant("REST budget")
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "website")
    async with BillingHubClient(hub.target, "", retry=NO_RETRY) as client:
        http = create_app(client).test_client()
        headers = {"Authorization": f"Bearer {key}"}
        answers = [
            await http.post("/api/v1/users", json={"platform": "web", "external_id": f"w{n}"}, headers=headers)
            for n in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        refused = await answers[2].get_json()
        assert refused["error"]["code"] == "RATE_LIMITED" and answers[2].headers["Retry-After"] == "1"
        with pytest.raises(NotFound):  # the refused registration did not happen
            await shop.admin.users.FindUser(
                users_pb.FindUserRequest(platform=common_pb2.PLATFORM_WEB, external_id="w2")
            )
        clock.advance(dt.timedelta(seconds=1))
        again = await http.post("/api/v1/users", json={"platform": "web", "external_id": "w2"}, headers=headers)
        assert again.status_code == 200 and (await again.get_json())["created"] is True
