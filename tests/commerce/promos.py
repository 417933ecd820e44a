"""Helpers of the promo code tests."""

from __future__ import annotations

import asyncio
import json
import uuid

from sdk.billinghub.v1 import event_pb2, event_service_pb2, promo_pb2
from sdk.billinghub.v1 import promo_service_pb2 as pb
from tests.hub import TenantHandle
from tests.money import money, new_user

CREDIT = promo_pb2.PROMO_KIND_CREDIT
DISCOUNT = promo_pb2.PROMO_KIND_PERCENT_DISCOUNT


async def create_code(shop: TenantHandle, code: str, **fields: object) -> promo_pb2.PromoCode:
    message = promo_pb2.PromoCode(code=code, **fields)  # type: ignore[arg-type]
    created: pb.CreatePromoCodeResponse = await shop.admin.promos.CreatePromoCode(
        pb.CreatePromoCodeRequest(promo_code=message)
    )
    return created.promo_code


async def credit_code(shop: TenantHandle, code: str, amount: int = 500, **fields: object) -> promo_pb2.PromoCode:
    return await create_code(shop, code, kind=CREDIT, credit=money(amount), **fields)


async def discount_code(
    shop: TenantHandle, code: str, percent_bps: int = 2500, **fields: object
) -> promo_pb2.PromoCode:
    return await create_code(shop, code, kind=DISCOUNT, percent_bps=percent_bps, **fields)


async def redeem(shop: TenantHandle, user: str, code: str) -> pb.RedeemPromoCodeResponse:
    redeemed: pb.RedeemPromoCodeResponse = await shop.admin.promos.RedeemPromoCode(
        pb.RedeemPromoCodeRequest(user_id=user, code=code)
    )
    return redeemed


async def all_codes(shop: TenantHandle) -> dict[str, promo_pb2.PromoCode]:
    listed = await shop.admin.promos.ListPromoCodes(pb.ListPromoCodesRequest(include_disabled=True, page_size=500))
    return {promo.code: promo for promo in listed.promo_codes}


async def used_count(shop: TenantHandle, code: str) -> int:
    return (await all_codes(shop))[code].used_count


async def settled_event_types(shop: TenantHandle, prefix: str) -> list[str]:
    """The types of the tenant's events starting with `prefix`, once all written so far are listed."""
    return [event.type for event in await settled_events(shop, prefix)]


async def settled_events(shop: TenantHandle, *prefixes: str) -> list[event_pb2.Event]:
    """The tenant's events of these types or prefixes, once all written so far are listed.

    On PostgreSQL an event is listed only when every older transaction of the whole server has
    ended (store/repositories/events.py), which other sessions on a shared server can delay. A
    marker event written now belongs to a newer transaction than every event before it, so once
    the marker is delivered, every earlier event is listed too.
    """
    marker = await new_user(shop, f"marker-{uuid.uuid4().hex}")
    watch = shop.admin.events.WatchEvents(event_service_pb2.WatchEventsRequest(types=["user.registered"]))
    try:
        async with asyncio.timeout(30):
            async for item in watch:
                if json.loads(item.event.data)["user_id"] == marker:
                    break
    finally:
        watch.cancel()  # leaving the loop does not end the call: the core would keep streaming to nobody
    request = event_service_pb2.ListEventsRequest(types=list(prefixes), page_size=1000)
    return list((await shop.admin.events.ListEvents(request)).events)
