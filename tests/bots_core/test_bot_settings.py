"""A tenant admin keeps the bot's settings: admins with permissions, alert chat, texts, mode. The
webhook secret the core generates reaches only the tenant's gateway."""

from __future__ import annotations

import asyncio
import json

import pytest

from sdk import InvalidArgument, PermissionDenied
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import bot_settings_pb2 as bots
from sdk.billinghub.v1 import tenant_pb2
from tests.bots_core.bots import P, admin, gateway_of, set_admins, settings_of, update
from tests.hub import Hub

FULL = bots.BotSettings(
    bot_username="@acme_shop_bot",
    admins=[admin(101, P.ADMIN_PERMISSION_STATS, P.ADMIN_PERMISSION_REFUNDS, name="Ann")],
    alert_chat_id=-1001234567890,
    alert_topic_id=7,
    welcome_text="Welcome!\nPick a package.",
    welcome_image="https://example.com/welcome.png",
    support_text="@acme_support",
    terms_text="https://example.com/terms",
    privacy_text="https://example.com/privacy",
    paysupport_text="Write to @acme_support about payments",
    default_locale="ru",
    mode=bots.BOT_MODE_WEBHOOK,
)
ALL_FIELDS = (
    "bot_username",
    "admins",
    "alert_chat_id",
    "alert_topic_id",
    "welcome_text",
    "welcome_image",
    "support_text",
    "terms_text",
    "privacy_text",
    "paysupport_text",
    "default_locale",
    "mode",
)


async def test_defaults_until_first_update_then_every_field_is_kept(hub: Hub) -> None:
    shop = await hub.new_tenant("Settings", default_locale="uk")
    first = await settings_of(shop.admin)
    assert (first.bot_username, list(first.admins), first.mode) == ("", [], bots.BOT_MODE_POLLING)
    assert first.default_locale == "uk"  # the tenant's own
    assert first.webhook_secret == ""  # never to a tenant admin
    updated = (await shop.admin.bot_settings.UpdateBotSettings(update(FULL, *ALL_FIELDS))).bot_settings
    read = await settings_of(shop.admin)
    assert updated == read
    assert read.bot_username == "acme_shop_bot"  # without the @
    assert [(a.telegram_id, a.name, list(a.permissions)) for a in read.admins] == [
        (101, "Ann", [P.ADMIN_PERMISSION_STATS, P.ADMIN_PERMISSION_REFUNDS])
    ]
    assert (read.alert_chat_id, read.alert_topic_id) == (-1001234567890, 7)
    assert (read.welcome_text, read.welcome_image) == (FULL.welcome_text, FULL.welcome_image)
    assert (read.support_text, read.terms_text, read.privacy_text) == (
        FULL.support_text,
        FULL.terms_text,
        FULL.privacy_text,
    )
    assert (read.paysupport_text, read.default_locale, read.mode) == (FULL.paysupport_text, "ru", bots.BOT_MODE_WEBHOOK)
    assert read.webhook_secret == ""
    assert read.update_time.ToDatetime() >= read.create_time.ToDatetime()


async def test_a_mask_changes_only_the_fields_it_names_and_each_change_is_audited(hub: Hub) -> None:
    shop = await hub.new_tenant("Masked")
    await shop.admin.bot_settings.UpdateBotSettings(update(FULL, *ALL_FIELDS))
    changed = bots.BotSettings(support_text="new support", terms_text="ignored, not in the mask")
    after = (await shop.admin.bot_settings.UpdateBotSettings(update(changed, "support_text"))).bot_settings
    assert after.support_text == "new support"
    assert after.terms_text == FULL.terms_text and len(after.admins) == 1
    entries = (
        await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(action="bot_settings.updated"))
    ).audit_entries
    assert len(entries) == 2
    assert entries[0].actor.startswith("tenant_admin:")
    assert json.loads(entries[0].before)["support_text"] == FULL.support_text
    assert json.loads(entries[0].after)["support_text"] == "new support"
    assert "secret" not in entries[0].after and "secret" not in entries[1].after


async def test_the_webhook_secret_reaches_only_the_tenants_gateway(hub: Hub) -> None:
    shop = await hub.new_tenant("Secret")
    gateway = await gateway_of(hub, shop)
    secret = (await settings_of(gateway)).webhook_secret
    assert len(secret) >= 32 and secret.replace("-", "").replace("_", "").isalnum()
    assert (await settings_of(gateway)).webhook_secret == secret  # generated once
    assert (await settings_of(shop.admin)).webhook_secret == ""
    assert (await settings_of(hub.platform.for_tenant(shop.id))).webhook_secret == ""
    updated = await set_admins(shop, [admin(5, P.ADMIN_PERMISSION_SETTINGS)])
    assert updated.webhook_secret == ""
    other = await hub.new_tenant("Other secret")
    assert (await settings_of(await gateway_of(hub, other))).webhook_secret not in ("", secret)
    entries = (await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest())).audit_entries
    assert all(secret not in e.before + e.after for e in entries)


async def test_racing_first_reads_store_one_secret(hub: Hub) -> None:
    shop = await hub.new_tenant("Racing reads")
    gateway = await gateway_of(hub, shop)
    read = await asyncio.gather(*(settings_of(gateway) for _ in range(10)))
    assert len({settings.webhook_secret for settings in read}) == 1
    assert (await settings_of(gateway)).webhook_secret == read[0].webhook_secret


