"""ExportOrders and ExportUsers: a tenant's orders and users of a period, streamed oldest first in
batches, as ExportTransfers streams its transfers.

Periods are [start_time, end_time) on the creation time: a row created exactly at start_time is in,
one created exactly at end_time is out. Rows stream by id, which is creation order to the
millisecond (UUIDv7). Another tenant's rows never appear; a gateway exports only on behalf of a
bot admin holding EXPORT, a partner key never; a bad period or status is INVALID_ARGUMENT before
anything is read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from core_server.domain import exports
from core_server.domain.clock import FrozenClock
from sdk import BillingHubClient, InvalidArgument, PermissionDenied
from sdk.billinghub.v1 import common_pb2, order_pb2, tenant_pb2, user_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.commerce.catalog import token_pack
from tests.commerce.orders import create_order, pay
from tests.hub import Hub, TenantHandle
from tests.money import fund, new_user

DAY = dt.timedelta(days=1)
EXPORTER, VIEWER = 601, 602


def stamp(when: dt.datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(when)
    return value


async def chunks(stream: AsyncIterator[Any]) -> list[Any]:
    return [chunk async for chunk in stream]


async def export_orders(client: BillingHubClient, **fields: Any) -> list[list[order_pb2.Order]]:
    """The orders of each streamed message."""
    stream = client.orders.ExportOrders(orders_pb.ExportOrdersRequest(**fields))
    return [list(chunk.orders) for chunk in await chunks(stream)]


async def export_users(client: BillingHubClient, **fields: Any) -> list[list[user_pb2.User]]:
    stream = client.users.ExportUsers(users_pb.ExportUsersRequest(**fields))
    return [list(chunk.users) for chunk in await chunks(stream)]


def by_id(*ids: str) -> list[str]:
    """Ids in the order an export streams them: by id. UUIDv7 ids are time-ordered to the
    millisecond only, so rows made within one millisecond may stream in either order."""
    return sorted(ids, key=uuid.UUID)


def flat(batches: list[list[Any]]) -> list[Any]:
    return [row for batch in batches for row in batch]


async def register(shop: TenantHandle, external_id: str) -> user_pb2.User:
    request = users_pb.RegisterUserRequest(
        platform=common_pb2.PLATFORM_TELEGRAM, external_id=external_id, first_name=f"User {external_id}"
    )
    return (await shop.admin.users.RegisterUser(request)).user


async def test_the_orders_of_a_period_stream_oldest_first(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Export orders")
    other = await clocked_hub.new_tenant("Export orders, other")
    pack, foreign_pack = await token_pack(shop), await token_pack(other)
    buyer, stranger = await new_user(shop), await new_user(other)
    await fund(shop, buyer, 1000, "XTR")
    start = clock.now()
    early = await create_order(shop, buyer, pack.id)
    clock.advance(DAY)
    paid = await create_order(shop, buyer, pack.id)
    await pay(shop, paid.id)
    pending = await create_order(shop, buyer, pack.id)
    await create_order(other, stranger, foreign_pack.id)  # another tenant's, in the same period
    clock.advance(DAY)
    late = await create_order(shop, buyer, pack.id)  # created exactly at the period's end

    period = await export_orders(shop.admin, start_time=stamp(start + DAY), end_time=stamp(start + 2 * DAY))
    everything = flat(await export_orders(shop.admin))
    since = flat(await export_orders(shop.admin, start_time=stamp(start + DAY)))
    until = flat(await export_orders(shop.admin, end_time=stamp(start + DAY)))
    only_paid = flat(await export_orders(shop.admin, statuses=[order_pb2.ORDER_STATUS_FULFILLED]))  # tokens: delivered

    assert [[o.id for o in batch] for batch in period] == [by_id(paid.id, pending.id)]
    assert [o.id for o in everything] == [early.id, *by_id(paid.id, pending.id), late.id]
    assert [o.id for o in since] == [*by_id(paid.id, pending.id), late.id]
    assert [o.id for o in until] == [early.id]
    assert [o.id for o in only_paid] == [paid.id]
    for order in everything:  # each row is the order as GetOrder shows it
        shown = await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=order.id))
        assert order == shown.order
    assert only_paid[0].total.amount_minor == 100 and only_paid[0].total.asset == "XTR"
    assert [o.user_id for o in flat(await export_orders(other.admin))] == [stranger]


async def test_the_users_of_a_period_stream_oldest_first(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Export users")
    other = await clocked_hub.new_tenant("Export users, other")
    start = clock.now()
    first = await register(shop, "1")
    clock.advance(DAY)
    second, third = await register(shop, "2"), await register(shop, "3")
    await register(other, "2")
    clock.advance(DAY)
    last = await register(shop, "4")

    period = flat(await export_users(shop.admin, start_time=stamp(start + DAY), end_time=stamp(start + 2 * DAY)))
    everything = flat(await export_users(shop.admin))

    assert [u.id for u in period] == by_id(second.id, third.id)
    assert [u.id for u in everything] == [first.id, *by_id(second.id, third.id), last.id]
    shown = {u.id: u for u in (first, second, third, last)}
    assert everything == [shown[u.id] for u in everything]  # the users as RegisterUser answered them
    assert [u.external_id for u in flat(await export_users(other.admin))] == ["2"]
    assert await export_users(shop.admin, start_time=stamp(start + 3 * DAY)) == []  # no message at all


async def test_many_users_stream_in_batches_of_500(hub: Hub) -> None:
    shop = await hub.new_tenant("Export many users")
    registered = [(await register(shop, str(n))).id for n in range(501)]

    batches = await export_users(shop.admin)

    assert [len(batch) for batch in batches] == [500, 1]
    assert [u.id for u in flat(batches)] == by_id(*registered)


@pytest.mark.parametrize("count", [14, 15])
async def test_orders_cross_batch_boundaries_without_loss_or_repeat(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """With batches of 7: 14 orders are two full batches (the third read finds nothing and sends
    nothing), 15 are two full ones and a short one."""
    monkeypatch.setattr(exports, "EXPORT_BATCH", 7)
    shop = await hub.new_tenant("Export batches")
    pack, buyer = await token_pack(shop), await new_user(shop)
    created = [(await create_order(shop, buyer, pack.id)).id for _ in range(count)]

    batches = await export_orders(shop.admin)

    assert [len(batch) for batch in batches] == [7, 7] + ([1] if count == 15 else [])
    assert [o.id for o in flat(batches)] == by_id(*created)


async def test_only_admin_keys_and_bot_admins_with_export_may_export(hub: Hub) -> None:
    shop = await hub.new_tenant("Export access")
    await register(shop, "1")
    await set_admins(shop, [admin(EXPORTER, P.ADMIN_PERMISSION_EXPORT), admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    gateway = await gateway_of(hub, shop)
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))

    for refused in (gateway, gateway.on_behalf_of(VIEWER), partner):
        with pytest.raises(PermissionDenied):
            await export_orders(refused)
        with pytest.raises(PermissionDenied):
            await export_users(refused)
    with pytest.raises(PermissionDenied) as missing:
        await export_users(gateway.on_behalf_of(VIEWER))
    assert missing.value.reason == "ADMIN_PERMISSION_MISSING"
    assert missing.value.metadata["permission"] == "export"

    exporter = gateway.on_behalf_of(EXPORTER)
    assert [u.external_id for u in flat(await export_users(exporter))] == ["1"]
    assert await export_orders(exporter) == []


async def test_a_bad_period_or_status_is_invalid_argument(hub: Hub) -> None:
    shop = await hub.new_tenant("Export bad input")
    await register(shop, "1")
    now = dt.datetime.now(dt.UTC)
    same = {"start_time": stamp(now), "end_time": stamp(now)}

    with pytest.raises(InvalidArgument) as reversed_users:
        await export_users(shop.admin, start_time=stamp(now), end_time=stamp(now - DAY))
    with pytest.raises(InvalidArgument) as empty_orders:
        await export_orders(shop.admin, **same)
    with pytest.raises(InvalidArgument) as bad_status:
        await export_orders(shop.admin, statuses=[order_pb2.ORDER_STATUS_PAID, 42])

    assert [v.field for v in reversed_users.value.field_violations] == ["end_time"]
    assert [v.field for v in empty_orders.value.field_violations] == ["end_time"]
    assert [v.field for v in bad_status.value.field_violations] == ["statuses"]
