"""A tenant's bot settings changes reach its webhook endpoints like any other event: an endpoint
subscribed to "bot_settings.*" (or to everything) receives `bot_settings.updated` with the changed
field names, never the bot's webhook secret."""

from __future__ import annotations

from core_server.domain.webhooks.dispatcher import WebhookDispatcher
from sdk.billinghub.v1 import bot_settings_pb2 as bots
from sdk.billinghub.v1 import bot_settings_service_pb2 as bots_pb
from tests.bots_core.bots import gateway_of, settings_of, update
from tests.hub import Hub
from tests.webhooks_out.conftest import NewReceiver, add_endpoint, step


async def test_a_settings_change_reaches_the_endpoints_that_want_it_without_the_secret(
    webhook_hub: Hub, dispatcher: WebhookDispatcher, receivers: NewReceiver
) -> None:
    shop = await webhook_hub.new_tenant("Hooked bot")
    secret = (await settings_of(await gateway_of(webhook_hub, shop))).webhook_secret
    bot_events, orders = await receivers(), await receivers()
    await add_endpoint(shop, bot_events, ["bot_settings.*"])
    await add_endpoint(shop, orders, ["order.*"])
    await shop.admin.bot_settings.UpdateBotSettings(update(bots.BotSettings(mode=bots.BOT_MODE_WEBHOOK), "mode"))
    await shop.admin.bot_settings.SetTextOverride(
        bots_pb.SetTextOverrideRequest(text_override=bots.TextOverride(key="menu.buy", locale="en", text="Shop"))
    )
    await step(webhook_hub, dispatcher)

    assert [(e["type"], e["data"]) for e in bot_events.events()] == [
        ("bot_settings.updated", {"fields": ["mode"]}),
        ("bot_settings.updated", {"fields": ["texts"], "locale": "en", "key": "menu.buy"}),
    ]
    assert all(secret not in r.body.decode() for r in bot_events.received)
    assert orders.received == []
