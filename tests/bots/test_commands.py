"""The bot's commands: `/help` lists every command in the user's language, and each bot publishes
the same list with setMyCommands (per locale) when it starts, so Telegram's menu button offers it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot_gateway.runner import BotRunner
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, new_user, shared_dispatcher
from tests.bots.telegram import FakeBotApi

COMMANDS = [
    "menu", "balance", "topup", "buy", "history", "subscription", "services", "referrals", "promo",
    "pricing", "language", "help", "terms", "privacy", "paysupport",
]  # fmt: skip


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if check():
                return
            await asyncio.sleep(0.02)


def set_commands(api: FakeBotApi, shop: TenantBot) -> list[dict[str, Any]]:
    return [request.params for request in api.of(shop.token) if request.method == "setmycommands"]


async def test_help_lists_every_command_in_the_users_language(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A")
    shop_b = await tenant_bot("Shop B", default_locale="ru")
    ann, olha = new_user("Ann", "en"), new_user("Olha", "uk")

    (help_en,) = await shop_a.send(ann, "/help")
    (help_uk,) = await shop_b.send(olha, "/help")

    for sent in (help_en, help_uk):
        listed = [line.split(" — ")[0] for line in sent.text.splitlines()[1:]]
        assert listed == [f"/{name}" for name in COMMANDS]
    assert help_en.text.splitlines()[:3] == ["Commands:", "/menu — main menu", "/balance — your balance"]
    assert help_uk.text.splitlines()[:3] == ["Команди:", "/menu — головне меню", "/balance — ваш баланс"]


async def test_each_bot_publishes_its_commands_per_locale_when_it_starts(
    tenant_bot: NewBot, bot_api: FakeBotApi
) -> None:
    shops = [await tenant_bot("Shop A"), await tenant_bot("Shop B", default_locale="ru")]
    runners = [
        BotRunner(shop.hub, shared_dispatcher(), polling_timeout=1, telegram_api_url=bot_api.url) for shop in shops
    ]
    try:
        for runner in runners:
            await runner.sync()
        await eventually(lambda: all(len(set_commands(bot_api, shop)) == 4 for shop in shops))
    finally:
        for runner in runners:
            await runner.stop_all()

    for shop in shops:
        calls = set_commands(bot_api, shop)
        by_language = {call.get("language_code"): call["commands"] for call in calls}
        assert set(by_language) == {None, "en", "ru", "uk"}
        for commands in by_language.values():
            assert [command["command"] for command in commands] == COMMANDS
            assert all(command["description"] for command in commands)
        assert by_language[None] == by_language["en"]
        balance = {language: commands[1]["description"] for language, commands in by_language.items()}
        assert balance == {None: "your balance", "en": "your balance", "ru": "ваш баланс", "uk": "ваш баланс"}
        privacy = {language: commands[13]["description"] for language, commands in by_language.items()}
        assert privacy["ru"] == "политика конфиденциальности" and privacy["uk"] == "політика конфіденційності"


async def test_a_bot_whose_commands_are_refused_still_serves_its_users(tenant_bot: NewBot, bot_api: FakeBotApi) -> None:
    shop = await tenant_bot("Shop A")
    bot_api.refused.add("setmycommands")
    runner = BotRunner(shop.hub, shared_dispatcher(), polling_timeout=1, telegram_api_url=bot_api.url)
    try:
        await runner.sync()
        await eventually(lambda: any(r.method == "getupdates" for r in bot_api.of(shop.token)))
        await asyncio.sleep(0.1)
        assert runner.running_tenants == {shop.tenant.id}
    finally:
        await runner.stop_all()
    assert len(set_commands(bot_api, shop)) == 1  # refused at the first, not retried in a loop
