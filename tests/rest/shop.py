"""Arranging a REST site's tenant through the core (the tenant admin's SDK client): a token pack
(100 XTR -> 1000 TOKEN) and funded users for the commerce tests; plans bought, referral earnings,
top-up methods and paid orders whose tasks wait for a processor for the others; and the figures a
test checks afterwards."""

from __future__ import annotations

from typing import Any

from sdk.billinghub.v1 import package_pb2, topup_pb2
from sdk.billinghub.v1 import topup_service_pb2 as topups_pb
from tests.commerce.catalog import create_package, price, stars_per_unit, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.referrals import buy, set_program
from tests.money import balance, fund
from tests.rest.site import Site

PACK_PRICE = 100  # XTR
PACK_TOKENS = 1000
CARD = topup_pb2.TopupMethod(
    code="card_ru", title={"en": "Russian card"}, instructions={"en": "Send to 2200 0000 0000 0000"}, active=True
)
OLD_CARD = topup_pb2.TopupMethod(code="card_old", title={"en": "Old card"}, active=False)


async def pack(site: Site) -> package_pb2.Package:
    return await token_pack(site.tenant, stars=PACK_PRICE, tokens=PACK_TOKENS)


async def funded_user(site: Site, external_id: str, stars: int) -> str:
    """A user the website registered, holding `stars` XTR (funded by a tenant admin)."""
    user_id = str((await site.register(external_id))["id"])
    if stars:
        await fund(site.tenant, user_id, stars, "XTR")
    return user_id


async def posted(site: Site, user_id: str, asset: str = "XTR") -> int:
    return int((await balance(site.tenant.admin, user_id, asset)).posted.amount_minor)


def money(amount: int, asset: str) -> dict[str, Any]:
    """Money as the REST API writes it: the amount a string, never a JSON number."""
    return {"asset": asset, "amount_minor": str(amount)}


async def subscribed(site: Site, external_id: str, plan_code: str = "pro") -> tuple[dict[str, Any], str]:
    """A user registered by the site who bought a 30-day plan from the wallet: (user, package id)."""
    user = await site.register(external_id)
    package = await create_package(
        site.tenant, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code=plan_code,
        period_days=30,
    )  # fmt: skip
    await fund(site.tenant, user["id"], 100, "XTR")
    await pay(site.tenant, (await create_order(site.tenant, user["id"], package.id)).id)
    return user, package.id


async def earning_referrer(site: Site, sale: int = 100) -> tuple[dict[str, Any], dict[str, Any]]:
    """A referrer and the buyer they invited, who spent `sale` XTR: half of it is the referrer's,
    withdrawable at once (no hold), at least 10 XTR a payout."""
    await set_program(site.tenant, level_rates_bps=[5000], payout_asset="XTR", min_payout_minor=10)
    referrer = await site.register("referrer")
    buyer = await site.register("buyer", referral_code=referrer["referral_code"])
    await buy(site.tenant, buyer["id"], sale)
    return referrer, buyer


async def with_topup_methods(site: Site) -> None:
    await site.tenant.admin.topups.SetTopupMethods(topups_pb.SetTopupMethodsRequest(methods=[CARD, OLD_CARD]))


async def paid_stars_order(site: Site, external_id: str) -> tuple[str, str]:
    """A user's paid order of 50 Stars (90 RUB), queued for a Fragment-like processor: (user id, order id)."""
    user = await site.register(external_id)
    stars = await stars_per_unit(site.tenant)
    await fund(site.tenant, user["id"], 9_000, "RUB")
    order = await create_order(site.tenant, user["id"], stars.id, quantity=50, recipient="gift_target")
    await pay(site.tenant, order.id)
    return user["id"], order.id


async def posted_and_held(site: Site, user_id: str, asset: str) -> tuple[int, int]:
    wallet = await balance(site.tenant.admin, user_id, asset)
    return wallet.posted.amount_minor, wallet.held.amount_minor
