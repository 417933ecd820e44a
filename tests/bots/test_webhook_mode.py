"""Webhook mode: a tenant whose bot settings say WEBHOOK has its bot served by the HTTP gateway.

The HTTP gateway's app (Quart test client) hosts the webhook side of the bot gateway: a
`BotRunner` in webhook mode calls setWebhook on the fake Bot API with the secret from the core's
bot settings, and `POST /telegram/<tenant_id>/<bot_id>` feeds an update to the same dispatcher as
polling, once `X-Telegram-Bot-Api-Secret-Token` matches. Two tenants' bots are served at once;
the real core answers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from google.protobuf import field_mask_pb2
from quart.typing import TestClientProtocol as QuartClient

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.runner import BotRunner
from bot_gateway.webhooks import SECRET_HEADER, WebhookBots
from http_gateway.app import create_app
from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2, common_pb2, user_service_pb2
from sdk.errors import NotFound
from tests.bots.conftest import NewBot
from tests.bots.harness import EPOCH, TenantBot, TgUser, new_user, shared_dispatcher
from tests.bots.telegram import FakeBotApi

PUBLIC_URL = "https://hub.example.test"


async def set_mode(shop: TenantBot, mode: bot_settings_pb2.BotMode.ValueType) -> None:
    """The tenant's admin switches the bot's mode (the core keeps it in the bot settings)."""
    request = bot_settings_service_pb2.UpdateBotSettingsRequest(
        bot_settings=bot_settings_pb2.BotSettings(mode=mode), update_mask=field_mask_pb2.FieldMask(paths=["mode"])
    )
    await shop.tenant.admin.bot_settings.UpdateBotSettings(request)


async def secret_of(shop: TenantBot) -> str:
    """The webhook secret the core gives the tenant's gateway key."""
    response = await shop.hub.bot_settings.GetBotSettings(bot_settings_service_pb2.GetBotSettingsRequest())
    secret = response.bot_settings.webhook_secret
    assert len(secret) >= 32
    return secret


def start_update(user: TgUser, update_id: int) -> dict[str, Any]:
    """The JSON Telegram posts when `user` types /start."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": EPOCH,
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until `check()` holds (the bots' tasks call the fake Bot API in the background)."""
    async with asyncio.timeout(within):
        while True:
            if check():
                return
            await asyncio.sleep(0.02)


@asynccontextmanager
async def runners(
    shops: list[TenantBot], api: FakeBotApi, webhooks: WebhookBots | None
) -> AsyncIterator[list[BotRunner]]:
    """A runner per tenant (each bot's own gateway key): webhook mode with `webhooks`, else polling."""
    made = [
        BotRunner(
            shop.hub,
            shared_dispatcher(),
            polling_timeout=1,
            telegram_api_url=api.url,
            webhooks=webhooks,
            public_url=PUBLIC_URL if webhooks is not None else "",
        )
        for shop in shops
    ]
    try:
        yield made
    finally:
        for runner in made:
            await runner.stop_all()


async def sync(made: list[BotRunner]) -> None:
    for runner in made:
        await runner.sync()


def calls(api: FakeBotApi, shop: TenantBot, method: str) -> list[dict[str, Any]]:
    return [request.params for request in api.of(shop.token) if request.method == method]


async def post(client: QuartClient, shop: TenantBot, update: dict[str, Any], secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    path = f"/telegram/{shop.tenant.id}/{shop.bot.id}"
    response = await client.post(path, data=json.dumps(update), headers=headers)
    return response.status_code


async def registered(shop: TenantBot, user: TgUser) -> bool:
    """Whether the core knows the Telegram user in the shop's tenant."""
    request = user_service_pb2.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(user.id))
    try:
        await shop.tenant.admin.users.FindUser(request)
    except NotFound:
        return False
    return True


@pytest.fixture
async def two_webhook_shops(tenant_bot: NewBot) -> list[TenantBot]:
    shops = [await tenant_bot("Hook A"), await tenant_bot("Hook B", default_locale="ru")]
    for shop in shops:
        await set_mode(shop, bot_settings_pb2.BOT_MODE_WEBHOOK)
    return shops


