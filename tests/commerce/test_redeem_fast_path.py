"""RedeemPromoCode on the fast path. On PostgreSQL the credit joins the use's writes in the unit's
last statement, and the wallet's balance after it, which the answer's transfer carries, comes back
from that statement: the answer, a replay of it and the rows written must be the ORM path's."""

from __future__ import annotations

import asyncio

import pytest

from core_server.domain.promos.codes import PromoCodeService
from sdk.billinghub.v1 import promo_service_pb2 as pb
from tests.commerce.promos import credit_code
from tests.fast_paths import PATHS, take_path, trace, traces_on_both_paths
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, new_user

FAST = [(PromoCodeService, "redeem_fast")]


async def warm_shop(hub: Hub, name: str) -> tuple[TenantHandle, str]:
    """A tenant whose promo-expense TOKEN buckets the core knows (a first redemption learns
    them), and a user with 40 TOKEN of their own."""
    shop = await hub.new_tenant(name)
    await credit_code(shop, "WARM", 1)
    user = await new_user(shop)
    await redeem(shop, await new_user(shop, "warm"), "WARM")
    await fund(shop, user, 40)
    return shop, user


async def redeem(shop: TenantHandle, user: str, code: str, request_id: str = "") -> pb.RedeemPromoCodeResponse:
    call = pb.RedeemPromoCodeRequest(user_id=user, code=code, request_id=request_id)
    answer: pb.RedeemPromoCodeResponse = await shop.admin.promos.RedeemPromoCode(call)
    return answer


async def redeem_story(shop: TenantHandle, user: str) -> list[pb.RedeemPromoCodeResponse]:
    """A code used twice by one user, replayed by request id after the wallet moved, then its
    last use answered again."""
    await credit_code(shop, "TWICE", 300, per_user_limit=2)
    first = await redeem(shop, user, "TWICE", "redeem-1")
    second = await redeem(shop, user, "TWICE")
    await fund(shop, user, 5)
    return [first, second, await redeem(shop, user, "TWICE", "redeem-1"), await redeem(shop, user, "TWICE")]


@PATHS
async def test_redemptions_answer_with_the_balance_they_left(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, user = await warm_shop(hub, f"Redeem {path}")
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    first, second, replayed, latest = await redeem_story(shop, user)
    writes = opened["write"]
    monkeypatch.undo()
    assert (first.transfer.credit_balance_after, first.promo_code.used_count) == (340, 1)
    assert (second.transfer.credit_balance_after, second.promo_code.used_count) == (640, 2)
    assert replayed == first  # as answered then, though the wallet has moved since
    assert latest.transfer.id == second.transfer.id
    # on the fast path only the replay and the last call open an ORM write unit: a user with no use
    # left takes the ORM path, where the replay finds its record and the last call its latest use
    assert (writes == 2) if path == "fast" else (writes > 2)
    assert (await balance(shop.admin, user)).posted.amount_minor == 645
    events = (await trace(shop, "wallet."))["events"]
    assert [data["balance_minor"] for _type, data in events][-4:] == [40, 340, 640, 645]
    await assert_ledger_ok(shop)


async def test_both_paths_leave_the_same_trace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    traces, _writes = await traces_on_both_paths(hub, monkeypatch, FAST, warm_shop, redeem_story, "wallet.", "promo.")
    assert traces[0] == traces[1]


async def test_many_users_racing_for_a_few_credits(hub: Hub) -> None:
    """Twelve users at once for five uses: five credited once each, each answer's balance the one
    its transfer recorded, the code's count five."""
    shop, _user = await warm_shop(hub, "Redeem race")
    await credit_code(shop, "FEW", 70, total_limit=5)
    users = [await new_user(shop, f"r{n}") for n in range(12)]
    results = await asyncio.gather(*(redeem(shop, user, "FEW") for user in users), return_exceptions=True)
    won = [r for r in results if isinstance(r, pb.RedeemPromoCodeResponse)]
    assert len(won) == 5, results
    assert sorted(answer.promo_code.used_count for answer in won) == [1, 2, 3, 4, 5]
    assert {answer.transfer.credit_balance_after for answer in won} == {70}
    credited = [(await balance(shop.admin, user)).posted.amount_minor for user in users]
    assert sorted(credited) == [0] * 7 + [70] * 5
    await assert_ledger_ok(shop)
