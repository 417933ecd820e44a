"""Users who blocked the bot: the gateway marks them when Telegram answers 403 "bot was blocked by
the user" and clears the mark when they write again; the mark shows on the user, filters ListUsers
(broadcasts skip those users) and restricts nothing the user may do, unlike the admin's `blocked`."""

from __future__ import annotations

import pytest

from sdk import BillingHubClient, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import tenant_pb2
from sdk.billinghub.v1 import user_service_pb2 as pb
from tests.commerce.catalog import token_pack
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, fund, new_user


async def gateway_of(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    return hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bots"), shop.id)


def mark(user: str, blocked: bool = True, request_id: str = "") -> pb.SetUserBotBlockedRequest:
    return pb.SetUserBotBlockedRequest(user_id=user, bot_blocked=blocked, request_id=request_id)


async def user_of(shop: TenantHandle, user: str) -> pb.GetUserResponse:
    return await shop.admin.users.GetUser(pb.GetUserRequest(user_id=user))


async def test_the_gateway_marks_and_clears_a_user_who_blocked_the_bot(hub: Hub) -> None:
    shop = await hub.new_tenant("Bot blocked")
    user = await new_user(shop)
    bot = await gateway_of(hub, shop)
    assert not (await user_of(shop, user)).user.bot_blocked
    marked = (await bot.users.SetUserBotBlocked(mark(user))).user
    assert marked.bot_blocked and marked.HasField("bot_blocked_time")
    assert not marked.blocked  # the admin's flag is another thing
    again = (await bot.users.SetUserBotBlocked(mark(user))).user
    assert again.bot_blocked_time == marked.bot_blocked_time  # since the first 403
    assert (await user_of(shop, user)).user == again
    cleared = (await bot.users.SetUserBotBlocked(mark(user, False))).user
    assert (cleared.bot_blocked, cleared.HasField("bot_blocked_time")) == (False, False)
    assert (await user_of(shop, user)).user == cleared


async def test_a_replayed_request_answers_the_first_response(hub: Hub) -> None:
    shop = await hub.new_tenant("Bot blocked replay")
    user = await new_user(shop)
    first = await shop.admin.users.SetUserBotBlocked(mark(user, True, "403-1"))
    await shop.admin.users.SetUserBotBlocked(mark(user, False))
    assert await shop.admin.users.SetUserBotBlocked(mark(user, True, "403-1")) == first
    assert not (await user_of(shop, user)).user.bot_blocked  # the replay changed nothing
    with pytest.raises(InvalidArgument):
        await shop.admin.users.SetUserBotBlocked(mark(user, False, "403-1"))


async def test_list_users_filters_on_the_mark(hub: Hub) -> None:
    shop = await hub.new_tenant("Broadcast audience")
    users = [await new_user(shop, str(n)) for n in range(4)]
    for user in users[1:3]:
        await shop.admin.users.SetUserBotBlocked(mark(user))

    async def listed(**fields: bool) -> list[str]:
        return [u.id for u in (await shop.admin.users.ListUsers(pb.ListUsersRequest(**fields))).users]

    newest_first = list(reversed(users))
    assert await listed() == newest_first
    assert await listed(bot_blocked=True) == [users[2], users[1]]
    assert await listed(bot_blocked=False) == [users[3], users[0]]
    page = await shop.admin.users.ListUsers(pb.ListUsersRequest(bot_blocked=False, page_size=1))
    with pytest.raises(InvalidArgument):  # a page token belongs to its filters
        await shop.admin.users.ListUsers(pb.ListUsersRequest(bot_blocked=True, page_token=page.next_page_token))
    rest = await shop.admin.users.ListUsers(pb.ListUsersRequest(bot_blocked=False, page_token=page.next_page_token))
    assert [u.id for u in rest.users] == [users[0]]


async def test_a_user_who_blocked_the_bot_may_still_buy(hub: Hub) -> None:
    shop = await hub.new_tenant("Still buying")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=10, tokens=100)
    await fund(shop, user, 10, "XTR")
    await shop.admin.users.SetUserBotBlocked(mark(user))
    bought = await shop.admin.orders.PurchaseFromWallet(
        orders_pb.PurchaseFromWalletRequest(user_id=user, package_id=pack.id)
    )
    assert bought.order.id
    await assert_ledger_ok(shop)


async def test_another_tenants_user_bad_ids_and_roles_change_nothing(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha marks"), await hub.new_tenant("Beta marks")
    user = await new_user(beta)
    before = await user_of(beta, user)
    with pytest.raises(NotFound):
        await alpha.admin.users.SetUserBotBlocked(mark(user))
    with pytest.raises(NotFound):
        await (await gateway_of(hub, alpha)).users.SetUserBotBlocked(mark(user))
    with pytest.raises(InvalidArgument) as bad:
        await beta.admin.users.SetUserBotBlocked(mark("not-an-id"))
    assert bad.value.field_violations[0].field == "user_id"
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, beta.id, "site"))
    with pytest.raises(PermissionDenied):
        await partner.users.SetUserBotBlocked(mark(user))
    assert await user_of(beta, user) == before
