"""Who may call what, in which tenant: the interceptor's rules as callers meet them."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf import field_mask_pb2

from sdk import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from sdk.billinghub.v1 import (
    common_pb2,
    fulfillment_service_pb2,
    gateway_service_pb2,
    package_pb2,
    report_service_pb2,
    subscription_pb2,
    tenant_pb2,
)
from sdk.billinghub.v1 import subscription_service_pb2 as subs_pb
from sdk.billinghub.v1 import user_service_pb2 as pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order, pay
from tests.hub import Hub
from tests.money import fund, new_user


def _register(external_id: str = "1") -> pb.RegisterUserRequest:
    return pb.RegisterUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=external_id)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "API_KEY_MISSING"),
        ("hello", "API_KEY_MALFORMED"),
        ("bh_platform_nothex_secret", "API_KEY_MALFORMED"),
        # a fresh id each session, under a fixed test id (workers of pytest-xdist compare test ids)
        pytest.param(f"bh_tenant_admin_{uuid.uuid4().hex}_0123", "API_KEY_INVALID", id="unknown-id-API_KEY_INVALID"),
    ],
)
async def test_calls_without_a_valid_key_are_unauthenticated(hub: Hub, key: str, reason: str) -> None:
    client = hub.client(key)
    with pytest.raises(Unauthenticated) as caught:
        await client.users.ListUsers(pb.ListUsersRequest())
    assert caught.value.reason == reason


async def test_right_id_wrong_secret_is_unauthenticated(hub: Hub) -> None:
    handle = await hub.new_tenant("Guessing")
    forged = handle.admin_key[:-4] + "0000"
    with pytest.raises(Unauthenticated) as caught:
        await hub.client(forged).users.ListUsers(pb.ListUsersRequest())
    assert caught.value.reason == "API_KEY_INVALID"


async def test_a_key_of_tenant_a_gets_not_found_for_tenant_b(hub: Hub) -> None:
    alpha = await hub.new_tenant("Alpha")
    beta = await hub.new_tenant("Beta")
    bob = (await beta.admin.users.RegisterUser(_register("bob"))).user
    with pytest.raises(NotFound):
        await alpha.admin.users.GetUser(pb.GetUserRequest(user_id=bob.id))
    with pytest.raises(NotFound):
        await alpha.admin.users.FindUser(pb.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id="bob"))
    # Naming tenant B in metadata does not help either: same answer as for any object of B.
    with pytest.raises(NotFound):
        await alpha.admin.for_tenant(beta.id).users.GetUser(pb.GetUserRequest(user_id=bob.id))
    listed = await alpha.admin.users.ListUsers(pb.ListUsersRequest())
    assert bob.id not in {u.id for u in listed.users}


async def test_gateway_key_for_all_tenants_names_the_tenant(hub: Hub) -> None:
    handle = await hub.new_tenant("Gatewayed")
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="bots"))
    with pytest.raises(InvalidArgument) as caught:
        await gateway.users.RegisterUser(_register())
    assert caught.value.field_violations[0].field == "x-tenant-id"
    registered = await gateway.for_tenant(handle.id).users.RegisterUser(_register("g1"))
    found = await handle.admin.users.GetUser(pb.GetUserRequest(user_id=registered.user.id))
    assert found.user.external_id == "g1"
    with pytest.raises(NotFound):
        await gateway.for_tenant(str(uuid.uuid4())).users.RegisterUser(_register())
    with pytest.raises(InvalidArgument):
        await gateway.for_tenant("not-a-uuid").users.RegisterUser(_register())


async def test_gateway_key_bound_to_one_tenant(hub: Hub) -> None:
    own = await hub.new_tenant("Own")
    other = await hub.new_tenant("Other")
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, own.id, "own bot"))
    registered = await gateway.users.RegisterUser(_register("b1"))
    assert (await own.admin.users.GetUser(pb.GetUserRequest(user_id=registered.user.id))).user.external_id == "b1"
    with pytest.raises(NotFound):
        await gateway.for_tenant(other.id).users.RegisterUser(_register("b2"))


async def test_partner_keys_have_narrower_rights(hub: Hub) -> None:
    handle = await hub.new_tenant("Partnered")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, handle.id, "site"))
    user = (await partner.users.RegisterUser(_register("p1"))).user
    assert (await partner.users.GetUser(pb.GetUserRequest(user_id=user.id))).user.id == user.id
    with pytest.raises(PermissionDenied):
        await partner.users.ListUsers(pb.ListUsersRequest())
    with pytest.raises(PermissionDenied):  # blocking is the tenant's decision, not a website's
        await partner.users.UpdateUser(
            pb.UpdateUserRequest(user_id=user.id, blocked=True, update_mask=field_mask_pb2.FieldMask(paths=["blocked"]))
        )
    renamed = await partner.users.UpdateUser(  # keeping a profile current is the website's
        pb.UpdateUserRequest(user_id=user.id, username="ann", update_mask=field_mask_pb2.FieldMask(paths=["username"]))
    )
    assert renamed.user.username == "ann" and not renamed.user.blocked


async def test_only_gateways_list_bot_tenants_and_get_their_tokens(hub: Hub) -> None:
    with_bot = await hub.new_tenant("With bot", bot_token="111:token-a")
    await hub.new_tenant("Without bot")
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="bots"))
    listed = await gateway.gateway.ListBotTenants(gateway_service_pb2.ListBotTenantsRequest())
    bots = {b.tenant_id: b.bot_token for b in listed.bot_tenants}
    assert bots[with_bot.id] == "111:token-a"
    bound = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, with_bot.id, "one bot"))
    only = await bound.gateway.ListBotTenants(gateway_service_pb2.ListBotTenantsRequest())
    assert [b.tenant_id for b in only.bot_tenants] == [with_bot.id]
    with pytest.raises(PermissionDenied):
        await with_bot.admin.gateway.ListBotTenants(gateway_service_pb2.ListBotTenantsRequest())
    with pytest.raises(PermissionDenied):
        await hub.platform.gateway.ListBotTenants(gateway_service_pb2.ListBotTenantsRequest())


async def test_errors_carry_the_request_id(hub: Hub) -> None:
    handle = await hub.new_tenant("Traced")
    with pytest.raises(NotFound) as caught:
        await handle.admin.users.GetUser(pb.GetUserRequest(user_id=str(uuid.uuid4())))
    assert len(caught.value.request_id) == 32
    assert caught.value.reason == "USER_NOT_FOUND"


async def test_a_partner_cancels_its_users_plan_renewal_but_reads_no_tenant_reports(hub: Hub) -> None:
    """Stopping a plan's renewal is the user's own decision, which a website makes for its users
    as a bot does; tenant-wide reports and fulfillment stay with the tenant's staff."""
    handle = await hub.new_tenant("Partner plans")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, handle.id, "site"))
    user = await new_user(handle)
    package = await create_package(
        handle, kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION, price=price(100, "XTR"), plan_code="pro", period_days=30
    )
    await fund(handle, user, 100, "XTR")
    await pay(handle, (await create_order(handle, user, package.id)).id)
    [plan] = (
        await partner.subscriptions.ListSubscriptions(subs_pb.ListSubscriptionsRequest(user_id=user))
    ).subscriptions
    cancelled = await partner.subscriptions.CancelSubscription(
        subs_pb.CancelSubscriptionRequest(subscription_id=plan.id)
    )
    assert cancelled.subscription.status == subscription_pb2.SUBSCRIPTION_STATUS_CANCELLED
    with pytest.raises(PermissionDenied):
        await partner.reports.GetTenantStats(report_service_pb2.GetTenantStatsRequest())
    with pytest.raises(PermissionDenied):
        await partner.fulfillment.LeaseTasks(
            fulfillment_service_pb2.LeaseTasksRequest(kind=package_pb2.PACKAGE_KIND_SERVICE)
        )
