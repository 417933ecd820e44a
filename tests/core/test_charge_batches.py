"""Usage charges of many users at once: on PostgreSQL the core writes the charges that queue
behind a running statement together, as one statement (store/charge_batches_pg.py). Each caller
still gets its own answer: a short wallet is refused while the others post, a request id is
charged once, a reused id is refused, a full revenue bucket is worked around. On SQLite the same
calls take turns at the one writer; the answers must be the same.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_BALANCE
from core_server.domain.money.ledger import REVENUE, Posting, System
from sdk import FailedPrecondition, InvalidArgument
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.hub import Hub, TenantHandle
from tests.money import DEBIT, assert_ledger_ok, balance, fund, money, new_user

USERS = 30  # three charges each, with a blocker or two, stay below HTTP/2's 100 streams at once per channel


async def _users(shop: TenantHandle, funds: list[int], first: int = 0) -> list[str]:
    users = [await new_user(shop, external_id=str(first + n)) for n in range(len(funds))]
    for user, amount in zip(users, funds, strict=True):
        if amount:
            await fund(shop, user, amount)
    return users


def _batches(hub: Hub) -> tuple[float, float]:
    """(batches written, charges in them) so far on this core, from its Prometheus metric."""
    registry = hub.deps.metrics.registry
    count = registry.get_sample_value("billinghub_charge_batch_size_count") or 0.0
    total = registry.get_sample_value("billinghub_charge_batch_size_sum") or 0.0
    return count, total


def _charge(user: str, amount: int, request_id: str = "") -> pb.ChargeUsageRequest:
    return pb.ChargeUsageRequest(request_id=request_id, user_id=user, amount=money(amount), reference="gen")


async def _until_at_least(count: Callable[[], Awaitable[int]], least: int) -> None:
    for _ in range(500):
        if await count() >= least:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the crowd never formed")


async def _at_once(hub: Hub, shop: TenantHandle, requests: list[pb.ChargeUsageRequest]) -> list[object]:
    """Every request at once, all of them queued behind running charges on PostgreSQL.

    Left to timing, a crowd of calls through gRPC may reach the core one by one and never queue.
    So charges of other users first occupy every statement the lane may run at once, waiting on
    wallet rows this test holds locked, until every request has queued; then the rows are let go."""

    def send(request: pb.ChargeUsageRequest) -> asyncio.Future[pb.ChargeUsageResponse]:
        return asyncio.ensure_future(shop.admin.wallet.ChargeUsage(request))

    fastpath = hub.deps.fastpath
    if fastpath is None:
        return list(await asyncio.gather(*(send(r) for r in requests), return_exceptions=True))
    blockers = await _users(shop, [2] * fastpath.charge_batches, first=10_000)
    for blocker in blockers:  # the tenant's first charge takes the ORM path, which learns the revenue buckets
        await shop.admin.wallet.ChargeUsage(_charge(blocker, 1))
    async with fastpath.pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "SELECT 1 FROM ledger_accounts WHERE tenant_id = $1 AND user_id = ANY($2::uuid[]) FOR UPDATE",
            uuid.UUID(shop.id),
            [uuid.UUID(b) for b in blockers],
        )
        held = [send(_charge(b, 1)) for b in blockers]
        await _until_at_least(lambda: _waiting_on_locks(connection), len(blockers))
        crowd = [send(r) for r in requests]

        async def queued() -> int:
            return fastpath.queued_charges

        await _until_at_least(queued, len(requests))

    for charged in await asyncio.gather(*held):
        assert charged.transfer.debit_balance_after == 0
    return list(await asyncio.gather(*crowd, return_exceptions=True))


async def _waiting_on_locks(connection: asyncpg.Connection) -> int:
    """Sessions of this database waiting for a lock (pg_stat_activity is read once per
    transaction unless its snapshot is cleared, and this runs in the transaction holding the locks)."""
    await connection.execute("SELECT pg_stat_clear_snapshot()")
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    return int(await connection.fetchval(query))


async def test_charges_of_many_users_at_once_each_get_their_own_answer(hub: Hub) -> None:
    """Three charges of 1 per user, at once: a user funded with k < 3 gets k of them, the rest
    are refused INSUFFICIENT_FUNDS; nobody else's charge in the same statement is affected."""
    shop = await hub.new_tenant("Batched charges")
    funds = [n % 5 for n in range(USERS)]  # 0, 1, 2, 3, 4, 0, ...
    users = await _users(shop, funds)
    before = _batches(hub)
    results = await _at_once(hub, shop, [_charge(user, 1) for _round in range(3) for user in users])
    for index, (user, funded) in enumerate(zip(users, funds, strict=True)):
        mine = results[index::USERS]
        posted = [r for r in mine if isinstance(r, pb.ChargeUsageResponse)]
        refused = [r for r in mine if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
        assert (len(posted), len(refused)) == (min(3, funded), 3 - min(3, funded)), (user, mine)
        assert sorted(r.transfer.debit_balance_after for r in posted) == list(range(funded - len(posted), funded))
        assert all(r.transfer.debit.user_id == user for r in posted)
        assert (await balance(shop.admin, user)).posted.amount_minor == funded - len(posted)
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == sum(1 for f in funds if f) + sum(min(3, f) for f in funds) + _blocked(hub)
    if hub.deps.fastpath is not None:  # (two blockers ran alone; the crowd went in batches)
        batches, charges = (now - then for now, then in zip(_batches(hub), before, strict=True))
        assert batches >= 1 and charges >= 2 * batches, "no charges went to the database together"


async def test_a_request_id_sent_twice_at_once_among_others_is_charged_once(hub: Hub) -> None:
    """Each user's charge is sent twice at once with one request id, between everybody else's: a
    duplicate fails the batch it lands in, whose charges are then written one by one."""
    shop = await hub.new_tenant("Batched replays")
    users = await _users(shop, [100] * USERS)
    requests = [_charge(user, 7, request_id=f"click-{n}") for n, user in enumerate(users)]
    results = await _at_once(hub, shop, requests + requests)
    for first, second in zip(results[:USERS], results[USERS:], strict=True):
        assert first == second
    for user in users:
        assert (await balance(shop.admin, user)).posted.amount_minor == 93
    again = await shop.admin.wallet.ChargeUsage(requests[0])
    assert again == results[0]
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 2 * USERS + _blocked(hub)


async def test_a_reused_request_id_in_a_crowd_is_refused_and_changes_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Batched reuse")
    users = await _users(shop, [100] * USERS)
    first = await shop.admin.wallet.ChargeUsage(_charge(users[0], 5, request_id="once"))
    results = await _at_once(hub, shop, [_charge(users[0], 6, request_id="once")] + [_charge(u, 5) for u in users[1:]])
    assert isinstance(results[0], InvalidArgument) and results[0].reason == "IDEMPOTENCY_KEY_REUSED"
    assert all(isinstance(r, pb.ChargeUsageResponse) for r in results[1:])
    assert (await balance(shop.admin, users[0])).posted.amount_minor == 95
    assert first.transfer.debit_balance_after == 95
    for user in users[1:]:
        assert (await balance(shop.admin, user)).posted.amount_minor == 95
    await assert_ledger_ok(shop)


async def test_charges_at_once_into_nearly_full_revenue_buckets_all_land(hub: Hub) -> None:
    """Seven of the eight revenue buckets have no room for a charge: a batch that picked one of
    them fails as a whole, and each of its charges finds the bucket with room alone."""
    shop = await hub.new_tenant("Batched full revenue")
    users = await _users(shop, [1_000] * USERS)
    await shop.admin.wallet.ChargeUsage(_charge(users[0], 1))  # learns the buckets
    tenant = uuid.UUID(shop.id)
    for _bucket in range(7):
        async with hub.deps.uow() as uow:
            setup = Posting(System("setup"), System(REVENUE), MAX_BALANCE - 100, "adjustment", reason="r", actor="t")
            await ledger.post(uow, hub.deps.feed, tenant, "TOKEN", [setup], hub.deps.clock.now())
            await uow.commit()
    results = await _at_once(hub, shop, [_charge(u, 200) for u in users])
    assert sorted(r.transfer.debit_balance_after for r in results) == [799] + [800] * (USERS - 1)  # type: ignore[attr-defined]
    await assert_ledger_ok(shop)


def _blocked(hub: Hub) -> int:
    """The transfers of `_at_once`'s blockers (each funded, then charged twice), on PostgreSQL."""
    return 3 * hub.deps.fastpath.charge_batches if hub.deps.fastpath is not None else 0


@pytest.mark.parametrize("concurrent", [1, 64])
async def test_charges_beside_a_short_one_post_in_full(hub: Hub, concurrent: int) -> None:
    """A user without a wallet of the asset, charged among funded users, is the only one refused."""
    shop = await hub.new_tenant(f"Batched short {concurrent}")
    users = await _users(shop, [0] + [10] * (concurrent - 1))
    results = await _at_once(hub, shop, [_charge(u, 10) for u in users])
    assert isinstance(results[0], FailedPrecondition) and results[0].reason == "INSUFFICIENT_FUNDS"
    assert all(isinstance(r, pb.ChargeUsageResponse) and r.transfer.debit_balance_after == 0 for r in results[1:])
    await assert_ledger_ok(shop)


async def test_batched_charges_racing_holds_and_debits_on_the_same_wallets_keep_the_invariants(hub: Hub) -> None:
    """Charges (written in batches on PostgreSQL), holds and admin debits of the same wallets at
    once: nothing deadlocks, the only refusal is INSUFFICIENT_FUNDS, and every wallet ends at its
    funding less exactly what was answered as taken."""
    shop = await hub.new_tenant("Batched among others")
    users = await _users(shop, [30] * USERS)
    calls: list[Awaitable[object]] = []
    for _round in range(3):
        calls += [shop.admin.wallet.ChargeUsage(_charge(user, 5)) for user in users]
    calls += [
        shop.admin.wallet.AdjustBalance(
            pb.AdjustBalanceRequest(user_id=user, amount=money(10), direction=DEBIT, reason="r", actor="a")
        )
        for user in users
    ]
    calls += [shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(10))) for user in users]
    results = await asyncio.gather(*calls, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, FailedPrecondition) and f.reason == "INSUFFICIENT_FUNDS" for f in failures), failures
    for index, user in enumerate(users):
        charged = sum(isinstance(r, pb.ChargeUsageResponse) for r in results[index : 3 * USERS : USERS])
        debited = isinstance(results[3 * USERS + index], pb.AdjustBalanceResponse)
        held = isinstance(results[4 * USERS + index], pb.CreateHoldResponse)
        now = await balance(shop.admin, user)
        assert now.posted.amount_minor == 30 - 5 * charged - 10 * debited
        assert now.available.amount_minor == now.posted.amount_minor - 10 * held >= 0
    await assert_ledger_ok(shop)
