"""GetServiceQuota as a buyer meets it before sending a post: how many of the day's posts are left,
counted as SubmitServiceInput counts them, in the tenant's day (here Kolkata, UTC+5:30, so the
day does not end at UTC midnight), whole again at the tenant's next midnight; only the buyer's
own running service order is read."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from core_server.domain.clock import FrozenClock
from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import order_pb2, tenant_pb2
from sdk.billinghub.v1 import order_service_pb2 as pb
from sdk.client import BillingHubClient
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order
from tests.commerce.test_fulfillment import _input, _service_order
from tests.hub import Hub, TenantHandle
from tests.money import new_user

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


async def quota(client: BillingHubClient, order: str, user: str = "") -> order_pb2.ServiceQuota:
    return (await client.orders.GetServiceQuota(pb.GetServiceQuotaRequest(order_id=order, user_id=user))).quota


async def partner(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    return hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))


async def test_the_quota_goes_down_with_each_post_and_is_whole_at_the_tenants_midnight(
    clocked_hub: Hub, clock: FrozenClock
) -> None:
    shop = await clocked_hub.new_tenant("Kolkata boost", time_zone="Asia/Kolkata")
    user, order = await _service_order(shop, posts_per_day=3)
    site = await partner(clocked_hub, shop)
    local_day = clock.now().astimezone(KOLKATA).date()
    midnight = dt.datetime.combine(local_day + dt.timedelta(days=1), dt.time(), tzinfo=KOLKATA)

    fresh = await quota(site, order, user)
    assert (fresh.order_id, fresh.posts_per_day, fresh.used_today, fresh.remaining_today) == (order, 3, 0, 3)
    assert (fresh.day, fresh.time_zone) == (local_day.isoformat(), "Asia/Kolkata")
    assert fresh.reset_time.ToDatetime(tzinfo=dt.UTC) == midnight
    submitted = await shop.admin.orders.SubmitServiceInput(_input(order, 1))
    after_one = await quota(site, order, user)
    assert (after_one.used_today, after_one.remaining_today) == (1, 2) == (1, submitted.remaining_today)
    await shop.admin.orders.SubmitServiceInput(_input(order, 2))
    await shop.admin.orders.SubmitServiceInput(_input(order, 3))
    used_up = await quota(site, order, user)
    assert (used_up.used_today, used_up.remaining_today) == (3, 0)
    assert await quota(shop.admin, order) == used_up  # an admin key may leave the buyer out

    clock.advance(midnight - clock.now() - dt.timedelta(seconds=1))  # the tenant's 23:59:59
    assert (await quota(site, order, user)).remaining_today == 0
    with pytest.raises(FailedPrecondition) as refused:
        await shop.admin.orders.SubmitServiceInput(_input(order, 4))
    assert refused.value.reason == "QUOTA_EXCEEDED"
    clock.advance(dt.timedelta(seconds=1))  # the tenant's next day (18:30 UTC)
    next_day = await quota(site, order, user)
    assert (next_day.used_today, next_day.remaining_today) == (0, 3)
    assert next_day.day == (local_day + dt.timedelta(days=1)).isoformat()
    assert next_day.reset_time.ToDatetime(tzinfo=dt.UTC) == midnight + dt.timedelta(days=1)
    assert (await shop.admin.orders.SubmitServiceInput(_input(order, 5))).remaining_today == 2
    assert (await quota(site, order, user)).remaining_today == 2


async def test_another_users_or_tenants_order_is_not_found(hub: Hub) -> None:
    shop = await hub.new_tenant("Quota owner")
    buyer, order = await _service_order(shop)
    stranger = await new_user(shop, "stranger")
    site = await partner(hub, shop)
    other = await hub.new_tenant("Quota elsewhere")
    for client, user, target in (
        (site, stranger, order),  # the tenant's own key, naming another user
        (await partner(hub, other), buyer, order),  # another tenant's key, naming the buyer
        (other.admin, "", order),  # another tenant's admin
        (site, buyer, "00000000-0000-4000-8000-000000000000"),  # no such order
    ):
        with pytest.raises(NotFound) as caught:
            await quota(client, target, user)
        assert caught.value.reason == "ORDER_NOT_FOUND", (user, target)
    assert (await quota(site, order, buyer)).remaining_today == 2


@pytest.mark.parametrize(
    ("order", "user", "field"),
    [
        ("nope", "", "order_id"),
        ("", "", "order_id"),
        ("buyer's order", "nope", "user_id"),
        ("buyer's order", "", "user_id"),  # a partner or gateway key must name the buyer
    ],
)
async def test_bad_ids_are_refused(hub: Hub, order: str, user: str, field: str) -> None:
    shop = await hub.new_tenant("Quota ids")
    buyer, own = await _service_order(shop)
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots"))
    for client in (await partner(hub, shop), gateway):
        with pytest.raises(InvalidArgument) as caught:
            await quota(client, own if order == "buyer's order" else order, user)
        assert field in {v.field for v in caught.value.field_violations}
    assert (await quota(gateway, own, buyer)).used_today == 0  # and with both ids right, it answers


async def test_only_a_running_service_order_has_a_quota(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Quota states")
    user = await new_user(shop, "tokens")
    tokens = await create_order(shop, user, (await token_pack(shop)).id)
    buyer, service = await _service_order(shop)
    assert (await quota(shop.admin, service, buyer)).remaining_today == 2
    clock.advance(dt.timedelta(days=31))  # past the order's active_until
    for order, owner in ((tokens.id, user), (service, buyer)):
        with pytest.raises(FailedPrecondition) as caught:
            await quota(shop.admin, order, owner)
        assert caught.value.reason == "ORDER_NOT_ACTIVE"