async def test_the_gateway_sets_each_webhook_with_its_secret_and_serves_updates(
    two_webhook_shops: list[TenantBot], bot_api: FakeBotApi
) -> None:
    shop_a, shop_b = two_webhook_shops
    webhooks = WebhookBots(shared_dispatcher())
    client = create_app(shop_a.hub, webhooks).test_client()
    ann, bob = new_user("Ann"), new_user("Bob", language_code="ru")

    async with runners(two_webhook_shops, bot_api, webhooks) as made:
        await sync(made)
        await eventually(lambda: all(calls(bot_api, shop, "setwebhook") for shop in two_webhook_shops))

        for shop in two_webhook_shops:
            (set_webhook,) = calls(bot_api, shop, "setwebhook")
            assert set_webhook["url"] == f"{PUBLIC_URL}/telegram/{shop.tenant.id}/{shop.bot.id}"
            assert shop.token.partition(":")[2] not in set_webhook["url"]
            assert set_webhook["secret_token"] == await secret_of(shop)
        assert await secret_of(shop_a) != await secret_of(shop_b)
        assert not calls(bot_api, shop_a, "getupdates")  # nobody polls a bot in webhook mode

        status_a = await post(client, shop_a, start_update(ann, 1), await secret_of(shop_a))
        status_b = await post(client, shop_b, start_update(bob, 2), await secret_of(shop_b))

    assert (status_a, status_b) == (200, 200)
    (welcome_a,) = calls(bot_api, shop_a, "sendmessage")
    (welcome_b,) = calls(bot_api, shop_b, "sendmessage")
    assert (int(welcome_a["chat_id"]), int(welcome_b["chat_id"])) == (ann.id, bob.id)
    assert "Ann" in welcome_a["text"] and "Bob" in welcome_b["text"]
    assert await registered(shop_a, ann) and not await registered(shop_b, ann)
    assert await registered(shop_b, bob) and not await registered(shop_a, bob)


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_handled(
    two_webhook_shops: list[TenantBot], bot_api: FakeBotApi
) -> None:
    shop_a, shop_b = two_webhook_shops
    webhooks = WebhookBots(shared_dispatcher())
    client = create_app(shop_a.hub, webhooks).test_client()
    ann = new_user("Ann")

    async with runners(two_webhook_shops, bot_api, webhooks) as made:
        await sync(made)
        await eventually(lambda: len(webhooks) == 2)
        # and each bot's start-up calls are done (setWebhook, its command lists)
        await eventually(lambda: all(len(calls(bot_api, shop, "setmycommands")) == 4 for shop in two_webhook_shops))
        await eventually(lambda: all(calls(bot_api, shop, "setwebhook") for shop in two_webhook_shops))
        before = len(bot_api.requests)
        secret_a, secret_b = await secret_of(shop_a), await secret_of(shop_b)

        statuses = [
            await post(client, shop_a, start_update(ann, 11), None),
            await post(client, shop_a, start_update(ann, 12), ""),
            await post(client, shop_a, start_update(ann, 13), secret_b),  # another tenant's secret
            await post(client, shop_a, start_update(ann, 14), secret_a[:-1] + "x"),
            await post(client, shop_a, start_update(ann, 15), "ключ"),  # not even ASCII
        ]
        unknown = await client.post(
            f"/telegram/{shop_a.tenant.id}/{shop_b.bot.id}", data="{}", headers={SECRET_HEADER: secret_b}
        )
        token_in_path = await client.post(
            f"/telegram/{shop_a.tenant.id}/{shop_a.token}", data="{}", headers={SECRET_HEADER: secret_a}
        )
        malformed = await post(client, shop_a, {"update_id": "not a number"}, secret_a)

    assert statuses == [401] * 5
    assert (unknown.status_code, token_in_path.status_code, malformed) == (404, 404, 400)
    assert bot_api.requests[before:] == []  # the bot said nothing
    assert not await registered(shop_a, ann)  # and the core saw nothing


async def test_no_bot_is_served_by_webhook_in_an_app_that_hosts_none(
    two_webhook_shops: list[TenantBot],
) -> None:
    shop_a, _ = two_webhook_shops
    client = create_app(shop_a.hub).test_client()

    status = await post(client, shop_a, start_update(new_user(), 21), await secret_of(shop_a))

    assert status == 404


