"""RegisterUser on the fast path: a new user without a referral code, or a returning one whose
profile is unchanged, in a few raw statements; the same answers and events as the ORM path, which
still takes referrals, profile refreshes and races with the same identity."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from core_server.domain.users.service import UserService
from sdk.billinghub.v1 import common_pb2
from sdk.billinghub.v1 import user_service_pb2 as pb
from tests.commerce.promos import settled_events
from tests.fast_paths import PATHS, canonical, take_path
from tests.hub import Hub, TenantHandle

FAST = [(UserService, "register_fast")]
TELEGRAM = common_pb2.PLATFORM_TELEGRAM


def _register(external_id: str, **fields: str) -> pb.RegisterUserRequest:
    return pb.RegisterUserRequest(platform=TELEGRAM, external_id=external_id, **fields)


async def registration_story(shop: TenantHandle) -> list[Any]:
    """A new user, their return unchanged and with a new @username, a replay by request id, a
    website user, a referred user: every answer, referral codes blanked (they are drawn at random)."""
    users = shop.admin.users
    answers = [
        await users.RegisterUser(_register("1001", username="@ivan", first_name="Иван", language_code="ru")),
        await users.RegisterUser(_register("1001", username="ivan")),  # unchanged: nothing to write
        await users.RegisterUser(_register("1001")),  # empty fields keep what is known
        await users.RegisterUser(_register("1001", username="ivan_new")),  # a profile to refresh
        await users.RegisterUser(_register("2002", request_id="start-2002")),
        await users.RegisterUser(_register("2002", request_id="start-2002")),  # a replay
        await users.RegisterUser(pb.RegisterUserRequest(platform=common_pb2.PLATFORM_WEB, external_id="Site@Mail")),
    ]
    code = answers[0].user.referral_code
    answers.append(await users.RegisterUser(_register("3003", referral_code=code)))
    blanked = [canonical(answer) for answer in answers]
    for answer in blanked:
        answer["user"]["referral_code"] = "<code>"
    return blanked


async def registrations(shop: TenantHandle) -> list[Any]:
    """The story's `user.registered` events, canonical (the helper's own marker user left out)."""
    events = [json.loads(e.data) for e in await settled_events(shop, "user.registered")]
    return [canonical(data) for data in events if not data["external_id"].startswith("marker-")]


@PATHS
async def test_registrations_answer_and_record_alike_on_both_paths(
    hub: Hub, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await hub.new_tenant(f"Register {path}")
    opened = take_path(path, monkeypatch, hub.deps, FAST)
    answers = await registration_story(shop)
    writes = opened["write"]
    # on the fast path only the profile refresh and the referral open an ORM write unit
    assert (writes == 2) if path == "fast" else (writes >= 6)
    monkeypatch.undo()
    created = [answer.get("created", False) for answer in answers]
    assert created == [True, False, False, False, True, True, True, True]
    assert answers[3]["user"]["username"] == "ivan_new" and answers[2]["user"]["first_name"] == "Иван"
    assert answers[6]["user"]["external_id"] == "Site@Mail"
    assert answers[7].get("referrer_attributed") is True
    events = await registrations(shop)
    assert [(e["external_id"], e["referrer_id"]) for e in events] == [
        ("1001", None),
        ("2002", None),
        ("Site@Mail", None),
        ("3003", answers[0]["user"]["id"]),
    ]


async def test_both_paths_answer_the_same(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same story on two tenants, one on each path: the same answers and events."""
    traces = []
    for path in ("orm", "fast"):
        shop = await hub.new_tenant(f"Register alike {path}")
        take_path(path, monkeypatch, hub.deps, FAST)
        answers = await registration_story(shop)
        monkeypatch.undo()
        traces.append({"answers": canonical(answers), "events": canonical(await registrations(shop))})
    assert traces[0] == traces[1]


async def test_a_crowd_of_new_users_and_returns_at_once_registers_each_once(hub: Hub) -> None:
    """200 new users and their 200 returns racing (a post in a channel sends them to /start at
    once): each identity is one user, created once, with one `user.registered` event."""
    shop = await hub.new_tenant("Register crowd")
    # two separate requests per identity (the SDK gives each its own request_id; one message sent
    # twice would be one request, its replay answered as the first)
    requests = [_register(str(n % 200), first_name=f"User {n % 200}") for n in range(400)]
    answers = await asyncio.gather(*(shop.admin.users.RegisterUser(request) for request in requests))
    by_identity: dict[str, set[str]] = {}
    for answer in answers:
        by_identity.setdefault(answer.user.external_id, set()).add(answer.user.id)
    assert len(by_identity) == 200 and all(len(ids) == 1 for ids in by_identity.values())
    assert sum(answer.created for answer in answers) == 200
    events = await registrations(shop)
    assert sorted(e["external_id"] for e in events) == sorted(str(n) for n in range(200))
