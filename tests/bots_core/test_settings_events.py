"""Every change of a tenant's bot settings or texts writes one `bot_settings.updated` event in its
transaction, naming what changed and never a value or the webhook secret; a refused request, a
replay or an update that changes nothing writes none; another tenant never sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sdk import InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import bot_settings_pb2 as bots
from sdk.billinghub.v1 import bot_settings_service_pb2 as pb
from sdk.billinghub.v1 import event_service_pb2 as events_pb
from sdk.client import BillingHubClient
from tests.bots_core.bots import P, admin, gateway_of, set_admins, settings_of, update
from tests.bots_core.test_bot_settings import ALL_FIELDS, FULL
from tests.bots_core.test_text_overrides import override
from tests.hub import Hub, TenantHandle

UPDATED = "bot_settings.updated"


async def changes(hub: Hub, shop: TenantHandle) -> list[dict[str, Any]]:
    """The data of the tenant's `bot_settings.updated` events, oldest first (every one written so
    far: on PostgreSQL an event is listed once every older transaction has ended)."""
    await hub.events_settled()
    listed = await shop.admin.events.ListEvents(events_pb.ListEventsRequest(types=[UPDATED]))
    assert {event.type for event in listed.events} <= {UPDATED}
    return [json.loads(event.data) for event in listed.events]


async def test_an_update_writes_one_event_naming_the_changed_fields_without_the_secret(hub: Hub) -> None:
    shop = await hub.new_tenant("Evented", default_locale="en")
    secret = (await settings_of(await gateway_of(hub, shop))).webhook_secret  # stores the row and its secret
    assert await changes(hub, shop) == []

    await shop.admin.bot_settings.UpdateBotSettings(update(FULL, *ALL_FIELDS))
    await shop.admin.bot_settings.UpdateBotSettings(update(FULL, *ALL_FIELDS))  # the same values: no change
    await shop.admin.bot_settings.UpdateBotSettings(
        update(bots.BotSettings(welcome_text="Hello again", support_text=FULL.support_text), "welcome_text")
    )
    await set_admins(shop, [admin(101, P.ADMIN_PERMISSION_STATS, name="Ann")])  # one permission fewer

    every, *later = await changes(hub, shop)
    assert sorted(every["fields"]) == sorted(ALL_FIELDS) and len(every["fields"]) == len(ALL_FIELDS)
    assert later == [{"fields": ["welcome_text"]}, {"fields": ["admins"]}]
    listed = await shop.admin.events.ListEvents(events_pb.ListEventsRequest(types=[UPDATED]))
    assert all(secret not in event.data and "webhook_secret" not in event.data for event in listed.events)
    assert all("Hello again" not in event.data and "101" not in event.data for event in listed.events)


async def test_a_replayed_update_writes_no_second_event(hub: Hub) -> None:
    shop = await hub.new_tenant("Replayed event")
    request = update(bots.BotSettings(mode=bots.BOT_MODE_WEBHOOK), "mode", request_id="mode-1")
    await shop.admin.bot_settings.UpdateBotSettings(request)
    await shop.admin.bot_settings.UpdateBotSettings(request)

    assert await changes(hub, shop) == [{"fields": ["mode"]}]


@pytest.mark.parametrize(
    ("settings", "paths"),
    [
        (bots.BotSettings(welcome_text="x" * 4097), ["welcome_text"]),
        (bots.BotSettings(admins=[admin(7), admin(7)]), ["admins"]),
        (bots.BotSettings(mode=bots.BOT_MODE_UNSPECIFIED, support_text="ok"), ["support_text", "mode"]),
        (bots.BotSettings(alert_topic_id=3), ["alert_topic_id"]),  # no alert chat: refused with the stored row
        (bots.BotSettings(), ["webhook_secret"]),
    ],
)
async def test_a_refused_update_writes_no_event(hub: Hub, settings: bots.BotSettings, paths: list[str]) -> None:
    shop = await hub.new_tenant("Refused event")
    with pytest.raises(InvalidArgument):
        await shop.admin.bot_settings.UpdateBotSettings(update(settings, *paths))

    assert await changes(hub, shop) == []


async def test_a_gateway_without_a_settings_admin_writes_no_event(hub: Hub) -> None:
    shop = await hub.new_tenant("Guarded event")
    await set_admins(shop, [admin(5, P.ADMIN_PERMISSION_STATS)])
    gateway = await gateway_of(hub, shop)
    request = update(bots.BotSettings(support_text="hijack"), "support_text")
    for caller in (gateway, gateway.on_behalf_of(5), gateway.on_behalf_of(6)):
        with pytest.raises(PermissionDenied):
            await caller.bot_settings.UpdateBotSettings(request)
        with pytest.raises(PermissionDenied):
            await caller.bot_settings.SetTextOverride(override("menu.balance", "en", "Wallet"))

    assert await changes(hub, shop) == [{"fields": ["admins"]}]  # set_admins' own


async def test_each_text_override_change_writes_one_event(hub: Hub) -> None:
    shop = await hub.new_tenant("Worded event")
    settings_admin: BillingHubClient = (await gateway_of(hub, shop)).on_behalf_of(8)
    await set_admins(shop, [admin(8, P.ADMIN_PERMISSION_SETTINGS)])
    texts = {"fields": ["texts"], "locale": "en", "key": "menu.balance"}

    await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "en", "Wallet"))
    await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "en", "Wallet"))  # the same words
    await settings_admin.bot_settings.SetTextOverride(override("menu.balance", "en", "My wallet"))
    await shop.admin.bot_settings.DeleteTextOverride(pb.DeleteTextOverrideRequest(key="menu.balance", locale="en"))
    with pytest.raises(NotFound):
        await shop.admin.bot_settings.DeleteTextOverride(pb.DeleteTextOverrideRequest(key="menu.balance", locale="en"))
    with pytest.raises(InvalidArgument):
        await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "de", "Geldbörse"))
    with pytest.raises(InvalidArgument):
        await shop.admin.bot_settings.SetTextOverride(override("menu.balance", "en", ""))

    assert await changes(hub, shop) == [{"fields": ["admins"]}, texts, texts, texts]
    listed = await shop.admin.events.ListEvents(events_pb.ListEventsRequest(types=[UPDATED]))
    assert all("allet" not in event.data for event in listed.events)  # names, never the words


async def test_a_change_stays_in_its_tenant(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha event"), await hub.new_tenant("Beta event")
    await alpha.admin.bot_settings.UpdateBotSettings(update(bots.BotSettings(support_text="@alpha"), "support_text"))
    await alpha.admin.bot_settings.SetTextOverride(override("menu.buy", "ru", "Купить"))

    assert await changes(hub, alpha) == [
        {"fields": ["support_text"]},
        {"fields": ["texts"], "locale": "ru", "key": "menu.buy"},
    ]
    assert await changes(hub, beta) == []
