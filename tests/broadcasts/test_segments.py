"""Each segment selects the users it names and no others: paid, an unended subscription, a
language (with its regional forms), no activity (registering, ordering) for N days; only Telegram
users, never one who blocked the bot or whom an admin blocked."""

from __future__ import annotations

import datetime as dt

import pytest

from core_server.domain.clock import FrozenClock
from sdk import BillingHubClient, FailedPrecondition
from sdk.billinghub.v1 import broadcast_pb2 as b
from sdk.billinghub.v1 import broadcast_service_pb2 as pb
from sdk.billinghub.v1 import common_pb2, package_pb2
from tests.broadcasts.broadcasts import create, gateway_of, lease, register, start
from tests.commerce.catalog import create_package, price, token_pack
from tests.commerce.orders import create_order, pay
from tests.hub import Hub, TenantHandle
from tests.money import fund

K = b.BroadcastSegmentKind


async def buy(shop: TenantHandle, user: str, package: str) -> None:
    await fund(shop, user, 100, "XTR")
    await pay(shop, (await create_order(shop, user, package)).id)


async def selected(shop: TenantHandle, bot: BillingHubClient, segment: b.BroadcastSegment) -> set[str]:
    """The users a started broadcast to the segment goes to (it is cancelled afterwards), checked
    against the count an admin sees before starting."""
    draft = await create(shop.admin, segment=segment)
    counted = await shop.admin.broadcasts.CountBroadcastAudience(pb.CountBroadcastAudienceRequest(segment=segment))
    await start(shop.admin, draft.id)
    leased = await lease(bot, draft.id, 1000)
    await shop.admin.broadcasts.CancelBroadcast(pb.CancelBroadcastRequest(broadcast_id=draft.id))
    users = {r.user_id for r in leased.recipients}
    assert counted.audience == len(users)
    return users


async def test_each_segment_selects_its_users(clocked_hub: Hub, clock: FrozenClock) -> None:
    hub = clocked_hub
    shop = await hub.new_tenant("Broadcast segments")
    bot = await gateway_of(hub, shop)
    pack = await token_pack(shop, stars=100)
    plan = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="vip", period_days=30
    )
    english = await register(shop.admin, "1", "en")
    russian = await register(shop.admin, "2", "ru")
    brazilian = await register(shop.admin, "3", "pt-br")
    payer = await register(shop.admin, "4", "ru")
    lapsed = await register(shop.admin, "5", "uk")  # subscribed 40 days ago for 30 days
    await buy(shop, lapsed, plan.id)
    browser = await register(shop.admin, "6", "uk")  # an order never paid
    await create_order(shop, browser, pack.id)
    await register(shop.admin, "site-7", "en", platform=common_pb2.PLATFORM_WEB)

    clock.advance(dt.timedelta(days=40))
    newcomer = await register(shop.admin, "8", "en-gb")
    await buy(shop, payer, pack.id)
    subscriber = await register(shop.admin, "9", "ru")
    await buy(shop, subscriber, plan.id)

    everyone = {english, russian, brazilian, payer, lapsed, browser, newcomer, subscriber}
    assert await selected(shop, bot, b.BroadcastSegment(kind=K.BROADCAST_SEGMENT_KIND_ALL)) == everyone
    assert await selected(shop, bot, b.BroadcastSegment(kind=K.BROADCAST_SEGMENT_KIND_PAID)) == {
        payer,
        lapsed,
        subscriber,
    }
    active = b.BroadcastSegment(kind=K.BROADCAST_SEGMENT_KIND_ACTIVE_SUBSCRIPTION)
    assert await selected(shop, bot, active) == {subscriber}
    language = K.BROADCAST_SEGMENT_KIND_LANGUAGE
    assert await selected(shop, bot, b.BroadcastSegment(kind=language, language="en")) == {english, newcomer}
    assert await selected(shop, bot, b.BroadcastSegment(kind=language, language="pt")) == {brazilian}
    assert await selected(shop, bot, b.BroadcastSegment(kind=language, language="ru")) == {russian, payer, subscriber}
    inactive = K.BROADCAST_SEGMENT_KIND_INACTIVE
    idle = {english, russian, brazilian, lapsed, browser}  # payer ordered today, newcomer and subscriber joined
    assert await selected(shop, bot, b.BroadcastSegment(kind=inactive, inactive_days=30)) == idle

    nobody = b.BroadcastSegment(kind=inactive, inactive_days=41)
    counted = await shop.admin.broadcasts.CountBroadcastAudience(pb.CountBroadcastAudienceRequest(segment=nobody))
    assert counted.audience == 0
    draft = await create(shop.admin, segment=nobody)
    with pytest.raises(FailedPrecondition) as caught:
        await start(shop.admin, draft.id)
    assert caught.value.reason == "BROADCAST_AUDIENCE_EMPTY"
    got = await shop.admin.broadcasts.GetBroadcast(pb.GetBroadcastRequest(broadcast_id=draft.id))
    assert (got.broadcast.status, got.broadcast.audience) == (b.BROADCAST_STATUS_DRAFT, 0)
