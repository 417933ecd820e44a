"""The referral program through ReferralService: program, commissions, stats, tiers, leaderboard."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from google.protobuf import timestamp_pb2

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import (
    audit_service_pb2,
    package_pb2,
    referral_pb2,
    tenant_pb2,
    wallet_pb2,
    wallet_service_pb2,
)
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import referral_service_pb2 as pb
from tests.commerce.promos import settled_events
from tests.commerce.referrals import amounts, buy, join, set_program, stats
from tests.hub import Hub
from tests.money import assert_ledger_ok, balance, fund

Tier = referral_pb2.ReferralTier


async def test_a_new_tenant_has_a_disabled_program_and_an_admin_sets_it(hub: Hub) -> None:
    shop = await hub.new_tenant("Program")
    current = (await shop.admin.referrals.GetReferralProgram(pb.GetReferralProgramRequest())).program
    assert (current.enabled, list(current.level_rates_bps)) == (False, [])
    program = await set_program(
        shop,
        level_rates_bps=[1000, 500, 200],
        package_kinds=[package_pb2.PACKAGE_KIND_SUBSCRIPTION],
        payout_asset="TOKEN",
        rate_numerator=10,
        rate_denominator=1,
        hold_days=7,
        tiers=[Tier(name="Silver", min_invited=10, bonus_rate_bps=500, one_off_bonus_minor=100)],
        min_payout_minor=50,
        bot_username="@acme_bot",
    )
    assert program.bot_username == "acme_bot"
    again = (await shop.admin.referrals.GetReferralProgram(pb.GetReferralProgramRequest())).program
    assert again == program
    entries = await shop.admin.audit.ListAuditEntries(audit_service_pb2.ListAuditEntriesRequest())
    assert "referral.program_updated" in [e.action for e in entries.audit_entries]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"level_rates_bps": [5000, 4000, 1000]}, "program.level_rates_bps"),
        ({"level_rates_bps": [100] * 6}, "program.level_rates_bps"),
        ({"level_rates_bps": [0]}, "program.level_rates_bps"),
        ({"level_rates_bps": []}, "program.level_rates_bps"),
        (
            {"level_rates_bps": [9000], "tiers": [Tier(name="Gold", min_invited=1, bonus_rate_bps=1000)]},
            "program.level_rates_bps",
        ),
        ({"level_rates_bps": [1000], "rate_numerator": 3}, "program.rate_numerator"),
        ({"level_rates_bps": [1000], "hold_days": 366}, "program.hold_days"),
        ({"level_rates_bps": [1000], "bot_username": "no way"}, "program.bot_username"),
        ({"level_rates_bps": [1000], "tiers": [Tier(name="Empty")]}, "program.tiers[0]"),
        ({"level_rates_bps": [1000], "tiers": [Tier(name="A", min_invited=1)] * 2}, "program.tiers"),
        (
            {"level_rates_bps": [1000], "tiers": [Tier(name="B", min_invited=1, one_off_bonus_minor=5)]},
            "program.tiers[0].one_off_bonus_minor",
        ),
        ({"level_rates_bps": [1000], "package_kinds": [99]}, "program.package_kinds"),
    ],
)
async def test_invalid_programs_are_refused_and_change_nothing(hub: Hub, fields: dict[str, object], bad: str) -> None:
    shop = await hub.new_tenant("Bad program")
    before = await set_program(shop, level_rates_bps=[2500])
    with pytest.raises(InvalidArgument) as caught:
        await set_program(shop, **fields)
    assert bad in {v.field for v in caught.value.field_violations}
    assert (await shop.admin.referrals.GetReferralProgram(pb.GetReferralProgramRequest())).program == before


async def test_program_roles_and_assets(hub: Hub) -> None:
    shop = await hub.new_tenant("Program roles")
    with pytest.raises(NotFound):
        await set_program(shop, level_rates_bps=[1000], payout_asset="USDT")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id), None)
    with pytest.raises(PermissionDenied):
        await partner.referrals.UpdateReferralProgram(
            pb.UpdateReferralProgramRequest(program=referral_pb2.ReferralProgram(enabled=False))
        )
    with pytest.raises(InvalidArgument):
        await shop.admin.referrals.UpdateReferralProgram(pb.UpdateReferralProgramRequest())


async def test_fifty_fifty_split_with_the_direct_referrer(hub: Hub) -> None:
    """The affiliate bot: each sale is split 50/50 between the owner and the affiliate."""
    shop = await hub.new_tenant("Affiliate")
    await set_program(shop, level_rates_bps=[5000], bot_username="affiliate_bot")
    affiliate, code = await join(shop, "1", username="aff")
    buyer, _ = await join(shop, "2", code)
    order = await buy(shop, buyer, 100)
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 50
    figures = await stats(shop, affiliate)
    assert figures.referral_code == code
    assert figures.link == f"https://t.me/affiliate_bot?start=ref_{code}"
    assert list(figures.invited_by_level) == [1]
    assert amounts(figures.earned) == amounts(figures.withdrawable) == {"XTR": 50}
    assert amounts(figures.pending) == {"XTR": 0}
    transfers = await shop.admin.wallet.ListTransfers(
        wallet_service_pb2.ListTransfersRequest(user_id=affiliate, kinds=[wallet_pb2.TRANSFER_KIND_REFERRAL_COMMISSION])
    )
    [commission] = transfers.transfers
    assert commission.reference == f"order:{order}"
    assert "referral.commission" in [e.type for e in await settled_events(shop, "referral.")]
    await assert_ledger_ok(shop)


async def test_three_levels_kinds_conversion_and_clawback_on_refund(hub: Hub) -> None:
    shop = await hub.new_tenant("Three levels")
    await set_program(
        shop,
        level_rates_bps=[1000, 500, 200],
        package_kinds=[package_pb2.PACKAGE_KIND_TOKEN_PACK],
        payout_asset="TOKEN",
        rate_numerator=10,
        rate_denominator=1,
    )
    top, top_code = await join(shop, "1")
    middle, middle_code = await join(shop, "2", top_code)
    low, low_code = await join(shop, "3", middle_code)
    buyer, _ = await join(shop, "4", low_code)
    order = await buy(shop, buyer, 1000)  # 1000 XTR = 10 000 TOKEN in the payout asset
    earned = {user: (await balance(shop.admin, user, "TOKEN")).posted.amount_minor for user in (low, middle, top)}
    assert earned == {low: 1000, middle: 500, top: 200}
    assert list((await stats(shop, top)).invited_by_level) == [1, 1, 1]
    level3 = await shop.admin.referrals.ListReferrals(pb.ListReferralsRequest(user_id=top, level=3))
    assert [u.id for u in level3.users] == [buyer]
    await shop.admin.orders.RefundOrder(orders_pb.RefundOrderRequest(order_id=order, reason="refund", actor="tg:1"))
    assert amounts((await stats(shop, low)).earned) == {"TOKEN": 0}
    assert (await balance(shop.admin, low, "TOKEN")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_hold_period_and_payout_requests(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Payouts")
    await set_program(shop, level_rates_bps=[5000], hold_days=7, min_payout_minor=100)
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 1000)
    figures = await stats(shop, affiliate)
    assert (amounts(figures.pending), amounts(figures.withdrawable)) == ({"XTR": 500}, {"XTR": 0})
    create = pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=300, destination="bc1qexample")
    with pytest.raises(FailedPrecondition) as held:
        await shop.admin.referrals.CreatePayoutRequest(create)
    assert held.value.reason == "INSUFFICIENT_FUNDS"
    clock.advance(dt.timedelta(days=7, seconds=1))
    assert amounts((await stats(shop, affiliate)).withdrawable) == {"XTR": 500}
    small = pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=99, destination="bc1qexample")
    with pytest.raises(FailedPrecondition) as below:
        await shop.admin.referrals.CreatePayoutRequest(small)
    assert below.value.reason == "BELOW_MIN_PAYOUT"
    first = (await shop.admin.referrals.CreatePayoutRequest(create)).payout_request
    assert (first.status, first.amount.amount_minor, first.amount.asset) == (
        referral_pb2.PAYOUT_STATUS_PENDING,
        300,
        "XTR",
    )
    wallet = await balance(shop.admin, affiliate, "XTR")
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == (500, 300)
    assert amounts((await stats(shop, affiliate)).withdrawable) == {"XTR": 200}
    with pytest.raises(FailedPrecondition) as too_much:
        await shop.admin.referrals.CreatePayoutRequest(
            pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=201, destination="bc1qexample")
        )
    assert too_much.value.reason == "INSUFFICIENT_FUNDS"
    paid = await shop.admin.referrals.ApprovePayoutRequest(
        pb.ApprovePayoutRequestRequest(payout_request_id=first.id, payment_reference="txhash", actor="tg:admin")
    )
    assert (paid.payout_request.status, paid.payout_request.payment_reference) == (
        referral_pb2.PAYOUT_STATUS_PAID,
        "txhash",
    )
    assert paid.payout_request.HasField("decide_time")
    wallet = await balance(shop.admin, affiliate, "XTR")
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == (200, 0)
    second = (
        await shop.admin.referrals.CreatePayoutRequest(
            pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=200, destination="bc1qexample")
        )
    ).payout_request
    rejected = await shop.admin.referrals.RejectPayoutRequest(
        pb.RejectPayoutRequestRequest(payout_request_id=second.id, reason="wrong address", actor="tg:admin")
    )
    assert (rejected.payout_request.status, rejected.payout_request.reason) == (
        referral_pb2.PAYOUT_STATUS_REJECTED,
        "wrong address",
    )
    assert (await balance(shop.admin, affiliate, "XTR")).held.amount_minor == 0
    with pytest.raises(FailedPrecondition) as decided:
        await shop.admin.referrals.ApprovePayoutRequest(
            pb.ApprovePayoutRequestRequest(payout_request_id=second.id, payment_reference="tx", actor="tg:admin")
        )
    assert decided.value.reason == "PAYOUT_NOT_PENDING"
    listed = await shop.admin.referrals.ListPayoutRequests(
        pb.ListPayoutRequestsRequest(user_id=affiliate, status=referral_pb2.PAYOUT_STATUS_PAID)
    )
    assert [p.id for p in listed.payout_requests] == [first.id]
    everything = await shop.admin.referrals.ListPayoutRequests(pb.ListPayoutRequestsRequest(page_size=1))
    assert len(everything.payout_requests) == 1
    assert everything.next_page_token
    payouts = await shop.admin.wallet.ListTransfers(
        wallet_service_pb2.ListTransfersRequest(user_id=affiliate, kinds=[wallet_pb2.TRANSFER_KIND_PAYOUT])
    )
    assert [t.amount.amount_minor for t in payouts.transfers] == [300]
    await assert_ledger_ok(shop)


async def test_bad_payout_calls_change_nothing(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad payouts")
    await set_program(shop, level_rates_bps=[5000])
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 100)
    bad_requests = [
        pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=0, destination="x"),
        pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=10, destination=""),
        pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=10, destination="x" * 201),
        pb.CreatePayoutRequestRequest(user_id="nope", amount_minor=10, destination="x"),
    ]
    for request in bad_requests:
        with pytest.raises(InvalidArgument):
            await shop.admin.referrals.CreatePayoutRequest(request)
    with pytest.raises(FailedPrecondition) as nothing:
        await shop.admin.referrals.CreatePayoutRequest(
            pb.CreatePayoutRequestRequest(user_id=buyer, amount_minor=10, destination="x")
        )
    assert nothing.value.reason == "NOTHING_TO_WITHDRAW"
    with pytest.raises(NotFound):
        await shop.admin.referrals.ApprovePayoutRequest(
            pb.ApprovePayoutRequestRequest(
                payout_request_id="0190f7a0-0000-7000-8000-000000000000", payment_reference="tx", actor="a"
            )
        )
    pending = (
        await shop.admin.referrals.CreatePayoutRequest(
            pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=10, destination="x")
        )
    ).payout_request
    with pytest.raises(InvalidArgument):
        await shop.admin.referrals.ApprovePayoutRequest(
            pb.ApprovePayoutRequestRequest(payout_request_id=pending.id, payment_reference="", actor="a")
        )
    with pytest.raises(InvalidArgument):
        await shop.admin.referrals.RejectPayoutRequest(
            pb.RejectPayoutRequestRequest(payout_request_id=pending.id, reason="", actor="a")
        )
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    with pytest.raises(PermissionDenied):
        await partner.referrals.ApprovePayoutRequest(
            pb.ApprovePayoutRequestRequest(payout_request_id=pending.id, payment_reference="tx", actor="a")
        )
    with pytest.raises(InvalidArgument):
        await partner.referrals.ListPayoutRequests(pb.ListPayoutRequestsRequest())
    still = await shop.admin.referrals.ListPayoutRequests(pb.ListPayoutRequestsRequest(user_id=affiliate))
    assert [(p.id, p.status) for p in still.payout_requests] == [(pending.id, referral_pb2.PAYOUT_STATUS_PENDING)]
    wallet = await balance(shop.admin, affiliate, "XTR")
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == (50, 10)
    await assert_ledger_ok(shop)


async def test_tiers_pay_a_one_off_bonus_once_and_raise_the_rate(hub: Hub) -> None:
    shop = await hub.new_tenant("Tiers")
    await set_program(
        shop,
        level_rates_bps=[1000],
        payout_asset="XTR",
        tiers=[
            Tier(name="Silver", min_invited=2, bonus_rate_bps=1000, one_off_bonus_minor=25),
            Tier(name="Gold", min_invited=2, min_sales_minor=500, bonus_rate_bps=2000, one_off_bonus_minor=100),
        ],
    )
    affiliate, code = await join(shop, "1")
    first, _ = await join(shop, "2", code)
    assert (await stats(shop, affiliate)).tier == ""
    await join(shop, "3", code)
    assert (await stats(shop, affiliate)).tier == "Silver"
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 25
    await join(shop, "4", code)  # still Silver: the bonus is not paid again
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 25
    await buy(shop, first, 500)  # at Silver: 10 % + 10 % = 100; the sale then reaches Gold (+100 once)
    figures = await stats(shop, affiliate)
    assert figures.tier == "Gold"
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 25 + 100 + 100
    assert amounts(figures.earned) == {"XTR": 225}
    await buy(shop, first, 100)  # at Gold: 10 % + 20 %
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 225 + 30
    assert [e.type for e in await settled_events(shop, "referral.tier_reached")] == ["referral.tier_reached"] * 2
    await assert_ledger_ok(shop)


async def test_leaderboard_by_invited_and_by_earned(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Leaderboard")
    await set_program(shop, level_rates_bps=[5000])
    alice, alice_code = await join(shop, "1", username="alice")
    bob, bob_code = await join(shop, "2", username="bob")
    old, _ = await join(shop, "3", alice_code)
    start = clock.now() + dt.timedelta(hours=1)
    clock.advance(dt.timedelta(days=1))
    for external in ("4", "5"):
        await join(shop, external, bob_code)
    await buy(shop, old, 300)  # alice earns 150
    by_invited = await shop.admin.referrals.GetLeaderboard(
        pb.GetLeaderboardRequest(metric=pb.LEADERBOARD_METRIC_INVITED)
    )
    assert [(e.username, e.value, e.rank) for e in by_invited.entries] == [("bob", 2, 1), ("alice", 1, 2)]
    recent = await shop.admin.referrals.GetLeaderboard(
        pb.GetLeaderboardRequest(metric=pb.LEADERBOARD_METRIC_INVITED, start_time=_ts(start))
    )
    assert [(e.user_id, e.value) for e in recent.entries] == [(bob, 2)]
    by_earned = await shop.admin.referrals.GetLeaderboard(
        pb.GetLeaderboardRequest(metric=pb.LEADERBOARD_METRIC_EARNED, limit=1)
    )
    assert [(e.user_id, e.value) for e in by_earned.entries] == [(alice, 150)]
    for bad in (
        pb.GetLeaderboardRequest(),
        pb.GetLeaderboardRequest(metric=pb.LEADERBOARD_METRIC_INVITED, limit=101),
        pb.GetLeaderboardRequest(metric=pb.LEADERBOARD_METRIC_INVITED, start_time=_ts(start), end_time=_ts(start)),
    ):
        with pytest.raises(InvalidArgument):
            await shop.admin.referrals.GetLeaderboard(bad)


async def test_stats_and_referrals_stay_in_their_tenant(hub: Hub) -> None:
    shop = await hub.new_tenant("Referrals A")
    other = await hub.new_tenant("Referrals B")
    affiliate, code = await join(shop, "1")
    await join(shop, "2", code)
    stranger, _ = await join(other, "9", code)  # a code of another tenant attributes nothing
    assert list((await stats(other, stranger)).invited_by_level) == [0]
    with pytest.raises(NotFound):
        await stats(other, affiliate)
    with pytest.raises(NotFound):
        await other.admin.referrals.ListReferrals(pb.ListReferralsRequest(user_id=affiliate))
    for bad in (pb.ListReferralsRequest(user_id=affiliate, level=6), pb.ListReferralsRequest(user_id="x")):
        with pytest.raises(InvalidArgument):
            await shop.admin.referrals.ListReferrals(bad)
    page = await shop.admin.referrals.ListReferrals(pb.ListReferralsRequest(user_id=affiliate))
    assert len(page.users) == 1


async def test_one_payout_approved_concurrently_is_paid_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Payout race")
    await set_program(shop, level_rates_bps=[5000])
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 1000)
    pending = (
        await shop.admin.referrals.CreatePayoutRequest(
            pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=400, destination="bc1q")
        )
    ).payout_request
    approvals = [
        shop.admin.referrals.ApprovePayoutRequest(
            pb.ApprovePayoutRequestRequest(payout_request_id=pending.id, payment_reference=f"tx{i}", actor="a")
        )
        for i in range(10)
    ]
    rejections = [
        shop.admin.referrals.RejectPayoutRequest(
            pb.RejectPayoutRequestRequest(payout_request_id=pending.id, reason="no", actor="a")
        )
        for _ in range(5)
    ]
    results = await asyncio.gather(*approvals, *rejections, return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "PAYOUT_NOT_PENDING"]
    assert (len(won), len(lost)) == (1, 14)
    wallet = await balance(shop.admin, affiliate, "XTR")
    paid = isinstance(won[0], pb.ApprovePayoutRequestResponse)
    assert (wallet.posted.amount_minor, wallet.held.amount_minor) == ((100 if paid else 500), 0)
    await assert_ledger_ok(shop)


async def test_concurrent_payout_requests_never_exceed_the_withdrawable(hub: Hub) -> None:
    shop = await hub.new_tenant("Payout request race")
    await set_program(shop, level_rates_bps=[5000])
    affiliate, code = await join(shop, "1")
    buyer, _ = await join(shop, "2", code)
    await buy(shop, buyer, 1000)  # 500 withdrawable
    await fund(shop, affiliate, 1000, "XTR")  # wallet money that is not earnings stays out of reach
    calls = [
        shop.admin.referrals.CreatePayoutRequest(
            pb.CreatePayoutRequestRequest(user_id=affiliate, amount_minor=100, destination="bc1q")
        )
        for _ in range(12)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    created = [r for r in results if isinstance(r, pb.CreatePayoutRequestResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "INSUFFICIENT_FUNDS"]
    assert (len(created), len(refused)) == (5, 7)
    assert (await balance(shop.admin, affiliate, "XTR")).held.amount_minor == 500
    await assert_ledger_ok(shop)


async def test_registrations_racing_past_a_tier_pay_its_bonus_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Tier race")
    await set_program(
        shop,
        level_rates_bps=[1000],
        payout_asset="XTR",
        tiers=[Tier(name="Silver", min_invited=3, one_off_bonus_minor=70)],
    )
    affiliate, code = await join(shop, "1")
    await asyncio.gather(*(join(shop, str(100 + i), code) for i in range(12)))
    assert (await balance(shop.admin, affiliate, "XTR")).posted.amount_minor == 70
    assert (await stats(shop, affiliate)).tier == "Silver"
    await assert_ledger_ok(shop)


def _ts(value: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp
