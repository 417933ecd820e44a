"""Money under concurrency: many calls racing on one wallet, then the ledger invariants.

On PostgreSQL these are real races between sessions (the hot path runs each charge as one
statement); on SQLite the same calls take turns at the core's one writer connection. Either way the
outcome must be exact.
"""

from __future__ import annotations

import asyncio

from sdk import BillingHubError, FailedPrecondition
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.hub import Hub
from tests.money import CREDIT, assert_ledger_ok, balance, fund, money, new_user


async def test_200_concurrent_charges_on_100_tokens_succeed_exactly_100_times(hub: Hub) -> None:
    shop = await hub.new_tenant("Race charges")
    user = await new_user(shop)
    await fund(shop, user, 100)
    calls = [shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1))) for _ in range(200)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    succeeded = [r for r in results if isinstance(r, pb.ChargeUsageResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    assert (len(succeeded), len(refused)) == (100, 100)
    assert sorted(r.transfer.debit_balance_after for r in succeeded) == list(range(100))
    now = await balance(shop.admin, user)
    assert (now.posted.amount_minor, now.available.amount_minor) == (0, 0)
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 101


async def test_100_concurrent_replays_of_one_charge_post_one_transfer(hub: Hub) -> None:
    shop = await hub.new_tenant("Race replays")
    user = await new_user(shop)
    await fund(shop, user, 100)
    request = pb.ChargeUsageRequest(request_id="same-click", user_id=user, amount=money(7), reference="image")
    results = await asyncio.gather(*(shop.admin.wallet.ChargeUsage(request) for _ in range(100)))
    assert len({r.transfer.id for r in results}) == 1
    assert all(r == results[0] for r in results)
    assert (await balance(shop.admin, user)).posted.amount_minor == 93
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 2


async def test_concurrent_replays_of_an_adjustment_post_one_transfer(hub: Hub) -> None:
    shop = await hub.new_tenant("Race adjust")
    user = await new_user(shop)
    request = pb.AdjustBalanceRequest(
        request_id="bonus-1", user_id=user, amount=money(25), direction=CREDIT, reason="bonus", actor="tg:1"
    )
    results = await asyncio.gather(*(shop.admin.wallet.AdjustBalance(request) for _ in range(50)))
    assert len({r.transfer.id for r in results}) == 1
    assert (await balance(shop.admin, user)).posted.amount_minor == 25
    await assert_ledger_ok(shop)


async def test_concurrent_holds_never_reserve_more_than_the_balance(hub: Hub) -> None:
    shop = await hub.new_tenant("Race holds")
    user = await new_user(shop)
    await fund(shop, user, 50)
    calls = [shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(3))) for _ in range(40)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    held = [r for r in results if isinstance(r, pb.CreateHoldResponse)]
    assert len(held) == 16
    assert all(isinstance(r, FailedPrecondition) for r in results if isinstance(r, BillingHubError))
    now = await balance(shop.admin, user)
    assert (now.held.amount_minor, now.available.amount_minor) == (48, 2)
    captures = [shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=r.hold.id)) for r in held[:8]]
    voids = [shop.admin.wallet.VoidHold(pb.VoidHoldRequest(hold_id=r.hold.id)) for r in held[8:]]
    await asyncio.gather(*captures, *voids)
    now = await balance(shop.admin, user)
    assert (now.posted.amount_minor, now.held.amount_minor) == (26, 0)
    await assert_ledger_ok(shop)


async def test_charges_and_captures_interleaved_keep_the_invariants(hub: Hub) -> None:
    shop = await hub.new_tenant("Race mixed")
    users = [await new_user(shop, str(n)) for n in range(5)]
    for user in users:
        await fund(shop, user, 30)
    calls = []
    for n in range(150):
        user = users[n % 5]
        if n % 3 == 0:
            calls.append(shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(2))))
        else:
            calls.append(shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1))))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, FailedPrecondition)]
    for user in users:
        now = await balance(shop.admin, user)
        assert now.available.amount_minor >= 0
    await assert_ledger_ok(shop)
