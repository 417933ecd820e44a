"""Two-phase holds: reserve at once, then capture, release, or let expire."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.money.holds import HoldService
from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import wallet_pb2
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.hub import Hub
from tests.money import assert_ledger_ok, balance, fund, money, new_user


async def test_hold_counts_against_available_at_once_then_capture_part(hub: Hub) -> None:
    shop = await hub.new_tenant("Holds")
    user = await new_user(shop)
    await fund(shop, user, 100)
    hold = (
        await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(60), reference="gen:1"))
    ).hold
    assert hold.status == wallet_pb2.HOLD_STATUS_PENDING
    now = await balance(shop.admin, user)
    assert (now.posted.amount_minor, now.held.amount_minor, now.available.amount_minor) == (100, 60, 40)
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(41)))
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    with pytest.raises(FailedPrecondition):
        await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(41)))
    captured = await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=hold.id, amount_minor=45))
    assert captured.hold.status == wallet_pb2.HOLD_STATUS_CAPTURED
    assert captured.hold.captured_amount.amount_minor == 45
    assert captured.transfer.kind == wallet_pb2.TRANSFER_KIND_HOLD_CAPTURE
    assert captured.transfer.reference == f"hold:{hold.id}"
    after = await balance(shop.admin, user)
    assert (after.posted.amount_minor, after.held.amount_minor, after.available.amount_minor) == (55, 0, 55)
    with pytest.raises(FailedPrecondition) as again:
        await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=hold.id))
    assert again.value.reason == "HOLD_NOT_PENDING"
    await assert_ledger_ok(shop)


async def test_void_releases_and_whole_capture(hub: Hub) -> None:
    shop = await hub.new_tenant("Void")
    user = await new_user(shop)
    await fund(shop, user, 10)
    first = (await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(4)))).hold
    voided = await shop.admin.wallet.VoidHold(pb.VoidHoldRequest(hold_id=first.id))
    assert voided.hold.status == wallet_pb2.HOLD_STATUS_VOIDED
    assert (await balance(shop.admin, user)).available.amount_minor == 10
    with pytest.raises(FailedPrecondition):
        await shop.admin.wallet.VoidHold(pb.VoidHoldRequest(hold_id=first.id))
    second = (await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(10)))).hold
    whole = await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=second.id))
    assert whole.transfer.amount.amount_minor == 10
    assert (await balance(shop.admin, user)).posted.amount_minor == 0
    got = await shop.admin.wallet.GetHold(pb.GetHoldRequest(hold_id=second.id))
    assert got.hold == whole.hold
    await assert_ledger_ok(shop)


async def test_bad_hold_requests(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad holds")
    user = await new_user(shop)
    await fund(shop, user, 10)
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(1), ttl_seconds=-1))
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(0)))
    hold = (await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(5)))).hold
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=hold.id, amount_minor=6))
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=hold.id, amount_minor=0))
    with pytest.raises(NotFound):
        await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id="01a20281-0000-7000-8000-000000000000"))
    assert (await balance(shop.admin, user)).held.amount_minor == 5
    other = await hub.new_tenant("Other")
    with pytest.raises(NotFound):
        await other.admin.wallet.VoidHold(pb.VoidHoldRequest(hold_id=hold.id))
    await assert_ledger_ok(shop)


async def test_expired_holds_are_released_by_the_worker(hub: Hub) -> None:
    shop = await hub.new_tenant("Expiry")
    user = await new_user(shop)
    await fund(shop, user, 10)
    hold = (
        await shop.admin.wallet.CreateHold(pb.CreateHoldRequest(user_id=user, amount=money(7), ttl_seconds=60))
    ).hold
    later = FrozenClock(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61))
    expired = await HoldService(dataclasses.replace(hub.deps, clock=later)).expire_due()
    assert expired >= 1
    got = await shop.admin.wallet.GetHold(pb.GetHoldRequest(hold_id=hold.id))
    assert got.hold.status == wallet_pb2.HOLD_STATUS_EXPIRED
    assert (await balance(shop.admin, user)).available.amount_minor == 10
    with pytest.raises(FailedPrecondition):
        await shop.admin.wallet.CaptureHold(pb.CaptureHoldRequest(hold_id=hold.id))
    await assert_ledger_ok(shop)