@pytest.mark.parametrize(
    ("settings", "paths", "bad"),
    [
        (bots.BotSettings(admins=[admin(0)]), ["admins"], {"admins[0].telegram_id"}),
        (bots.BotSettings(admins=[admin(-5)]), ["admins"], {"admins[0].telegram_id"}),
        (bots.BotSettings(admins=[admin(7), admin(7)]), ["admins"], {"admins[1].telegram_id"}),
        (bots.BotSettings(admins=[admin(7, 0)]), ["admins"], {"admins[0].permissions"}),
        (bots.BotSettings(admins=[admin(7, 42)]), ["admins"], {"admins[0].permissions"}),
        (bots.BotSettings(admins=[admin(7, name="x" * 65)]), ["admins"], {"admins[0].name"}),
        (bots.BotSettings(admins=[admin(i + 1) for i in range(51)]), ["admins"], {"admins"}),
        (bots.BotSettings(welcome_text="x" * 4097), ["welcome_text"], {"welcome_text"}),
        (bots.BotSettings(terms_text="x" * 4097), ["terms_text"], {"terms_text"}),
        (bots.BotSettings(support_text="a\x00b"), ["support_text"], {"support_text"}),
        (
            bots.BotSettings(welcome_text="x" * 1025, welcome_image="AgACAgIAAxkBAAIB"),
            ["welcome_text", "welcome_image"],
            {"welcome_text"},
        ),
        (bots.BotSettings(welcome_image="http://example.com/a.png"), ["welcome_image"], {"welcome_image"}),
        (bots.BotSettings(welcome_image="not a file id"), ["welcome_image"], {"welcome_image"}),
        (bots.BotSettings(default_locale="de"), ["default_locale"], {"default_locale"}),
        (bots.BotSettings(mode=bots.BOT_MODE_UNSPECIFIED), ["mode"], {"mode"}),
        (bots.BotSettings(bot_username="no"), ["bot_username"], {"bot_username"}),
        (bots.BotSettings(alert_topic_id=-1), ["alert_topic_id"], {"alert_topic_id"}),
        (bots.BotSettings(alert_topic_id=3), ["alert_topic_id"], {"alert_topic_id"}),
        (bots.BotSettings(), [], {"update_mask"}),
        (bots.BotSettings(), ["webhook_secret"], {"update_mask"}),
    ],
)
async def test_bad_settings_are_refused_field_by_field_and_nothing_changes(
    hub: Hub, settings: bots.BotSettings, paths: list[str], bad: set[str]
) -> None:
    shop = await hub.new_tenant("Validated")
    await set_admins(shop, [admin(9, P.ADMIN_PERMISSION_STATS)])
    before = await settings_of(shop.admin)
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.bot_settings.UpdateBotSettings(update(settings, *paths))
    assert {v.field for v in caught.value.field_violations} == bad
    assert await settings_of(shop.admin) == before


async def test_a_caption_checked_against_the_stored_welcome_text(hub: Hub) -> None:
    shop = await hub.new_tenant("Caption")
    await shop.admin.bot_settings.UpdateBotSettings(update(bots.BotSettings(welcome_text="x" * 2000), "welcome_text"))
    image = bots.BotSettings(welcome_image="https://example.com/w.png")
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.bot_settings.UpdateBotSettings(update(image, "welcome_image"))
    assert [v.field for v in caught.value.field_violations] == ["welcome_text"]
    assert (await settings_of(shop.admin)).welcome_image == ""


async def test_each_tenant_has_its_own_settings(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha bot"), await hub.new_tenant("Beta bot")
    await set_admins(alpha, [admin(1, P.ADMIN_PERMISSION_SETTINGS)])
    assert list((await settings_of(beta.admin)).admins) == []
    with pytest.raises(Exception) as caught:  # a key bound to Alpha naming Beta: NOT_FOUND
        await alpha.admin.for_tenant(beta.id).bot_settings.UpdateBotSettings(
            update(bots.BotSettings(support_text="hijack"), "support_text")
        )
    assert type(caught.value).__name__ == "NotFound"
    assert (await settings_of(beta.admin)).support_text == ""


async def test_a_replayed_update_returns_the_first_answer(hub: Hub) -> None:
    shop = await hub.new_tenant("Replay")
    request = update(bots.BotSettings(support_text="one"), "support_text", request_id="bot-settings-1")
    first = (await shop.admin.bot_settings.UpdateBotSettings(request)).bot_settings
    await shop.admin.bot_settings.UpdateBotSettings(update(bots.BotSettings(support_text="two"), "support_text"))
    again = (await shop.admin.bot_settings.UpdateBotSettings(request)).bot_settings
    assert again == first and (await settings_of(shop.admin)).support_text == "two"
    changed = update(bots.BotSettings(support_text="three"), "support_text", request_id="bot-settings-1")
    with pytest.raises(InvalidArgument):
        await shop.admin.bot_settings.UpdateBotSettings(changed)
    entries = (
        await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(action="bot_settings.updated"))
    ).audit_entries
    assert len(entries) == 2


async def test_partners_may_not_read_or_change_bot_settings(hub: Hub) -> None:
    shop = await hub.new_tenant("Partnered")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    with pytest.raises(PermissionDenied):
        await settings_of(partner)
    with pytest.raises(PermissionDenied):
        await partner.bot_settings.UpdateBotSettings(update(bots.BotSettings(support_text="x"), "support_text"))