async def test_switching_modes_hands_the_bot_between_polling_and_webhook(
    tenant_bot: NewBot, bot_api: FakeBotApi
) -> None:
    shop_a, shop_b = await tenant_bot("Switch A"), await tenant_bot("Switch B")
    webhooks = WebhookBots(shared_dispatcher())
    client = create_app(shop_a.hub, webhooks).test_client()

    async with (
        runners([shop_a, shop_b], bot_api, None) as polling,
        runners([shop_a, shop_b], bot_api, webhooks) as hooked,
    ):
        await sync(polling + hooked)
        assert [runner.running_tenants for runner in polling] == [{shop_a.tenant.id}, {shop_b.tenant.id}]
        assert [runner.running_tenants for runner in hooked] == [set(), set()]
        await eventually(lambda: bool(calls(bot_api, shop_a, "getupdates")))
        assert len(calls(bot_api, shop_a, "deletewebhook")) == 1  # polling begins by deleting any webhook

        await set_mode(shop_a, bot_settings_pb2.BOT_MODE_WEBHOOK)
        await sync(polling + hooked)
        await eventually(lambda: bool(calls(bot_api, shop_a, "setwebhook")))
        assert [runner.running_tenants for runner in polling] == [set(), {shop_b.tenant.id}]
        assert [runner.running_tenants for runner in hooked] == [{shop_a.tenant.id}, set()]
        polls = len(calls(bot_api, shop_a, "getupdates"))
        assert await post(client, shop_a, start_update(new_user(), 31), await secret_of(shop_a)) == 200
        assert await post(client, shop_b, start_update(new_user(), 32), await secret_of(shop_b)) == 404

        await set_mode(shop_a, bot_settings_pb2.BOT_MODE_POLLING)
        await sync(polling + hooked)
        await eventually(lambda: len(calls(bot_api, shop_a, "deletewebhook")) == 2)
        assert [runner.running_tenants for runner in polling] == [{shop_a.tenant.id}, {shop_b.tenant.id}]
        assert [runner.running_tenants for runner in hooked] == [set(), set()]
        assert await post(client, shop_a, start_update(new_user(), 33), await secret_of(shop_a)) == 404
        await eventually(lambda: len(calls(bot_api, shop_a, "getupdates")) > polls)

    assert len(calls(bot_api, shop_a, "setwebhook")) == 1
    assert not calls(bot_api, shop_b, "setwebhook")


def press_update(user: TgUser, bot_id: int, update_id: int, data: str) -> dict[str, Any]:
    """The JSON Telegram posts when `user` presses a button under the bot's message."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"press-{update_id}",
            "from": user.as_json(),
            "chat_instance": str(user.id),
            "data": data,
            "message": {
                "message_id": 1,
                "date": EPOCH,
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": {"id": bot_id, "is_bot": True, "first_name": "Shop"},
                "text": "…",
            },
        },
    }


async def test_a_button_press_is_answered_in_the_webhook_reply(
    two_webhook_shops: list[TenantBot], bot_api: FakeBotApi
) -> None:
    """Telegram makes the call a webhook reply names: the screen's edit goes there, not in a
    request of its own; the press's answerCallbackQuery is the request."""
    shop_a, _shop_b = two_webhook_shops
    webhooks = WebhookBots(shared_dispatcher())
    client = create_app(shop_a.hub, webhooks).test_client()
    ann = new_user("Ann")
    async with runners(two_webhook_shops, bot_api, webhooks) as made:
        await sync(made)
        await eventually(lambda: len(webhooks) == 2)
        secret = await secret_of(shop_a)
        assert await post(client, shop_a, start_update(ann, 21), secret) == 200
        path = f"/telegram/{shop_a.tenant.id}/{shop_a.bot.id}"
        update = press_update(ann, shop_a.bot.id, 22, MenuCallback(screen=Screen.BALANCE).pack())
        response = await client.post(path, data=json.dumps(update), headers={SECRET_HEADER: secret})
        assert response.status_code == 200
        assert response.content_type == "application/json"
        reply = json.loads(await response.get_data())
        started = await post(client, shop_a, start_update(ann, 23), secret)  # a command: a message of its own
    assert started == 200
    assert reply["method"] == "editMessageText"
    assert reply["chat_id"] == ann.id and "balance" in reply["text"].lower()
    buttons = [button["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for button in row]
    assert MenuCallback(screen=Screen.MENU).pack() in buttons
    (answer,) = calls(bot_api, shop_a, "answercallbackquery")
    assert answer["callback_query_id"] == "press-22"
    assert not calls(bot_api, shop_a, "editmessagetext")
