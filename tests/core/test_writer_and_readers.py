"""Writes take turns, reads never wait for them (store/db.py, store/unit_of_work.py).

On SQLite every write runs on the core's one writer connection, in arrival order, and reads run on
reader connections against the last committed snapshot; on PostgreSQL the same stories hold through
row locks and MVCC. A write held open here is a real one: a wallet credit inside an ambient unit,
as a mutating RPC runs it, not committed yet. The many-writers story runs on a SQLite file of its
own (on PostgreSQL it would only measure the pool against a server shared with other suites).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core_server.domain.actor import Actor, Role
from core_server.domain.money.amounts import Money
from core_server.domain.money.wallets import WalletService
from core_server.store.db import open_database
from core_server.store.migrate import upgrade_database
from core_server.store.unit_of_work import ambient
from sdk import Unavailable
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.hub import Hub, TenantHandle, start_hub
from tests.money import CREDIT, assert_ledger_ok, balance, fund, money, new_user

# Only guards against a hang: a read that waited for the held write would never finish.
NEVER = 30.0


def staff(shop: TenantHandle) -> Actor:
    return Actor(Role.TENANT_ADMIN, uuid.uuid4(), uuid.UUID(shop.id))


@pytest.fixture
async def sqlite_hub(tmp_path: Path) -> AsyncIterator[Hub]:
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    await upgrade_database(db)
    hub = await start_hub(db, "sqlite")
    try:
        yield hub
    finally:
        await hub.close()
        await hub.server.stop(0)
        await db.dispose()


async def test_64_writers_at_once_on_sqlite_all_land_and_the_ledger_balances(sqlite_hub: Hub) -> None:
    shop = await sqlite_hub.new_tenant("Many writers")
    users = [await new_user(shop, str(n)) for n in range(8)]
    for user in users:
        await fund(shop, user, 100)
    credits = [
        shop.admin.wallet.AdjustBalance(
            pb.AdjustBalanceRequest(
                request_id=f"credit-{n}",
                user_id=users[n % 8],
                amount=money(3),
                direction=CREDIT,
                reason="bonus",
                actor="tests",
            )
        )
        for n in range(32)
    ]
    charges = [
        shop.admin.wallet.ChargeUsage(
            pb.ChargeUsageRequest(request_id=f"charge-{n}", user_id=users[n % 8], amount=money(2), reference="use")
        )
        for n in range(32)
    ]
    reads = [balance(shop.admin, users[n % 8]) for n in range(32)]
    await asyncio.gather(*credits, *charges, *reads)  # no call fails: none is "database is locked"
    for user in users:
        assert (await balance(shop.admin, user)).posted.amount_minor == 100 + 4 * 3 - 4 * 2
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 8 + 64


async def test_a_balance_read_answers_during_a_write_with_the_committed_balance(hub: Hub) -> None:
    shop = await hub.new_tenant("Read during write")
    user = await new_user(shop)
    await fund(shop, user, 10)
    wallets = WalletService(hub.deps)
    async with ambient(hub.deps.db) as uow:
        await wallets.adjust(staff(shop), user, Money("TOKEN", 5), True, "slow credit", "tests")
        seen = await asyncio.wait_for(balance(shop.admin, user), NEVER)
        assert seen.posted.amount_minor == 10  # the last committed balance, without waiting
        queued = asyncio.ensure_future(fund(shop, user, 1))  # another write: it waits for its turn
        await asyncio.wait_for(assert_ledger_ok(shop), NEVER)  # so does VerifyLedger: it only reads
        assert not queued.done()
        await uow.commit()
    await asyncio.wait_for(queued, NEVER)
    assert (await balance(shop.admin, user)).posted.amount_minor == 16
    await assert_ledger_ok(shop)


async def test_a_read_inside_a_mutating_call_sees_the_calls_own_writes(hub: Hub) -> None:
    shop = await hub.new_tenant("Own writes")
    user = await new_user(shop)
    await fund(shop, user, 10)
    wallets, actor = WalletService(hub.deps), staff(shop)
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with ambient(hub.deps.db):
            await wallets.adjust(actor, user, Money("TOKEN", 5), True, "credit", "tests")
            listed, _token = await wallets.list_transfers(actor, user, "TOKEN", [], None, None, 10, "")
            assert [t.amount for t in listed] == [5, 10]  # a read-only unit: joins the call's
            checked = await wallets.verify(actor)
            assert (checked.drifts, checked.transfers) == ([], 2)  # the funding and this credit
            raise RuntimeError("changed my mind")
    assert (await balance(shop.admin, user)).posted.amount_minor == 10  # rolled back, reads included
    await assert_ledger_ok(shop)


@pytest.fixture
async def impatient_sqlite_hub(tmp_path: Path) -> AsyncIterator[Hub]:
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'impatient.db'}", write_wait_seconds=0.2)
    await upgrade_database(db)
    hub = await start_hub(db, "sqlite")
    try:
        yield hub
    finally:
        await hub.close()
        await hub.server.stop(0)
        await db.dispose()


async def test_a_write_that_cannot_get_the_writer_in_time_is_unavailable_and_changes_nothing(
    impatient_sqlite_hub: Hub,
) -> None:
    """A database that cannot take the write now is UNAVAILABLE (retry later), not INTERNAL (a bug)."""
    hub = impatient_sqlite_hub
    shop = await hub.new_tenant("Busy writer")
    user = await new_user(shop)
    request = pb.AdjustBalanceRequest(
        user_id=user, amount=money(5), direction=CREDIT, reason="while the writer is busy", actor="tests"
    )
    async with ambient(hub.deps.db):  # an open write unit holds the writer's turn; left uncommitted
        await WalletService(hub.deps).adjust(staff(shop), user, Money("TOKEN", 1), True, "held", "tests")
        with pytest.raises(Unavailable) as caught:
            await shop.admin.wallet.AdjustBalance(request)
    assert caught.value.reason == "DATABASE_UNAVAILABLE"
    assert (await balance(shop.admin, user)).posted.amount_minor == 0


async def test_a_fast_write_waits_out_another_process_holding_the_file_lock_and_reads_answer_meanwhile(
    sqlite_hub: Hub, tmp_path: Path
) -> None:
    """Raw transactions run in place on the event loop's thread (store/sqlite_writer.py): a lock that
    another process holds on the file (`billing-hub migrate`, say) must not stall the loop while the
    write waits for it, and the write lands once the lock is gone."""
    hub = sqlite_hub
    writer = hub.deps.db.sqlite_writer
    assert writer is not None
    shop = await hub.new_tenant("Locked file")
    user = await new_user(shop)
    await fund(shop, user, 10)
    await fund(shop, user, 10)  # the adjustments account's buckets exist: the fast path takes it from here
    committed = writer.commits
    other = sqlite3.connect(tmp_path / "writers.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    request = pb.AdjustBalanceRequest(user_id=user, amount=money(5), direction=CREDIT, reason="locked", actor="tests")

    async def adjust() -> pb.AdjustBalanceResponse:
        return await shop.admin.wallet.AdjustBalance(request)

    credit = asyncio.create_task(adjust())
    for _ in range(3):  # the loop answers reads while the credit waits
        assert (await asyncio.wait_for(balance(shop.admin, user), NEVER)).posted.amount_minor == 20
    assert not credit.done()
    other.execute("ROLLBACK")
    other.close()
    await asyncio.wait_for(credit, NEVER)
    assert (await balance(shop.admin, user)).posted.amount_minor == 25
    assert writer.commits == committed + 1  # in place, not on the ORM's writer
    await assert_ledger_ok(shop)
