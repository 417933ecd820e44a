"""UserService: registration from a bot or a website, referrals, search and profile edits."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import func, select

from core_server.domain.users import service as users_service
from core_server.store.models import UserRow
from sdk import InvalidArgument, NotFound
from sdk.billinghub.v1 import common_pb2
from sdk.billinghub.v1 import user_service_pb2 as pb
from tests.hub import Hub, TenantHandle

TELEGRAM = common_pb2.PLATFORM_TELEGRAM


def _register(external_id: str, **fields: str) -> pb.RegisterUserRequest:
    return pb.RegisterUserRequest(platform=TELEGRAM, external_id=external_id, **fields)


async def test_register_creates_once_and_refreshes_the_profile(hub: Hub) -> None:
    shop = await hub.new_tenant("Shop")
    first = await shop.admin.users.RegisterUser(
        _register("1001", username="@ivan", first_name="Иван", language_code="ru")
    )
    assert first.created
    user = first.user
    assert (user.username, user.first_name, user.language_code) == ("ivan", "Иван", "ru")
    assert len(user.referral_code) == 8
    again = await shop.admin.users.RegisterUser(_register("1001", username="ivan_new"))
    assert not again.created
    assert again.user.id == user.id
    assert again.user.username == "ivan_new"
    assert again.user.first_name == "Иван"  # an empty field does not erase what we know
    assert again.user.referral_code == user.referral_code


async def test_same_external_id_on_another_platform_or_tenant_is_another_user(hub: Hub) -> None:
    alpha = await hub.new_tenant("Alpha")
    beta = await hub.new_tenant("Beta")
    telegram = (await alpha.admin.users.RegisterUser(_register("77"))).user
    web = (
        await alpha.admin.users.RegisterUser(pb.RegisterUserRequest(platform=common_pb2.PLATFORM_WEB, external_id="77"))
    ).user
    other_tenant = (await beta.admin.users.RegisterUser(_register("77"))).user
    assert len({telegram.id, web.id, other_tenant.id}) == 3


async def test_referral_code_attributes_new_users_only(hub: Hub) -> None:
    shop = await hub.new_tenant("Referrals")
    referrer = (await shop.admin.users.RegisterUser(_register("1"))).user
    invited = await shop.admin.users.RegisterUser(_register("2", referral_code=referrer.referral_code))
    assert invited.referrer_attributed
    assert invited.user.referrer_id == referrer.id
    # First referrer wins: a returning user is not re-attributed.
    other = (await shop.admin.users.RegisterUser(_register("3"))).user
    returning = await shop.admin.users.RegisterUser(_register("2", referral_code=other.referral_code))
    assert not returning.referrer_attributed
    assert returning.user.referrer_id == referrer.id
    # An unknown code registers the user without a referrer.
    stray = await shop.admin.users.RegisterUser(_register("4", referral_code="nosuchcode"))
    assert stray.created and not stray.referrer_attributed and stray.user.referrer_id == ""


async def test_referral_codes_do_not_cross_tenants(hub: Hub) -> None:
    alpha = await hub.new_tenant("Alpha")
    beta = await hub.new_tenant("Beta")
    referrer = (await alpha.admin.users.RegisterUser(_register("1"))).user
    joined = await beta.admin.users.RegisterUser(_register("2", referral_code=referrer.referral_code))
    assert not joined.referrer_attributed
    assert joined.user.referrer_id == ""


@pytest.mark.parametrize(
    ("request_fields", "bad"),
    [
        ({"external_id": "1"}, {"platform"}),
        ({"platform": TELEGRAM}, {"external_id"}),
        ({"platform": TELEGRAM, "external_id": "x" * 65}, {"external_id"}),
        (
            {"platform": TELEGRAM, "external_id": "1", "username": "u" * 65, "first_name": "f" * 129},
            {"username", "first_name"},
        ),
    ],
)
async def test_invalid_registration_changes_nothing(hub: Hub, request_fields: dict[str, object], bad: set[str]) -> None:
    shop = await hub.new_tenant("Strict")
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.users.RegisterUser(pb.RegisterUserRequest(**request_fields))  # type: ignore[arg-type]
    assert {v.field for v in caught.value.field_violations} == bad
    assert await _user_count(hub, shop) == 0


async def test_concurrent_registrations_of_one_identity_yield_one_user(hub: Hub) -> None:
    shop = await hub.new_tenant("Race")
    results = await asyncio.gather(
        *(shop.admin.users.RegisterUser(_register("555", username=f"u{n}")) for n in range(50))
    )
    assert len({r.user.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await _user_count(hub, shop) == 1


@pytest.mark.parametrize("request_id", ["", "collide-2"])
async def test_a_referral_code_collision_registers_the_user_with_another_code(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, request_id: str
) -> None:
    shop = await hub.new_tenant("Collision")
    codes = iter(["aaaaaaaa", "aaaaaaaa", "bbbbbbbb"])  # the second user first draws the first one's code
    monkeypatch.setattr(users_service, "new_referral_code", lambda: next(codes))
    first = (await shop.admin.users.RegisterUser(_register("1"))).user
    second = await shop.admin.users.RegisterUser(_register("2", request_id=request_id))
    assert second.created
    assert next(codes, None) is None  # the second user drew twice
    assert (first.referral_code, second.user.referral_code) == ("aaaaaaaa", "bbbbbbbb")
    assert await _user_count(hub, shop) == 2


async def test_get_find_and_not_found(hub: Hub) -> None:
    shop = await hub.new_tenant("Lookup")
    user = (await shop.admin.users.RegisterUser(_register("42"))).user
    assert (await shop.admin.users.GetUser(pb.GetUserRequest(user_id=user.id))).user == user
    found = await shop.admin.users.FindUser(pb.FindUserRequest(platform=TELEGRAM, external_id="42"))
    assert found.user == user
    with pytest.raises(NotFound):
        await shop.admin.users.GetUser(pb.GetUserRequest(user_id=str(uuid.uuid4())))
    with pytest.raises(NotFound):
        await shop.admin.users.FindUser(pb.FindUserRequest(platform=TELEGRAM, external_id="43"))
    with pytest.raises(InvalidArgument):
        await shop.admin.users.GetUser(pb.GetUserRequest(user_id="42"))
    with pytest.raises(InvalidArgument):
        await shop.admin.users.FindUser(pb.FindUserRequest(external_id="42"))


async def test_list_pages_newest_first_and_searches_case_insensitively(hub: Hub) -> None:
    shop = await hub.new_tenant("Search")
    names = ["Анна", "анатолий", "Boris", "BORA", "Clara"]
    for n, name in enumerate(names):
        await shop.admin.users.RegisterUser(_register(str(n), first_name=name))
    page_one = await shop.admin.users.ListUsers(pb.ListUsersRequest(page_size=3))
    assert [u.first_name for u in page_one.users] == ["Clara", "BORA", "Boris"]
    page_two = await shop.admin.users.ListUsers(pb.ListUsersRequest(page_size=3, page_token=page_one.next_page_token))
    assert [u.first_name for u in page_two.users] == ["анатолий", "Анна"]
    assert page_two.next_page_token == ""
    cyrillic = await shop.admin.users.ListUsers(pb.ListUsersRequest(query="АН"))
    assert {u.first_name for u in cyrillic.users} == {"Анна", "анатолий"}
    latin = await shop.admin.users.ListUsers(pb.ListUsersRequest(query="bor"))
    assert {u.first_name for u in latin.users} == {"Boris", "BORA"}
    by_id = await shop.admin.users.ListUsers(pb.ListUsersRequest(query="4"))
    assert [u.first_name for u in by_id.users] == ["Clara"]
    wildcard = await shop.admin.users.ListUsers(pb.ListUsersRequest(query="%"))
    assert list(wildcard.users) == []
    with pytest.raises(InvalidArgument):
        await shop.admin.users.ListUsers(pb.ListUsersRequest(query="bor", page_token=page_one.next_page_token))


async def test_update_applies_the_mask(hub: Hub) -> None:
    shop = await hub.new_tenant("Edits")
    user = (await shop.admin.users.RegisterUser(_register("9", username="old", first_name="Keep"))).user
    updated = await shop.admin.users.UpdateUser(
        pb.UpdateUserRequest(
            user_id=user.id,
            username="@new",
            first_name="Ignored",
            blocked=True,
            update_mask=field_mask_pb2.FieldMask(paths=["username", "blocked"]),
        )
    )
    assert (updated.user.username, updated.user.first_name, updated.user.blocked) == ("new", "Keep", True)
    found = await shop.admin.users.ListUsers(pb.ListUsersRequest(query="new"))
    assert [u.id for u in found.users] == [user.id]


@pytest.mark.parametrize("paths", [[], ["referral_code"], ["external_id"]])
async def test_update_rejects_bad_masks_and_changes_nothing(hub: Hub, paths: list[str]) -> None:
    shop = await hub.new_tenant("Bad edits")
    user = (await shop.admin.users.RegisterUser(_register("9"))).user
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.users.UpdateUser(
            pb.UpdateUserRequest(user_id=user.id, update_mask=field_mask_pb2.FieldMask(paths=paths))
        )
    assert caught.value.field_violations[0].field == "update_mask"
    assert (await shop.admin.users.GetUser(pb.GetUserRequest(user_id=user.id))).user == user


async def test_update_of_another_tenants_user_is_not_found(hub: Hub) -> None:
    alpha = await hub.new_tenant("Alpha")
    beta = await hub.new_tenant("Beta")
    user = (await beta.admin.users.RegisterUser(_register("9"))).user
    with pytest.raises(NotFound):
        await alpha.admin.users.UpdateUser(
            pb.UpdateUserRequest(user_id=user.id, blocked=True, update_mask=field_mask_pb2.FieldMask(paths=["blocked"]))
        )
    assert not (await beta.admin.users.GetUser(pb.GetUserRequest(user_id=user.id))).user.blocked


async def _user_count(hub: Hub, handle: TenantHandle) -> int:
    async with hub.deps.uow() as uow:
        statement = select(func.count()).select_from(UserRow).where(UserRow.tenant_id == uuid.UUID(handle.id))
        return int((await uow.session.execute(statement)).scalar_one())
