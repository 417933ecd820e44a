"""A tenant words its own bot: text overrides per message key and locale, read all at once by the
tenant's gateway, set and deleted by admins (audited)."""

from __future__ import annotations

import pytest

from sdk import InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import bot_settings_pb2 as bots
from sdk.billinghub.v1 import bot_settings_service_pb2 as pb
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.hub import Hub


def override(key: str, locale: str, text: str, request_id: str = "") -> pb.SetTextOverrideRequest:
    return pb.SetTextOverrideRequest(
        request_id=request_id, text_override=bots.TextOverride(key=key, locale=locale, text=text)
    )


async def all_overrides(client: object, locale: str = "", page_size: int = 0) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    token = ""
    while True:
        page = await client.bot_settings.ListTextOverrides(  # type: ignore[attr-defined]
            pb.ListTextOverridesRequest(locale=locale, page_size=page_size, page_token=token)
        )
        found += [(o.locale, o.key, o.text) for o in page.text_overrides]
        token = page.next_page_token
        if not token:
            return found


async def test_set_replace_list_and_delete_overrides(hub: Hub) -> None:
    shop = await hub.new_tenant("Worded")
    stored = (await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "ru", "Баланс"))).text_override
    assert (stored.key, stored.locale, stored.text) == ("menu.balance", "ru", "Баланс")
    await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "en", "Wallet"))
    await shop.admin.bot_settings.SetTextOverride(override("menu.buy", "en", "Shop"))
    await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "en", "My wallet"))  # replaces
    assert await all_overrides(shop.admin) == [
        ("en", "menu.balance", "My wallet"),
        ("en", "menu.buy", "Shop"),
        ("ru", "menu.balance", "Баланс"),
    ]
    assert await all_overrides(shop.admin, page_size=1) == await all_overrides(shop.admin)
    assert await all_overrides(shop.admin, locale="ru") == [("ru", "menu.balance", "Баланс")]
    await shop.admin.bot_settings.DeleteTextOverride(pb.DeleteTextOverrideRequest(key="menu.buy", locale="en"))
    with pytest.raises(NotFound) as caught:
        await shop.admin.bot_settings.DeleteTextOverride(pb.DeleteTextOverrideRequest(key="menu.buy", locale="en"))
    assert caught.value.reason == "TEXT_OVERRIDE_NOT_FOUND"
    assert [o[1] for o in await all_overrides(shop.admin)] == ["menu.balance", "menu.balance"]
    entries = (await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest())).audit_entries
    assert [e.action for e in entries][:2] == ["bot_text.deleted", "bot_text.set"]
    assert entries[0].target_id == "en:menu.buy"


@pytest.mark.parametrize(
    ("request_", "bad"),
    [
        (override("Menu Balance", "en", "x"), {"key"}),
        (override("", "en", "x"), {"key"}),
        (override("k" * 65, "en", "x"), {"key"}),
        (override("menu.balance", "de", "x"), {"locale"}),
        (override("menu.balance", "en", ""), {"text"}),
        (override("menu.balance", "en", "x" * 4097), {"text"}),
        (override("menu.balance", "en", "a\x00"), {"text"}),
    ],
)
async def test_bad_overrides_are_refused_and_nothing_is_stored(
    hub: Hub, request_: pb.SetTextOverrideRequest, bad: set[str]
) -> None:
    shop = await hub.new_tenant("Bad words")
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.bot_settings.SetTextOverride(request_)
    assert {v.field for v in caught.value.field_violations} == bad
    assert await all_overrides(shop.admin) == []


async def test_list_arguments_are_checked(hub: Hub) -> None:
    shop = await hub.new_tenant("Listed")
    for bad in (
        pb.ListTextOverridesRequest(locale="de"),
        pb.ListTextOverridesRequest(page_size=501),
        pb.ListTextOverridesRequest(page_token="garbage"),
    ):
        with pytest.raises(InvalidArgument):
            await shop.admin.bot_settings.ListTextOverrides(bad)
    await shop.admin.bot_settings.SetTextOverride(override("a", "en", "1"))
    await shop.admin.bot_settings.SetTextOverride(override("b", "en", "2"))
    token = (await shop.admin.bot_settings.ListTextOverrides(pb.ListTextOverridesRequest(page_size=1))).next_page_token
    with pytest.raises(InvalidArgument) as caught:  # a token of another filter
        await shop.admin.bot_settings.ListTextOverrides(pb.ListTextOverridesRequest(locale="en", page_token=token))
    assert [v.field for v in caught.value.field_violations] == ["page_token"]


async def test_overrides_stay_in_their_tenant(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha words"), await hub.new_tenant("Beta words")
    await beta.admin.bot_settings.SetTextOverride(override("menu.balance", "en", "Beta's"))
    assert await all_overrides(alpha.admin) == []
    with pytest.raises(NotFound):
        await alpha.admin.bot_settings.DeleteTextOverride(pb.DeleteTextOverrideRequest(key="menu.balance", locale="en"))
    assert await all_overrides(beta.admin) == [("en", "menu.balance", "Beta's")]
    assert await all_overrides(await gateway_of(hub, alpha)) == []


async def test_a_replayed_set_returns_the_first_answer(hub: Hub) -> None:
    shop = await hub.new_tenant("Replayed words")
    first = (await shop.admin.bot_settings.SetTextOverride(override("k", "en", "one", "ov-1"))).text_override
    await shop.admin.bot_settings.SetTextOverride(override("k", "en", "two"))
    again = (await shop.admin.bot_settings.SetTextOverride(override("k", "en", "one", "ov-1"))).text_override
    assert again == first
    assert await all_overrides(shop.admin) == [("en", "k", "two")]


async def test_the_gateway_reads_all_overrides_and_changes_them_only_for_a_settings_admin(hub: Hub) -> None:
    shop = await hub.new_tenant("Gateway words")
    await set_admins(shop, [admin(11, P.ADMIN_PERMISSION_SETTINGS), admin(12, P.ADMIN_PERMISSION_STATS)])
    await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "uk", "Гаманець"))
    gateway = await gateway_of(hub, shop)
    assert await all_overrides(gateway, page_size=500) == [("uk", "menu.balance", "Гаманець")]
    with pytest.raises(PermissionDenied) as caught:
        await gateway.bot_settings.SetTextOverride(override("menu.balance", "uk", "forged"))
    assert caught.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as caught:
        await gateway.on_behalf_of(12).bot_settings.SetTextOverride(override("menu.balance", "uk", "forged"))
    assert caught.value.reason == "ADMIN_PERMISSION_MISSING"
    assert await all_overrides(shop.admin) == [("uk", "menu.balance", "Гаманець")]
    await gateway.on_behalf_of(11).bot_settings.SetTextOverride(override("menu.balance", "uk", "Мій гаманець"))
    assert await all_overrides(shop.admin) == [("uk", "menu.balance", "Мій гаманець")]
    [entry] = (
        await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(action="bot_text.set", page_size=1))
    ).audit_entries
    assert entry.actor.startswith("telegram:11 via gateway:")
