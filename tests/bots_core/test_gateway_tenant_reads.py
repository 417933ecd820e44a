"""Issue 13: a gateway key reads one named user's records; the tenant's are staff reading.

Top-up requests (with their receipts), payout requests, payments, subscriptions and transfers
are listed for one user by the buyer's screens, and across the tenant only on behalf of a bot
admin holding the permission of the screen that shows them (queues, queues, refunds, users,
adjust: core_server/api/access.py). By id, naming the user makes another user's record NOT_FOUND,
and naming nobody needs that admin too. A leaked gateway key alone therefore reads nobody's
records but the users it names. Partner keys keep their rules (one user's list at a time)."""

from __future__ import annotations

import pytest

from sdk import InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import tenant_pb2
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.bots_core.tenant_records import BY_ID, FAMILIES, Family
from tests.hub import Hub, TenantHandle

PERMITTED, VIEWER = 701, 702

families = pytest.mark.parametrize("family", FAMILIES, ids=str)
by_id = pytest.mark.parametrize("family", BY_ID, ids=lambda f: f.get_id.__name__ if f.get_id else "")


async def shop_of(hub: Hub, family: Family) -> tuple[TenantHandle, list[tuple[str, str]]]:
    """A shop with two admins (the family's permission; stats only) and two users' records."""
    shop = await hub.new_tenant(f"Reads of {family}")
    await set_admins(shop, [admin(PERMITTED, family.permission), admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    return shop, await family.make(shop)


@families
async def test_a_gateway_key_alone_or_an_admin_without_the_permission_lists_nothing(hub: Hub, family: Family) -> None:
    shop, _records = await shop_of(hub, family)
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as alone:
        await family.list_ids(gateway, "")
    assert (alone.value.reason, alone.value.metadata["permission"]) == ("ADMIN_REQUIRED", family.permission_name)
    with pytest.raises(PermissionDenied) as viewer:
        await family.list_ids(gateway.on_behalf_of(VIEWER), "")
    assert viewer.value.reason == "ADMIN_PERMISSION_MISSING"
    assert viewer.value.metadata["permission"] == family.permission_name


@families
async def test_the_permitted_admin_lists_everyones_and_a_named_user_stays_a_user_call(hub: Hub, family: Family) -> None:
    shop, [(ann, ann_record), (_bob, bob_record)] = await shop_of(hub, family)
    gateway = await gateway_of(hub, shop)
    assert {ann_record, bob_record} <= set(await family.list_ids(gateway.on_behalf_of(PERMITTED), ""))
    assert {ann_record, bob_record} <= set(await family.list_ids(shop.admin, ""))
    own = await family.list_ids(gateway, ann)
    assert ann_record in own and bob_record not in own
    assert await family.list_ids(gateway.on_behalf_of(VIEWER), ann) == own


@families
async def test_a_partner_key_keeps_its_rights(hub: Hub, family: Family) -> None:
    shop, [(ann, ann_record), (_bob, bob_record)] = await shop_of(hub, family)
    site = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    own = await family.list_ids(site, ann)
    assert ann_record in own and bob_record not in own
    with pytest.raises(InvalidArgument) as caught:
        await family.list_ids(site, "")
    assert [v.field for v in caught.value.field_violations] == ["user_id"]


@by_id
async def test_another_users_record_is_not_found_when_the_user_is_named(hub: Hub, family: Family) -> None:
    assert family.get_id is not None
    shop, [(ann, ann_record), (_bob, bob_record)] = await shop_of(hub, family)
    gateway = await gateway_of(hub, shop)
    assert await family.get_id(gateway, ann_record, ann) == ann_record
    site = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    for client in (gateway, gateway.on_behalf_of(PERMITTED), shop.admin, site):
        with pytest.raises(NotFound) as caught:
            await family.get_id(client, bob_record, ann)
        assert caught.value.reason == family.not_found


@by_id
async def test_a_record_by_id_alone_is_the_permitted_admins(hub: Hub, family: Family) -> None:
    assert family.get_id is not None
    shop, [_ann, (_bob, bob_record)] = await shop_of(hub, family)
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as alone:
        await family.get_id(gateway, bob_record, "")
    assert (alone.value.reason, alone.value.metadata["permission"]) == ("ADMIN_REQUIRED", family.permission_name)
    with pytest.raises(PermissionDenied) as viewer:
        await family.get_id(gateway.on_behalf_of(VIEWER), bob_record, "")
    assert viewer.value.reason == "ADMIN_PERMISSION_MISSING"
    assert await family.get_id(gateway.on_behalf_of(PERMITTED), bob_record, "") == bob_record
    site = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    assert await family.get_id(site, bob_record, "") == bob_record  # partners read their tenant's by id


@by_id
async def test_bad_ids_are_invalid_argument(hub: Hub, family: Family) -> None:
    assert family.get_id is not None
    shop, _records = await shop_of(hub, family)
    gateway = await gateway_of(hub, shop)
    with pytest.raises(InvalidArgument) as caught:
        await family.get_id(gateway, "nope", "nobody")
    assert len(caught.value.field_violations) == 2
    assert caught.value.field_violations[1].field == "user_id"
