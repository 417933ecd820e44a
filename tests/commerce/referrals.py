"""Helpers of the referral tests: a program, users who join by a referral code, a purchase."""

from __future__ import annotations

from sdk.billinghub.v1 import common_pb2, referral_pb2
from sdk.billinghub.v1 import referral_service_pb2 as pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order, pay
from tests.hub import TenantHandle
from tests.money import fund


async def set_program(shop: TenantHandle, **fields: object) -> referral_pb2.ReferralProgram:
    fields.setdefault("enabled", True)
    program = referral_pb2.ReferralProgram(**fields)  # type: ignore[arg-type]
    request = pb.UpdateReferralProgramRequest(program=program)
    return (await shop.admin.referrals.UpdateReferralProgram(request)).program


async def join(shop: TenantHandle, external_id: str, referral_code: str = "", username: str = "") -> tuple[str, str]:
    """Register a user (invited by the owner of referral_code); returns (id, own referral code)."""
    request = users_pb.RegisterUserRequest(
        platform=common_pb2.PLATFORM_TELEGRAM,
        external_id=external_id,
        referral_code=referral_code,
        username=username,
    )
    user = (await shop.admin.users.RegisterUser(request)).user
    return user.id, user.referral_code


async def buy(shop: TenantHandle, user: str, stars: int) -> str:
    """The user buys a token pack for `stars` XTR from the wallet; returns the order id."""
    pack = await token_pack(shop, stars=stars, tokens=stars * 10)
    await fund(shop, user, stars, "XTR")
    order = await create_order(shop, user, pack.id)
    await pay(shop, order.id)
    return order.id


async def stats(shop: TenantHandle, user: str) -> referral_pb2.ReferralStats:
    return (await shop.admin.referrals.GetReferralStats(pb.GetReferralStatsRequest(user_id=user))).stats


def amounts(values: object) -> dict[str, int]:
    return {m.asset: m.amount_minor for m in values}  # type: ignore[attr-defined]
